"""The MCP endpoint (`<tenant host>/mcp`): AI agents call the tenant's services as tools.

- server.py: the MCPServer (stateless streamable HTTP, JSON answers) and the Starlette app the
  ASGI router (inkwell/asgi.py) mounts at /mcp;
- auth.py: bearer agent tokens, looked up in the tenant of the request's Host only;
- calls.py: what every tool call goes through (tenant, plan, scope, rate limit, the AgentCall row);
- tools.py: the tools, each a thin adapter over a service or selector.
"""
