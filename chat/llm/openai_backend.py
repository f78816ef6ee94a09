"""OpenAI's Chat Completions API (LLM_BACKEND=openai), through the official SDK.

Chat Completions rather than the Responses API: the assistant is stateless (every reply resends the
conversation, nothing is stored at OpenAI), which is what Chat Completions is; tool results go back
as plain `tool` messages with no output items to carry over; and its streaming is one kind of chunk
whose last one carries the exact usage (stream_options include_usage). The Responses API would add
server-side state (or, with store=false, reasoning items to echo) that the widget has no use for.

One reply is at most MAX_ROUNDS calls, the last with tool_choice "none" so it must answer in text.
With `on_text`, each call streams and text deltas are passed on as they arrive.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import httpx2
import openai

from chat.llm.base import MAX_ROUNDS, ROUND_SEPARATOR, LlmResult, LlmUnavailable, Tool, Turn, describe_error

log = logging.getLogger(__name__)

PROVIDER_ERRORS = (openai.OpenAIError, httpx2.HTTPError, httpx2.StreamError, ValueError, KeyError, IndexError)


class OpenAIBackend:
    name = "openai"

    def __init__(self, *, api_key: str, model: str, timeout: float, max_tokens: int = 600, client=None):
        self.model = model
        self.max_tokens = max_tokens
        # No retry: the visitor is waiting, and the retrieval answer is the fallback.
        self.client = client or openai.OpenAI(api_key=api_key, timeout=timeout, max_retries=0)

    def reply(
        self,
        *,
        system: str,
        turns: list[Turn],
        tools: list[Tool],
        on_text: Callable[[str], None] | None = None,
    ) -> LlmResult:
        messages: list[dict] = [{"role": "system", "content": system}]
        messages += [{"role": turn.role, "content": turn.text} for turn in turns]
        by_name = {tool.name: tool for tool in tools}
        result = LlmResult(text="", model=self.model)
        texts: list[str] = []
        for round_ in range(MAX_ROUNDS):
            request = {"model": self.model, "messages": messages, "max_completion_tokens": self.max_tokens}
            if tools:
                request["tools"] = [
                    {
                        "type": "function",
                        "function": {
                            "name": t.name,
                            "description": t.description,
                            "parameters": t.input_schema,
                        },
                    }
                    for t in tools
                ]
                request["tool_choice"] = "none" if round_ == MAX_ROUNDS - 1 else "auto"
            separator = ROUND_SEPARATOR if texts else ""
            text, calls = self._call(request, on_text=on_text, separator=separator, result=result)
            if text.strip():
                texts.append(text.strip())
            if not calls:
                break
            messages.append(
                {
                    "role": "assistant",
                    "content": text or None,
                    "tool_calls": [
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {"name": name, "arguments": arguments},
                        }
                        for call_id, name, arguments in calls
                    ],
                }
            )
            for call_id, name, arguments in calls:
                try:
                    parsed = json.loads(arguments or "{}")
                except ValueError as exc:
                    raise self._unavailable(
                        f"Malformed tool arguments from the model: {exc}", result
                    ) from exc
                parsed = parsed if isinstance(parsed, dict) else {}
                tool = by_name.get(name)
                outcome = tool.run(parsed) if tool else f"There is no tool named {name}."
                result.tool_calls.append((name, parsed, outcome))
                messages.append({"role": "tool", "tool_call_id": call_id, "content": outcome})
        result.text = ROUND_SEPARATOR.join(texts)
        if not result.text:
            raise self._unavailable("The model gave no text.", result)
        return result

    def _call(self, request: dict, *, on_text, separator: str, result: LlmResult) -> tuple[str, list]:
        """One provider call → (text, [(call id, function name, JSON arguments)]); its tokens are
        added to `result`."""
        try:
            if on_text is None:
                completion = self.client.chat.completions.create(**request)
                if completion.usage:
                    result.input_tokens += completion.usage.prompt_tokens
                    result.output_tokens += completion.usage.completion_tokens
                message = completion.choices[0].message
                calls = [
                    (call.id, call.function.name, call.function.arguments)
                    for call in message.tool_calls or []
                    if call.type == "function"
                ]
                return message.content or "", calls
            return self._stream(request, on_text=on_text, separator=separator, result=result)
        except PROVIDER_ERRORS as exc:
            log.warning("OpenAI call failed: %s", describe_error(exc))
            raise self._unavailable(describe_error(exc), result) from exc

    def _stream(self, request: dict, *, on_text, separator: str, result: LlmResult) -> tuple[str, list]:
        parts: list[str] = []
        calls: dict[int, list] = {}  # index → [id, name, arguments so far]
        stream = self.client.chat.completions.create(
            **request, stream=True, stream_options={"include_usage": True}
        )
        with stream:
            for chunk in stream:
                if chunk.usage:  # the last chunk, with no choices
                    result.input_tokens += chunk.usage.prompt_tokens
                    result.output_tokens += chunk.usage.completion_tokens
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta.content:
                        parts.append(delta.content)
                        on_text(separator + delta.content)
                        separator = ""
                    for call in delta.tool_calls or []:
                        slot = calls.setdefault(call.index, ["", "", ""])
                        if call.id:
                            slot[0] = call.id
                        if call.function and call.function.name:
                            slot[1] += call.function.name
                        if call.function and call.function.arguments:
                            slot[2] += call.function.arguments
        return "".join(parts), [tuple(calls[index]) for index in sorted(calls)]

    def _unavailable(self, message: str, result: LlmResult) -> LlmUnavailable:
        return LlmUnavailable(
            message, model=self.model, input_tokens=result.input_tokens, output_tokens=result.output_tokens
        )
