"""Domain exceptions and the one place that maps them to HTTP answers."""

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
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


def refuse_unknown_fields(data, allowed) -> None:
    """A service's guard: a key in `data` outside `allowed` is a caller's bug, refused by name rather
    than silently dropped (raises ValidationError, one error per unknown field)."""
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(
            {name: ValidationError("This field can't be set.", code="not_editable") for name in unknown}
        )


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


# --- The API's error shape --------------------------------------------------------------------------
# Every API error is {"code", "message", "fields"}: `code` and `message` describe the whole answer,
# `fields` maps each field at fault (nested ones dotted: "items.0.name"; errors not tied to one field
# under "non_field_errors") to a list of {"code", "message"}. It is {} when no field is at fault.

FIELDS_INVALID = "Some of the values sent are not valid; see fields."
NON_FIELD_KEY = "non_field_errors"  # DRF's NON_FIELD_ERRORS_KEY; Django's "__all__" is renamed to it


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    """An API error in the one shape above."""
    return {"code": str(code), "message": str(message), "fields": fields or {}}


def _field_errors(detail, path: str = "", out: dict | None = None) -> dict[str, list[dict]]:
    """Flatten DRF's error detail (dicts of lists of ErrorDetail, nested for nested serializers)."""
    out = {} if out is None else out
    if isinstance(detail, dict):
        for key, value in detail.items():
            key = NON_FIELD_KEY if key == NON_FIELD_ERRORS else str(key)
            _field_errors(value, f"{path}.{key}" if path else key, out)
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        for index, item in enumerate(detail):  # a list of nested objects: one entry per item
            _field_errors(item, f"{path}.{index}" if path else str(index), out)
    else:
        items = detail if isinstance(detail, list) else [detail]
        out.setdefault(path or NON_FIELD_KEY, []).extend(
            {"code": getattr(item, "code", None) or "invalid", "message": str(item)} for item in items
        )
    return out


def api_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: DomainError, Django's ValidationError (raised by services), Http404,
    PermissionDenied and DRF's own exceptions all answer in the one shape above."""
    # Imported here: DRF's settings import this module's siblings while DRF itself is loading.
    from rest_framework import exceptions
    from rest_framework.fields import get_error_detail
    from rest_framework.response import Response
    from rest_framework.views import exception_handler, set_rollback

    if isinstance(exc, DomainError):
        set_rollback()
        return Response(error_body(exc.code, exc.message), status=exc.status_code, headers=_headers(exc))
    if isinstance(exc, ValidationError):
        exc = exceptions.ValidationError(get_error_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()  # Django's own message can name internals (a model, a path)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)  # status, WWW-Authenticate / Retry-After, rollback
    if response is None:
        return None  # not an expected error: Django's 500 handling logs it
    if isinstance(exc, exceptions.ValidationError):
        fields = _field_errors(exc.detail)
        if set(fields) == {NON_FIELD_KEY}:  # not about any one field: the first error is the answer
            first = fields[NON_FIELD_KEY][0]
            response.data = error_body(first["code"], first["message"], fields)
        else:
            response.data = error_body("invalid", FIELDS_INVALID, fields)
    else:
        response.data = error_body(getattr(exc.detail, "code", None) or exc.default_code, exc.detail)
    return response


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
