"""Wrap any LangChain `BaseChatModel` (ChatOpenAI, ChatOllama, ...) as a chatrec `LLM`.

Structured output uses the model's own `with_structured_output(schema, method="json_schema")`
where it is implemented and accepted; otherwise (or once the provider rejects it) the schema goes
into the prompt and the base class parses and repairs the reply. Timeouts, credentials,
`max_tokens` and temperature are the wrapped model's own settings.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Iterator

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from chatrec.errors import ConfigError, LLMError
from chatrec.llm.base import LLM, Message, TransientLLMError, ensure_real_models_allowed, with_schema_instruction

_ROLES = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
REJECTION_STATUSES = (400, 422, 500)
"""HTTP statuses with which providers reject a structured-output request they do not support."""


class _StructuredUnsupported(Exception):
    """The model cannot do `with_structured_output(..., method="json_schema")`."""


class LangChainLLM(LLM):
    """A LangChain chat model behind the chatrec `LLM` interface."""

    def __init__(self, model: BaseChatModel, *, name: str | None = None) -> None:
        super().__init__()
        if not isinstance(model, BaseChatModel):
            raise ConfigError(f"LangChainLLM needs a langchain BaseChatModel, got {type(model).__name__}")
        self.model = model
        self.name = name or f"langchain:{type(model).__name__}"
        self.structured = True
        """False once structured output failed and the prompt-and-parse path worked instead."""

    def _generate(self, messages, *, json_schema, max_tokens, temperature) -> str:
        ensure_real_models_allowed(self.name)
        lc_messages = to_langchain(messages)
        if json_schema is None:
            return self._invoke(lc_messages)
        prompted = to_langchain(with_schema_instruction(messages, json_schema))
        if not self.structured:
            return self._invoke(prompted)
        try:
            return self._structured(lc_messages, json_schema)
        except _StructuredUnsupported:
            text = self._invoke(prompted)
            self.structured = False  # remembered only once the prompt path has worked
            return text

    def _invoke(self, lc_messages: list[BaseMessage]) -> str:
        try:
            return content_text(self.model.invoke(lc_messages).content)
        except Exception as exc:
            raise map_provider_error(exc, where=self.name) from None

    def _structured(self, lc_messages: list[BaseMessage], json_schema: dict) -> str:
        try:
            runnable = self.model.with_structured_output(json_schema, method="json_schema", include_raw=True)
            out = runnable.invoke(lc_messages)
        except (NotImplementedError, ValueError, TypeError):
            raise _StructuredUnsupported from None
        except Exception as exc:
            if getattr(exc, "status_code", None) in REJECTION_STATUSES:
                raise _StructuredUnsupported from None
            raise map_provider_error(exc, where=self.name) from None
        parsed = out.get("parsed")
        if isinstance(parsed, BaseModel):
            parsed = parsed.model_dump()
        if isinstance(parsed, dict):
            return json.dumps(parsed)
        raw = out.get("raw")
        return content_text(raw.content) if raw is not None else ""

    def _stream(self, messages, *, max_tokens, temperature) -> Iterator[str]:
        ensure_real_models_allowed(self.name)
        try:
            for chunk in self.model.stream(to_langchain(messages)):
                text = content_text(chunk.content)
                if text:
                    yield text
        except LLMError:
            raise
        except Exception as exc:
            raise map_provider_error(exc, where=self.name) from None


def to_langchain(messages: list[Message]) -> list[BaseMessage]:
    """chatrec messages as LangChain messages."""
    return [_ROLES[m.role](content=m.content) for m in messages]


def content_text(content: Any) -> str:
    """The text of a LangChain message content (a string or a list of content blocks)."""
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
    return "".join(parts)


def map_provider_error(exc: Exception, *, where: str) -> LLMError:
    """A typed chatrec error for whatever the wrapped provider raised."""
    if isinstance(exc, LLMError):
        return exc
    if "openai" in sys.modules:  # ChatOpenAI and friends raise the openai SDK's errors
        import openai

        if isinstance(exc, openai.OpenAIError):
            from chatrec.llm.openai_compat import map_openai_error
            return map_openai_error(exc, where=where)
    status = getattr(exc, "status_code", None)
    if isinstance(exc, (ConnectionError, TimeoutError)) or status == 429 or (isinstance(status, int) and status >= 500):
        return TransientLLMError(f"{where} failed: {exc}")
    return LLMError(f"{where} failed: {type(exc).__name__}: {str(exc)[:300]}")
