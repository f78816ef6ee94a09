"""Logging filters."""

import logging
import re

# The paths whose token is a key: a customer's contract link and a sign-in link. Kept copies of
# messages (tenants.messaging) and log lines blank the token out.
SECRET_LINK_RE = re.compile(r"(/sign-in/link/|/c/)[\w-]{20,}/")
REDACTED = "[redacted]"


def secret_links_redact(text: str) -> str:
    """`text` with the token of every secret link in it replaced by REDACTED."""
    return SECRET_LINK_RE.sub(lambda match: f"{match.group(1)}{REDACTED}/", text)


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


class SecretLinkFilter(logging.Filter):
    """Blanks secret links' tokens out of django.request's and the server's access lines: a 400 from
    a customer's signing form ("Bad Request: /c/<token>/sign/") or any access line would otherwise
    hand whoever reads the logs a working link to someone's contract."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = secret_links_redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(secret_links_redact(a) if isinstance(a, str) else a for a in record.args)
        return True


# Telegram's Bot API takes the bot's token in the URL (/bot<id>:<secret>/<method>), and httpx logs
# every request's URL at INFO: whoever reads such a line could act as the bot.
BOT_TOKEN_RE = re.compile(r"/bot\d+:[\w-]+/")


class BotTokenFilter(logging.Filter):
    """Blanks a Telegram bot token out of httpx's request lines (their URL is an object, so the
    whole message is redacted once formatted)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if BOT_TOKEN_RE.search(message):
            record.msg, record.args = BOT_TOKEN_RE.sub(f"/bot{REDACTED}/", message), ()
        return True
