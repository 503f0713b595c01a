"""The LLM layer: one interface (`LLM`), adapters for each backend, and `make_llm` to pick one."""

from chatrec.llm.base import LLM, LLMStats, Message, NoLLM, TransientLLMError
from chatrec.llm.factory import make_llm

__all__ = ["LLM", "LLMStats", "Message", "NoLLM", "TransientLLMError", "make_llm"]
