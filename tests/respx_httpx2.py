"""respx for the SDKs that speak httpx2 (anthropic 2.x, openai 3.x).

respx patches httpx's and httpcore's transports; these SDKs send through httpx2 → httpcore2, which it
doesn't know. This mocker patches httpcore2's connection pools the way respx's own "httpcore" mocker
patches httpcore's, so routes, `assert_all_mocked` and `assert_all_called` work as usual:

    with respx.mock(using="httpcore2", assert_all_mocked=True) as router: ...
    assert not HTTPCore2Mocker.unmocked

Everything below the pool is real: the SDK, httpx2's client, its transport, headers and streaming.
A route's side effect raising an httpx error (httpx.ReadTimeout) is raised as httpcore2's error of the
same name, so httpx2 maps it exactly as it would a real one.
"""

from __future__ import annotations

from typing import ClassVar

import httpcore2
import httpx
from respx.mocks import HTTPCoreMocker
from respx.models import AllMockedAssertionError


class HTTPCore2Mocker(HTTPCoreMocker):
    name = "httpcore2"
    targets = [
        "httpcore2._sync.connection.HTTPConnection",
        "httpcore2._sync.connection_pool.ConnectionPool",
        "httpcore2._sync.http_proxy.HTTPProxy",
        "httpcore2._async.connection.AsyncHTTPConnection",
        "httpcore2._async.connection_pool.AsyncConnectionPool",
        "httpcore2._async.http_proxy.AsyncHTTPProxy",
    ]
    target_methods = ["handle_request", "handle_async_request"]
    # Requests no route matched. The SDKs turn respx's AllMockedAssertionError into their own
    # connection error (which the code under test may well catch), so tests check this list instead.
    unmocked: ClassVar[list] = []

    @classmethod
    def _send_sync_request(cls, httpx_request, *, target_spec, instance, **kwargs):
        try:
            return super()._send_sync_request(
                httpx_request, target_spec=target_spec, instance=instance, **kwargs
            )
        except AllMockedAssertionError:
            cls.unmocked.append(httpx_request)
            raise
        except httpx.TransportError as exc:
            raise _as_httpcore2(exc) from exc

    @classmethod
    def from_sync_httpx_response(cls, httpx_response, target, **kwargs):
        return httpcore2.Response(
            status=httpx_response.status_code,
            headers=httpx_response.headers.raw,
            content=httpx_response.stream,
            extensions=httpx_response.extensions,
        )


def _as_httpcore2(exc: httpx.TransportError) -> Exception:
    for klass in type(exc).__mro__:
        twin = getattr(httpcore2, klass.__name__, None)
        if isinstance(twin, type) and issubclass(twin, Exception):
            return twin(str(exc))
    return exc
