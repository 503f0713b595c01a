"""The one LLM interface: messages in; text, a stream of text, or a validated pydantic object out.

Every backend (llama.cpp in-process, an OpenAI-compatible endpoint, a LangChain chat model, the
test models) subclasses `LLM` and implements `_generate` (and `_stream` when it can stream).
Validation, one repair attempt, retries with backoff and failure counters live here, once.
The core of chatrec imports no provider SDK.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Iterator, Literal, TypeVar, overload

from pydantic import BaseModel, ValidationError

from chatrec.errors import LLMError, LLMOutputError, LLMUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)

ALLOW_REAL_MODELS = True
"""The test suite sets this False so that an accidental call to a real model fails."""


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class TransientLLMError(LLMError):
    """A failure worth retrying (connection reset, 429, 5xx, timeout)."""


@dataclass
class LLMStats:
    """Counters a UI or a health check can show."""

    calls: int = 0
    failures: int = 0
    retries: int = 0
    repairs: int = 0
    seconds: float = 0.0
    last_error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def as_dict(self) -> dict:
        return {"calls": self.calls, "failures": self.failures, "retries": self.retries,
                "repairs": self.repairs, "seconds": round(self.seconds, 3), "last_error": self.last_error}


def ensure_real_models_allowed(backend: str) -> None:
    if not ALLOW_REAL_MODELS:
        raise AssertionError(
            f"a test tried to call the real LLM backend {backend!r}; use chatrec.testing.ScriptedLLM "
            "or mark the test with @pytest.mark.real_llm"
        )


def extract_json(text: str) -> str:
    """The JSON object inside a reply that may wrap it in prose or a ``` fence."""
    fenced = re.search(r"```(?:json)?\s*(\{.*\})\s*```", text, re.S)
    if fenced:
        return fenced.group(1)
    start = text.find("{")
    end = text.rfind("}")
    return text[start:end + 1] if 0 <= start < end else text


def as_messages(messages: list[Message] | list[dict] | str) -> list[Message]:
    if isinstance(messages, str):
        return [Message(role="user", content=messages)]
    return [m if isinstance(m, Message) else Message(**m) for m in messages]


class LLM(ABC):
    """Base class of every backend. Subclasses implement `_generate` and optionally `_stream`."""

    name: str = "llm"
    is_null: bool = False
    """True for the `none` backend: callers take their deterministic paths instead of calling."""
    max_retries: int = 2
    backoff: float = 0.5

    def __init__(self) -> None:
        self.stats = LLMStats()

    @abstractmethod
    def _generate(self, messages: list[Message], *, json_schema: dict | None, max_tokens: int,
                  temperature: float) -> str:
        """One raw completion; raise TransientLLMError for failures worth retrying."""

    def _stream(self, messages: list[Message], *, max_tokens: int, temperature: float) -> Iterator[str]:
        yield self._generate(messages, json_schema=None, max_tokens=max_tokens, temperature=temperature)

    @overload
    def complete(self, messages, *, schema: None = None, max_tokens: int = ..., temperature: float = ...) -> str: ...
    @overload
    def complete(self, messages, *, schema: type[T], max_tokens: int = ..., temperature: float = ...) -> T: ...

    def complete(self, messages, *, schema=None, max_tokens: int = 512, temperature: float = 0.0):
        """Text, or an instance of `schema` (validated; one repair attempt, then LLMOutputError)."""
        msgs = as_messages(messages)
        if schema is None:
            return self._call(msgs, None, max_tokens, temperature)
        json_schema = schema.model_json_schema()
        raw = self._call(msgs, json_schema, max_tokens, temperature)
        try:
            return self._parse(raw, schema)
        except (ValidationError, ValueError) as first:
            self.stats.repairs += 1
            repair = msgs + [
                Message(role="assistant", content=raw[:2000]),
                Message(role="user", content=(
                    "That reply was not valid JSON for the schema: " + _short_error(first)
                    + "\nReply again with only the corrected JSON object.")),
            ]
            raw = self._call(repair, json_schema, max_tokens, temperature)
            try:
                return self._parse(raw, schema)
            except (ValidationError, ValueError) as second:
                self._fail(f"invalid output after a repair attempt: {_short_error(second)}")
                raise LLMOutputError(f"{self.name} did not return valid {schema.__name__}: {_short_error(second)}") from None

    def stream(self, messages, *, max_tokens: int = 256, temperature: float = 0.0) -> Iterator[str]:
        """Text pieces as they are generated."""
        msgs = as_messages(messages)
        start = time.perf_counter()
        self.stats.calls += 1
        try:
            yield from self._stream(msgs, max_tokens=max_tokens, temperature=temperature)
        except LLMError as exc:
            self._fail(str(exc))
            raise
        except AssertionError:
            raise
        except Exception as exc:
            self._fail(f"{type(exc).__name__}: {exc}", logged=type(exc).__name__)
            raise LLMUnavailable(f"{self.name} failed while streaming ({type(exc).__name__})") from None
        finally:
            self.stats.seconds += time.perf_counter() - start

    def _call(self, msgs: list[Message], json_schema: dict | None, max_tokens: int, temperature: float) -> str:
        attempt = 0
        while True:
            start = time.perf_counter()
            self.stats.calls += 1
            try:
                return self._generate(msgs, json_schema=json_schema, max_tokens=max_tokens, temperature=temperature)
            except TransientLLMError as exc:
                if attempt >= self.max_retries:
                    self._fail(str(exc))
                    raise LLMUnavailable(f"{self.name} failed after {attempt + 1} attempts: {exc}") from None
                attempt += 1
                self.stats.retries += 1
                time.sleep(self.backoff * (2 ** (attempt - 1)))
            except LLMError as exc:
                self._fail(str(exc))
                raise
            except AssertionError:
                raise
            except Exception as exc:  # an adapter bug or an SDK error we do not know: typed, not a trace
                self._fail(f"{type(exc).__name__}: {exc}", logged=type(exc).__name__)
                raise LLMUnavailable(f"{self.name} failed ({type(exc).__name__})") from None
            finally:
                self.stats.seconds += time.perf_counter() - start

    @staticmethod
    def _parse(raw: str, schema: type[T]) -> T:
        return schema.model_validate_json(extract_json(raw))

    def _fail(self, message: str, *, logged: str | None = None) -> None:
        """Count a failure; the log gets `logged` (no request text) when the message may echo the request."""
        self.stats.failures += 1
        self.stats.last_error = message[:300]
        log.warning("LLM %s failure: %s", self.name, (logged if logged is not None else message)[:300])

    def close(self) -> None:
        """Release resources (subclasses with servers or models override)."""


class NoLLM(LLM):
    """The `none` backend: no model at all; chatrec uses grounded rules and templates."""

    name = "none"
    is_null = True

    def _generate(self, messages, *, json_schema, max_tokens, temperature) -> str:
        raise LLMUnavailable("no LLM is configured (CHATREC_LLM=none)")


def _short_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'root'}: {e['msg']}" for e in exc.errors()[:5])
    return str(exc)[:300]


def schema_instruction(json_schema: dict) -> str:
    """A compact instruction for backends that cannot constrain decoding to a schema."""
    return "Reply with one JSON object that matches this JSON schema, and nothing else:\n" + json.dumps(json_schema)


def with_schema_instruction(messages: list[Message], json_schema: dict) -> list[Message]:
    """The messages with `schema_instruction` appended to the system message (or put first)."""
    instruction = schema_instruction(json_schema)
    if messages and messages[0].role == "system":
        first = Message(role="system", content=messages[0].content + "\n\n" + instruction)
        return [first] + list(messages[1:])
    return [Message(role="system", content=instruction)] + list(messages)
