"""Test models that go through the same `LLM` front door as the real backends.

`ScriptedLLM` replays a queue of replies and records every call; `FunctionLLM` lets a test compute
each reply. Neither touches a network or a model file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from pydantic import BaseModel

from chatrec.llm.base import LLM, Message


class ScriptExhausted(AssertionError):
    """The scripted LLM was called more often than replies were queued."""


@dataclass
class RecordedCall:
    messages: list[Message]
    json_schema: dict | None

    @property
    def prompt(self) -> str:
        return "\n".join(m.content for m in self.messages)


def _to_text(reply: Any) -> str:
    if isinstance(reply, BaseModel):
        return reply.model_dump_json()
    if isinstance(reply, (dict, list)):
        return json.dumps(reply)
    return str(reply)


class ScriptedLLM(LLM):
    """Replies from a queue: strings, dicts, pydantic objects, or exceptions to raise.

    With `strict=True` (the default) a reply that does not fit the schema it is asked for fails
    the test at once; with `strict=False` it goes through the normal repair path.
    """

    name = "scripted"

    def __init__(self, replies: Iterable[Any] = (), *, strict: bool = True):
        super().__init__()
        self.replies: list[Any] = list(replies)
        self.calls: list[RecordedCall] = []
        self.strict = strict
        self.backoff = 0.0

    def enqueue(self, *replies: Any) -> "ScriptedLLM":
        self.replies.extend(replies)
        return self

    @property
    def remaining(self) -> int:
        return len(self.replies)

    def _next(self, messages: list[Message], json_schema: dict | None) -> str:
        self.calls.append(RecordedCall(messages=list(messages), json_schema=json_schema))
        if not self.replies:
            raise ScriptExhausted(
                f"ScriptedLLM ran out of replies at call {len(self.calls)}; last prompt ends with: "
                f"{messages[-1].content[-200:]!r}"
            )
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        text = _to_text(reply)
        if json_schema is not None and self.strict:
            _check_fits(text, json_schema, len(self.calls))
        return text

    def _generate(self, messages, *, json_schema, max_tokens, temperature) -> str:
        return self._next(messages, json_schema)

    def _stream(self, messages, *, max_tokens, temperature) -> Iterator[str]:
        text = self._next(messages, None)
        for i in range(0, len(text), 8):
            yield text[i:i + 8]


class FunctionLLM(LLM):
    """Each reply computed by `fn(messages, json_schema)`; returns str, dict or a pydantic object."""

    name = "function"

    def __init__(self, fn: Callable[[list[Message], dict | None], Any]):
        super().__init__()
        self.fn = fn
        self.calls: list[RecordedCall] = []
        self.backoff = 0.0

    def _generate(self, messages, *, json_schema, max_tokens, temperature) -> str:
        self.calls.append(RecordedCall(messages=list(messages), json_schema=json_schema))
        return _to_text(self.fn(messages, json_schema))


def _check_fits(text: str, json_schema: dict, call_no: int) -> None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"ScriptedLLM reply {call_no} is not JSON but a schema was asked for: {exc}") from None
    required = set(json_schema.get("required", []))
    properties = set(json_schema.get("properties", {}))
    if not isinstance(data, dict):
        raise AssertionError(f"ScriptedLLM reply {call_no} is not a JSON object")
    missing = required - set(data)
    unknown = set(data) - properties if properties else set()
    if missing or unknown:
        raise AssertionError(
            f"ScriptedLLM reply {call_no} does not fit the schema {json_schema.get('title')}: "
            f"missing {sorted(missing)}, unknown {sorted(unknown)}"
        )
