"""Anthropic's Messages API (LLM_BACKEND=anthropic), through the official SDK.

One reply is at most MAX_ROUNDS calls: while the model stops with `tool_use`, the tools it asked for
run and their results go back as `tool_result` blocks; the last round is sent with tool_choice "none",
so it must answer in text. With `on_text`, each call streams (messages.stream) and text deltas are
passed on as they arrive; without, each call is a plain JSON request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import anthropic
import httpx2

from chat.llm.base import MAX_ROUNDS, ROUND_SEPARATOR, LlmResult, LlmUnavailable, Tool, Turn, describe_error

log = logging.getLogger(__name__)

# What a provider call can fail with besides the SDK's own errors: a body cut off or garbled after
# the headers (httpx2 errors while streaming, JSON or validation errors, events out of order).
PROVIDER_ERRORS = (
    anthropic.AnthropicError,
    httpx2.HTTPError,
    httpx2.StreamError,
    ValueError,
    KeyError,
    RuntimeError,
)


class AnthropicBackend:
    name = "anthropic"

    def __init__(self, *, api_key: str, model: str, timeout: float, max_tokens: int = 600, client=None):
        self.model = model
        self.max_tokens = max_tokens
        # No retry: the visitor is waiting, and the retrieval answer is the fallback.
        self.client = client or anthropic.Anthropic(api_key=api_key, timeout=timeout, max_retries=0)

    def reply(
        self,
        *,
        system: str,
        turns: list[Turn],
        tools: list[Tool],
        on_text: Callable[[str], None] | None = None,
    ) -> LlmResult:
        messages: list[dict] = [{"role": turn.role, "content": turn.text} for turn in turns]
        by_name = {tool.name: tool for tool in tools}
        result = LlmResult(text="", model=self.model)
        texts: list[str] = []
        for round_ in range(MAX_ROUNDS):
            request = {
                "model": self.model,
                "max_tokens": self.max_tokens,
                "system": system,
                "messages": messages,
            }
            if tools:
                request["tools"] = [
                    {"name": t.name, "description": t.description, "input_schema": t.input_schema}
                    for t in tools
                ]
                if round_ == MAX_ROUNDS - 1:
                    request["tool_choice"] = {"type": "none"}
            separator = ROUND_SEPARATOR if texts else ""
            message = self._call(request, on_text=on_text, separator=separator, result=result)
            text = "".join(block.text for block in message.content if block.type == "text").strip()
            if text:
                texts.append(text)
            uses = [block for block in message.content if block.type == "tool_use"]
            if message.stop_reason != "tool_use" or not uses:
                break
            messages.append({"role": "assistant", "content": [_echo(block) for block in message.content]})
            outcomes = []
            for use in uses:
                arguments = dict(use.input) if isinstance(use.input, dict) else {}
                tool = by_name.get(use.name)
                outcome = tool.run(arguments) if tool else f"There is no tool named {use.name}."
                result.tool_calls.append((use.name, arguments, outcome))
                outcomes.append({"type": "tool_result", "tool_use_id": use.id, "content": outcome})
            messages.append({"role": "user", "content": outcomes})
        result.text = ROUND_SEPARATOR.join(texts)
        if not result.text:
            raise self._unavailable("The model gave no text.", result)
        return result

    def _call(self, request: dict, *, on_text, separator: str, result: LlmResult):
        """One provider call; its tokens are added to `result`, also when it fails part-way."""
        seen = {"input": 0, "output": 0}
        try:
            if on_text is None:
                message = self.client.messages.create(**request)
            else:
                with self.client.messages.stream(**request) as stream:
                    for event in stream:
                        if event.type == "message_start":
                            seen["input"] = event.message.usage.input_tokens or 0
                        elif event.type == "message_delta":
                            seen["output"] = event.usage.output_tokens or 0
                        elif event.type == "text" and event.text:
                            on_text(separator + event.text)
                            separator = ""
                    message = stream.get_final_message()
            result.input_tokens += message.usage.input_tokens or 0
            result.output_tokens += message.usage.output_tokens or 0
            return message
        except PROVIDER_ERRORS as exc:
            log.warning("Anthropic call failed: %s", describe_error(exc))
            result.input_tokens += seen["input"]
            result.output_tokens += seen["output"]
            raise self._unavailable(describe_error(exc), result) from exc

    def _unavailable(self, message: str, result: LlmResult) -> LlmUnavailable:
        return LlmUnavailable(
            message, model=self.model, input_tokens=result.input_tokens, output_tokens=result.output_tokens
        )


def _echo(block) -> dict:
    """An answer's content block as it goes back to the API in the next request."""
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    if block.type == "text":
        return {"type": "text", "text": block.text}
    return block.to_dict()
