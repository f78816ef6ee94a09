"""An MCP client from the official SDK talking streamable HTTP to the project's real ASGI application
(inkwell.asgi: the router, its lifespan, the MCP app, Django beside it), in process.

The test stays sync and runs its client in `async_to_sync`: the app's sync work (`sync_to_async`,
thread-sensitive) then comes back to the test's own thread, on the test's connection, inside its
rolled-back transaction, as Django's AsyncClient does. Like Django's test client, the request cycle's
connection closing is switched off meanwhile (the `mcp_ready` fixture).
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import httpx2
from asgiref.sync import async_to_sync
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client


@asynccontextmanager
async def running(app):
    """Run `app`'s ASGI lifespan around the block, as uvicorn does around serving."""
    inbox: asyncio.Queue = asyncio.Queue()
    outbox: asyncio.Queue = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    task = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, outbox.put)
    )
    started = await outbox.get()
    assert started["type"] == "lifespan.startup.complete", started
    try:
        yield app
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task


def http_client(
    app, host: str, *, secret: str | None = None, headers: dict | None = None
) -> httpx2.AsyncClient:
    all_headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    all_headers |= headers or {}
    return httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app, client=("127.0.0.1", 50000)),
        base_url=f"http://{host}",
        headers=all_headers,
    )


@asynccontextmanager
async def session(app, host: str, secret: str):
    """An initialised MCP ClientSession for `host` with the bearer `secret`."""
    url = f"http://{host}/mcp"
    async with (
        http_client(app, host, secret=secret) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as client,
    ):
        await client.initialize()
        yield client


def run(coroutine_function, *args, **kwargs):
    """Run an async scenario from a sync test (see the module's docstring)."""
    return async_to_sync(coroutine_function)(*args, **kwargs)
