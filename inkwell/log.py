"""Logging filters."""

import logging


class RequestHostFilter(logging.Filter):
    """Adds the host to django.request's lines ("Not Found: /favicon.ico on nobody.example.com"):
    one deployment serves every tenant, and a path alone does not say whose page failed."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        # Each logging set-up (django.setup() runs again in a Celery worker) adds another instance.
        if request is not None and isinstance(record.args, tuple) and not hasattr(record, "host"):
            host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
            # The header is the client's: escaped like Django escapes the path, so it cannot forge lines.
            record.host = host.encode("unicode_escape").decode("ascii")
            record.msg = f"{record.msg} on %s"
            record.args = (*record.args, record.host)
        return True
