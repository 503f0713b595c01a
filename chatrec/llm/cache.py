"""`CachedLLM`: answers of another LLM kept in a SQLite file, keyed by the exact request.

For evaluation re-runs: the ReDial protocol asks the LLM the same extraction questions every time
the ranking weights change, and the embedded model needs seconds per question. Only deterministic
requests (temperature 0) are cached; streamed text is never cached.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Iterator

from chatrec.llm.base import LLM, Message


class CachedLLM(LLM):
    """Wraps `inner`; a request seen before (same model, messages, schema, limits) is answered from `path`."""

    def __init__(self, inner: LLM, path: str | Path):
        super().__init__()
        self.inner = inner
        self.name = f"{inner.name}+cache"
        self.max_retries = inner.max_retries
        self.backoff = inner.backoff
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._conn.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, text TEXT NOT NULL)")
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _key(self, messages: list[Message], json_schema: dict | None, max_tokens: int) -> str:
        request = {"model": self.inner.name, "messages": [m.model_dump() for m in messages],
                   "schema": json_schema, "max_tokens": max_tokens}
        return hashlib.sha256(json.dumps(request, sort_keys=True).encode("utf-8")).hexdigest()

    def _generate(self, messages, *, json_schema, max_tokens, temperature) -> str:
        if temperature != 0:
            return self.inner._generate(messages, json_schema=json_schema, max_tokens=max_tokens, temperature=temperature)
        key = self._key(messages, json_schema, max_tokens)
        with self._lock:
            row = self._conn.execute("SELECT text FROM answers WHERE key = ?", (key,)).fetchone()
        if row is not None:
            self.hits += 1
            return row[0]
        self.misses += 1
        text = self.inner._generate(messages, json_schema=json_schema, max_tokens=max_tokens, temperature=temperature)
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO answers VALUES (?, ?)", (key, text))
        return text

    def _stream(self, messages, *, max_tokens, temperature) -> Iterator[str]:
        yield from self.inner._stream(messages, max_tokens=max_tokens, temperature=temperature)

    def close(self) -> None:
        self._conn.close()
