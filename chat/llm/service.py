"""The assistant's model answer for one visitor question (LLM_BACKEND anthropic | openai).

Stub until the LLM backends land: always unavailable, so the assistant answers from retrieval.
"""

from __future__ import annotations

from chat.llm.base import LlmResult, LlmUnavailable


def llm_answer(*, conversation, question: str, retrieved: list, on_text=None) -> LlmResult:
    """The model's reply to `question` (the visitor's message, already saved in `conversation`),
    with the retrieved memory entries in its prompt and the capture_lead / handover tools. Records
    token use and cost. Raises LlmUnavailable when LLM_BACKEND is "none" or the provider fails."""
    raise LlmUnavailable("No model provider is configured.")
