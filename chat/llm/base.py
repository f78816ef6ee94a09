"""What every model provider offers the assistant, whatever its SDK.

A backend takes the system prompt, the conversation so far and the tools, runs the provider's tool
loop (the model asks for a tool, we run it, it continues) and returns the final text with the tokens
it used. Text is passed to `on_text` as it streams when the provider streams. Any provider failure —
an HTTP error, a time-out, a malformed answer — is raised as LlmUnavailable, and the assistant falls
back to retrieval; the visitor's message is already saved by then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol


class LlmUnavailable(Exception):
    """The provider could not answer (not configured, error, time-out): use the retrieval answer."""


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
