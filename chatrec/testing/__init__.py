"""Test helpers that ship with chatrec: scripted LLMs and the conversation replay runner."""

from chatrec.testing.models import FunctionLLM, RecordedCall, ScriptedLLM, ScriptExhausted

__all__ = ["ScriptedLLM", "FunctionLLM", "RecordedCall", "ScriptExhausted"]
