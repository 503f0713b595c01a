"""Test helpers that ship with chatrec: scripted LLMs and the conversation replay runner."""

from chatrec.testing.models import FunctionLLM, RecordedCall, ScriptedLLM, ScriptExhausted

__all__ = ["ScriptedLLM", "FunctionLLM", "RecordedCall", "ScriptExhausted", "replay", "ReplayResult", "load_script"]
_REPLAY_NAMES = ("replay", "ReplayResult", "load_script")


def __getattr__(name: str):
    """`replay`, `ReplayResult` and `load_script` are imported on first use (they pull in yaml and the runner)."""
    if name in _REPLAY_NAMES:
        import importlib

        module = importlib.import_module("chatrec.testing.replay")
        globals()["replay"] = module.replay  # importing the submodule bound its name here; the function wins
        return getattr(module, name)
    raise AttributeError(f"module 'chatrec.testing' has no attribute {name!r}")
