"""Domain exceptions and the one place that maps them to HTTP answers."""

from django.http import HttpRequest
from django.shortcuts import render


class DomainError(Exception):
    """A request that cannot be done as asked. `message` is shown to the person who asked;
    `code` is a stable, machine-readable name API clients and agents branch on."""

    status_code = 400
    default_code = "invalid"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code


class NotAllowed(DomainError):
    status_code = 403
    default_code = "not_allowed"


class Conflict(DomainError):
    """An illegal state transition, or a duplicate."""

    status_code = 409
    default_code = "conflict"


class ServiceUnavailable(DomainError):
    """Something we depend on (the queue, a provider) is down; trying again later will work."""

    status_code = 503
    default_code = "unavailable"


class RateLimited(DomainError):
    status_code = 429
    default_code = "rate_limited"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def _headers(exc: DomainError) -> dict[str, str]:
    return {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else {}


def api_exception_handler(exc, context):
    # Imported here: DRF's settings import this module's siblings while DRF itself is loading.
    from rest_framework.response import Response
    from rest_framework.views import exception_handler

    if isinstance(exc, DomainError):
        return Response({"detail": exc.message}, status=exc.status_code, headers=_headers(exc))
    return exception_handler(exc, context)


class DomainErrorMiddleware:
    """Turns a DomainError raised by an HTML view into an error page with the right status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception):
        if not isinstance(exc, DomainError):
            return None
        response = render(request, "error.html", {"message": exc.message}, status=exc.status_code)
        for name, value in _headers(exc).items():
            response[name] = value
        return response
