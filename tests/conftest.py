"""Suite-wide guards: no accidental real-model calls, no telemetry, no hub downloads."""

import os

import pytest

import chatrec.llm.base

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"


@pytest.fixture(autouse=True)
def _guard_real_models(request, monkeypatch):
    """A real LLM call fails unless the test is marked `real_llm`."""
    allowed = request.node.get_closest_marker("real_llm") is not None
    monkeypatch.setattr(chatrec.llm.base, "ALLOW_REAL_MODELS", allowed)
