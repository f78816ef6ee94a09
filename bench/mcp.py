"""MCP tool calls against the plain DRF endpoints that return the same data, in one run.

The stack is the bench's own (bench/stack.py): a private PostgreSQL and Redis in a temporary
directory (deleted at the end) and one uvicorn process on --port serving inkwell.asgi, as `make run`
serves it. One tenant with --days days of demo facts, leads, contracts and scores (bench/dashboard.py's
loader).

- MCP: --agents agents, each with its own token and a warm session (the official SDK's client over
  streamable HTTP, initialised and each tool called once before timing), call `site_info` and
  `get_dashboard` at the same time;
- DRF: as many clients, each with the tenant's API key, GET /api/v1/site/ and
  /api/v1/metrics/summary/ (which return what those two tools return) at the same time.

Both sides use the same HTTP client library (httpx2) and keep their connections open. The four
targets run in --rounds rounds that alternate which side goes first, so a change in the machine's
load falls on both. p50/p95 of each are printed; the last line is the worse of the two MCP/DRF p95
ratios (target: ≤ 2×).

    .venv/bin/python bench/mcp.py [--calls 100] [--agents 10] [--days 90] [--port 8207]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where this file would pass for the
# `mcp` package itself: the project's root takes its place.
HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parent), *(p for p in sys.path if Path(p or ".").resolve() != HERE)]

from bench.stack import Result, port_check, prepare, stack, start_web, stop_process  # noqa: E402

DB = "inkwell_mcp"
TARGETS = {"site_info": "/api/v1/site/", "get_dashboard": "/api/v1/metrics/summary/"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--calls", type=int, default=100, help="timed calls per agent and target (default 100)"
    )
    parser.add_argument("--agents", type=int, default=10, help="concurrent agents / clients (default 10)")
    parser.add_argument("--days", type=int, default=90, help="days of data the tenant has (default 90)")
    parser.add_argument("--rounds", type=int, default=4, help="rounds alternating MCP and DRF (default 4)")
    parser.add_argument("--port", type=int, default=8207, help="port for the web server (default 8207)")
    args = parser.parse_args()
    if min(args.calls, args.agents, args.days, args.rounds) < 1:
        parser.error("--calls, --agents, --days and --rounds must be at least 1")
    port_check(parser, args.port)
    return args


def _share(total: int, number: int, rounds: int) -> int:
    return total // rounds + (1 if number < total % rounds else 0)


async def _timed(result: Result, count: int, call) -> None:
    for _ in range(count):
        start = time.perf_counter()
        try:
            failed = await call()
        except Exception as exc:  # a transport error counts, it doesn't end the run
            failed = type(exc).__name__
        elapsed = (time.perf_counter() - start) * 1000
        if failed:
            result.error(failed)
        else:
            result.latencies_ms.append(elapsed)


async def run(args, host: str, secrets: list[str], api_key: str) -> dict[str, Result]:
    import httpx2
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    base = f"http://127.0.0.1:{args.port}"
    results = {(side, tool): Result() for side in ("MCP", "DRF") for tool in TARGETS}
    async with asyncio.TaskGroup() as group:
        done = asyncio.Event()
        sessions: list[ClientSession] = []
        opened = asyncio.Queue()

        async def agent(secret: str) -> None:
            """One agent's warm session, kept open until the measurements are done."""
            headers = {"Host": host, "Authorization": f"Bearer {secret}"}
            async with (
                httpx2.AsyncClient(headers=headers, timeout=60) as http,
                streamable_http_client(f"{base}/mcp", http_client=http) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                for tool in TARGETS:
                    await session.call_tool(tool, {})
                await opened.put(session)
                await done.wait()

        for secret in secrets:
            group.create_task(agent(secret))
        for _ in secrets:
            sessions.append(await opened.get())
        clients = [
            httpx2.AsyncClient(
                base_url=base, headers={"Host": host, "Authorization": f"Api-Key {api_key}"}, timeout=60
            )
            for _ in secrets
        ]
        try:
            for client in clients:
                for path in TARGETS.values():
                    await client.get(path)  # warm, like the sessions
            for number in range(args.rounds):
                sides = ("MCP", "DRF") if number % 2 == 0 else ("DRF", "MCP")
                count = _share(args.calls, number, args.rounds)
                for tool, path in TARGETS.items():
                    for side in sides:
                        result = results[(side, tool)]
                        started = time.perf_counter()
                        if side == "MCP":

                            async def call(session=None, tool=tool):
                                answer = await session.call_tool(tool, {})
                                return "tool error" if answer.is_error else None

                            jobs = [
                                _timed(result, count, lambda s=session, c=call: c(session=s))
                                for session in sessions
                            ]
                        else:

                            async def get(client=None, path=path):
                                response = await client.get(path)
                                return None if response.status_code == 200 else str(response.status_code)

                            jobs = [
                                _timed(result, count, lambda c=client, g=get: g(client=c))
                                for client in clients
                            ]
                        await asyncio.gather(*jobs)
                        result.seconds += time.perf_counter() - started
        finally:
            for client in clients:
                await client.aclose()
            done.set()
    return results


def main() -> None:
    args = parse_args()
    with stack(name="mcp", database=DB, env={"PORT": str(args.port)}) as s:
        provisioned = prepare(s, subdomain="mcpbench", business="MCP Bench Movers", pool=False)
        from bench.dashboard import load
        from tenants.services.agent_tokens import RATE_PER_MINUTE_MAX, agent_token_create
        from tenants.services.apikeys import apikey_create

        tenant = provisioned.tenant
        started = time.perf_counter()
        load(tenant, provisioned.owner, args.days)
        print(f"{args.days} days of data loaded in {time.perf_counter() - started:.1f} s")
        secrets = [
            agent_token_create(
                tenant=tenant,
                name=f"Agent {i + 1}",
                scopes=["read"],
                actor=None,
                rate_per_minute=RATE_PER_MINUTE_MAX,
            ).secret
            for i in range(args.agents)
        ]
        api_key = apikey_create(tenant=tenant, label="bench", actor=None).key
        web = start_web(s.env, args.port, s.workdir / "web.log")
        try:
            results = asyncio.run(run(args, f"mcpbench.localhost:{args.port}", secrets, api_key))
        finally:
            stop_process(web)
        print(
            f"{args.calls} calls per agent and target, {args.agents} agents at a time, in {args.rounds} rounds "
            "alternating MCP and DRF; one uvicorn process"
        )
        for (side, tool), result in results.items():
            label = tool if side == "MCP" else f"GET {TARGETS[tool]}"
            print(
                f"{side} {label:<28} p50 {result.p50:7.2f} ms, p95 {result.p95:7.2f} ms; "
                f"errors {result.error_count}{result.error_kinds}"
            )
        if any(r.error_count for r in results.values()):
            log = (s.workdir / "web.log").read_text().splitlines()
            print("the web server's log, last 40 lines:", *log[-40:], sep="\n")
        ratios = {tool: results[("MCP", tool)].p95 / results[("DRF", tool)].p95 for tool in TARGETS}
        print("MCP / DRF p95: " + ", ".join(f"{tool} {ratio:.2f}x" for tool, ratio in ratios.items()))
        print(f"ratio MCP / DRF p95, worse of the two: {max(ratios.values()):.2f}x")


if __name__ == "__main__":
    main()
