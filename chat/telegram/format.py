"""Telegram message text: HTML parse mode, escaped, and cut to the Bot API's 4,096-character limit.

Everything the bot sends is HTML (parse_mode "HTML"): anything that came from a person or an agent
(a lead's name, an approval's summary) goes through `esc`, so `<b>Bob_*[x]` is shown as typed and
never read as markup; only Telegram's own few tags are written by the bot itself. HTML rather than
MarkdownV2 because it has three characters to escape instead of eighteen, and the standard library
escapes them.

The limit is counted the way Telegram counts text, in UTF-16 code units, on the HTML as sent (which
is never shorter than the text after Telegram parses the tags), so a message that fits here fits
there too.
"""

from __future__ import annotations

import html
import re

LIMIT = 4096
MAX_PARTS = 4  # a reply longer than this many messages is trimmed, with a note
TRIMMED = "\n… (trimmed: the rest is on the dashboard)"
# A tag, an entity, a line end, or one character (a stray "<" or "&" included: nothing is dropped).
_TOKEN = re.compile(r"<[^<>]*>|&#?\w+;|\n|.", re.DOTALL)
_OPENING = re.compile(r"<([a-zA-Z][\w-]*)")


def esc(value) -> str:
    """`value` as text inside Telegram HTML (only <, > and & need escaping there)."""
    return html.escape(str(value), quote=False)


def attr(value) -> str:
    """`value` inside a double-quoted HTML attribute (a link's href)."""
    return html.escape(str(value), quote=True)


def size(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts two)."""
    return len(text.encode("utf-16-le")) // 2


def _closing(stack: list[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


def _after(stack: list[tuple[str, str]], token: str) -> list[tuple[str, str]]:
    """The open tags once `token` is written."""
    if token.startswith("</"):
        name = token[2:-1].strip().lower()
        return stack[:-1] if stack and stack[-1][0] == name else stack
    match = _OPENING.match(token)
    if match and not token.endswith("/>"):
        return [*stack, (match.group(1).lower(), token)]
    return stack


def _split(text: str, limit: int) -> list[str]:
    tokens = _TOKEN.findall(text)
    parts: list[str] = []
    buf: list[str] = []
    buf_size = 0
    reopened = 0  # how many tokens at the start of `buf` only reopen the previous part's tags
    stack: list[tuple[str, str]] = []  # tags open at the end of `buf`: (name, opening tag)
    cut = None  # index in `buf` just after the last line end with no tag open

    for token in tokens:
        after = _after(stack, token)
        while buf_size + size(token) + size(_closing(after)) > limit and len(buf) > reopened:
            if cut:
                parts.append("".join(buf[:cut]).rstrip("\n"))
                buf, reopened = buf[cut:], 0
            else:
                parts.append("".join(buf).rstrip("\n") + _closing(stack))
                buf = [opening for _, opening in stack]
                reopened = len(buf)
            buf_size = sum(size(t) for t in buf)
            cut = None
        buf.append(token)
        buf_size += size(token)
        stack = after
        if token == "\n" and not stack:
            cut = len(buf)
    if len(buf) > reopened and "".join(buf[reopened:]).strip():
        parts.append("".join(buf).rstrip("\n") + _closing(stack))
    return [part for part in parts if part.strip()]


def split(text: str, *, limit: int = LIMIT, max_parts: int = MAX_PARTS) -> list[str]:
    """`text` (Telegram HTML) as messages of at most `limit` each, breaking at a line end where it
    can. A break inside a tag's content closes the tag and opens it again in the next part, and no
    break falls inside a tag or an entity, so each part is valid HTML on its own. Past `max_parts`
    the last part is cut short and ends with a note saying so."""
    if size(text) <= limit:
        return [text]
    parts = _split(text, limit)
    if len(parts) > max_parts:
        last = _split(parts[max_parts - 1], limit - size(TRIMMED))[0]
        parts = [*parts[: max_parts - 1], last + TRIMMED]
    return parts
