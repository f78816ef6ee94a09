"""The test settings never talk to a model or embedding provider, even with keys in the environment."""

import os
import subprocess
import sys


def test_provider_keys_in_the_shell_never_reach_the_test_settings():
    env = {
        **os.environ,
        "ANTHROPIC_API_KEY": "sk-ant-from-the-shell",
        "OPENAI_API_KEY": "sk-from-the-shell",
        "LLM_BACKEND": "anthropic",
        "EMBEDDING_BACKEND": "openai",
        "REDIS_URL": "redis://127.0.0.1:1/0",  # not contacted: settings only
    }
    code = (
        "from inkwell import settings_test as s; "
        "print(s.LLM_BACKEND, s.EMBEDDING_BACKEND or '-', s.ANTHROPIC_API_KEY or '-', s.OPENAI_API_KEY or '-')"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["none", "-", "-", "-"]
