import time, json, cProfile, pstats
import pytest
from tests.chat.test_mcp import app, token_for  # noqa
from tests.chat import mcp_client

pytestmark = pytest.mark.django_db

def test_profile(app, alpha):
    secret = token_for(alpha, rate_per_minute=100000).secret
    body = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "site_info", "arguments": {}}}

    async def scenario():
        out = {}
        async with mcp_client.running(app), mcp_client.session(app, alpha.host, secret) as client:
            await client.call_tool("site_info", {})
            t = time.perf_counter()
            for _ in range(50):
                await client.call_tool("site_info", {})
            out["sdk"] = (time.perf_counter() - t) / 50 * 1000
            async with mcp_client.http_client(app, alpha.host, secret=secret, headers={"Accept": "application/json, text/event-stream", "Mcp-Protocol-Version": "2025-06-18"}) as http:
                r = await http.post("/mcp", json=body)
                print(r.status_code, r.text[:200])
                t = time.perf_counter()
                for _ in range(50):
                    await http.post("/mcp", json=body)
                out["raw"] = (time.perf_counter() - t) / 50 * 1000
        return out

    prof = cProfile.Profile()
    prof.enable()
    print(mcp_client.run(scenario))
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
