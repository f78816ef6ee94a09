"""The assistant's model providers (LLM_BACKEND): see chat/llm/base.py for the interface."""
