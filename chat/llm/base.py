"""What every model provider offers the assistant, whatever its SDK.

A backend takes the system prompt, the conversation so far and the tools, runs the provider's tool
loop (the model asks for a tool, we run it, it continues) and returns the final text with the tokens
it used. Text is passed to `on_text` as it streams when the provider streams. Any provider failure —
an HTTP error, a time-out, a malformed answer — is raised as LlmUnavailable, and the assistant falls
back to retrieval; the visitor's message is already saved by then.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

# Model calls in one reply: the model may ask for tools in all but the last, which must answer in text
# (a model that keeps calling tools would otherwise keep the visitor waiting).
MAX_ROUNDS = 3
# Between the texts of two rounds (before and after a tool call), as streamed and as returned.
ROUND_SEPARATOR = "\n\n"


class LlmUnavailable(Exception):
    """The provider could not answer (not configured, error, time-out): use the retrieval answer.

    Carries the tokens already used by the calls that did answer (a failure in a later round, or a
    stream cut off after it began), so they are still recorded and billed."""

    def __init__(self, message: str = "", *, model: str = "", input_tokens: int = 0, output_tokens: int = 0):
        super().__init__(message)
        self.model = model
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens


# What looks like an API key in a provider's message ("Incorrect API key provided: sk-proj-…abcd"):
# even masked, none of it is kept.
_KEYLIKE = re.compile(r"\b(?:sk|sk-ant|sk-proj)-[^\s'\",]+")


def describe_error(exc: BaseException) -> str:
    """What the usage record and the log keep of a provider failure: its type, status and message,
    with anything shaped like an API key blanked out."""
    status = getattr(exc, "status_code", None)
    prefix = f"{type(exc).__name__} {status}" if status else type(exc).__name__
    return _KEYLIKE.sub("[key]", f"{prefix}: {exc}")[:300]


@dataclass(frozen=True)
class Turn:
    role: Literal["user", "assistant"]
    text: str


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    input_schema: dict  # JSON Schema of the arguments
    run: Callable[[dict], str]  # what the model is told the call did


@dataclass
class LlmResult:
    text: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    tool_calls: list[tuple[str, dict, str]] = field(default_factory=list)  # (name, arguments, result)


class LlmBackend(Protocol):
    name: str

    def reply(
        self,
        *,
        system: str,
        turns: list[Turn],
        tools: list[Tool],
        on_text: Callable[[str], None] | None = None,
    ) -> LlmResult: ...
