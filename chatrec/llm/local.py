"""The in-process backend: llama-cpp-python running a GGUF (the embedded one, or any user file).

The weights of one model (path, threads, context size) are loaded once per process and shared by
every `LocalLLM`; calls are serialised with one lock per model. Chat goes through the model's own
chat template; a JSON schema becomes a llama.cpp grammar, so the output is always parseable JSON
of the right shape (values are still the model's guess).

Prefix reuse: llama.cpp keeps the KV cache of the last prompt and only evaluates the tokens after
the longest common prefix. A turn alternates two prompt families (extraction, then explanations),
each with a fixed system prompt + few-shot block, so each family gets its own llama.cpp context
(`MAX_CONTEXTS`, keyed by the system prompt): the family's prefix stays in its KV cache between
calls and is never evaluated again, nor saved and restored (a `LlamaRAMCache` did that: ~0.3-1 s a
call on this CPU). The weights are memory-mapped, so a second context costs its KV cache and
buffers, not a second copy of the model. Prompt evaluation itself cannot be interrupted: the
timeout is checked between generated tokens. A stream holds the model until it is consumed or
closed.
"""

from __future__ import annotations

import atexit
import json
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from chatrec.errors import ChatRecError, LLMError, LLMUnavailable
from chatrec.llm.base import LLM, Message, ensure_real_models_allowed
from chatrec.settings import Settings

DEFAULT_N_CTX = 4096


MAX_CONTEXTS = 3
"""Contexts per model: one per prompt family (extraction, explanation) and one for anything else."""


@dataclass
class SharedModel:
    """One model's contexts (one per prompt family) and the lock that serialises calls to them."""

    path: Path
    lock: threading.Lock
    load_seconds: float
    make_context: Callable[[], Any]
    contexts: OrderedDict = field(default_factory=OrderedDict)

    @property
    def llama(self) -> Any:
        """The most recently used context (benchmarks and tests that drive llama.cpp directly)."""
        return next(reversed(self.contexts.values()))

    def context(self, family: str) -> Any:
        """The context that keeps this prompt family's prefix; the least recently used one makes room."""
        llama = self.contexts.get(family)
        if llama is None:
            if len(self.contexts) >= MAX_CONTEXTS:
                _, oldest = self.contexts.popitem(last=False)
                oldest.close()
            llama = self.contexts[family] = self.make_context()
        self.contexts.move_to_end(family)
        return llama

    def close(self) -> None:
        for llama in self.contexts.values():
            llama.close()
        self.contexts.clear()


log = logging.getLogger(__name__)
_MODELS: dict[tuple, SharedModel] = {}
_MODELS_LOCK = threading.Lock()


def shared_model(path: Path, *, threads: int, n_ctx: int = DEFAULT_N_CTX, prompt_cache_mb: int = 0) -> SharedModel:
    """The process-wide model for these parameters, loaded on first use."""
    key = (str(path), threads, n_ctx, prompt_cache_mb)
    with _MODELS_LOCK:
        model = _MODELS.get(key)
        if model is None:
            model = _load(path, threads=threads, n_ctx=n_ctx, prompt_cache_mb=prompt_cache_mb)
            if not _MODELS:
                # free models before interpreter teardown, when llama_cpp's own __del__ can no longer run
                atexit.register(unload_all)
            _MODELS[key] = model
        return model


def unload_all() -> None:
    """Drop every shared model (tests and benchmarks; sessions never need this)."""
    with _MODELS_LOCK:
        for model in _MODELS.values():
            if model.lock.acquire(timeout=5):  # a call still running keeps its model
                model.close()
                model.lock.release()
        _MODELS.clear()


def _load(path: Path, *, threads: int, n_ctx: int, prompt_cache_mb: int) -> SharedModel:
    try:
        from llama_cpp import LlamaRAMCache

        from chatrec.llm.lazy_grammar import grammar_llama_class
        Llama = grammar_llama_class()
    except ImportError:
        raise LLMUnavailable("llama-cpp-python is not installed; pip install 'chatrec[local]', "
                             "or choose another backend with CHATREC_LLM (none, openai:MODEL, gguf:/path)") from None

    def make_context():
        try:
            llama = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
                          verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            raise LLMUnavailable(f"llama.cpp could not load {path}: {exc}") from None
        if prompt_cache_mb > 0:
            llama.set_cache(_compact_ram_cache(LlamaRAMCache, prompt_cache_mb << 20))
        return llama

    start = time.perf_counter()
    model = SharedModel(path=path, lock=threading.Lock(), load_seconds=0.0, make_context=make_context)
    model.context("")  # load now: a file llama.cpp cannot read fails here, not in the first turn
    model.load_seconds = time.perf_counter() - start
    return model


def _compact_ram_cache(base: type, capacity_bytes: int):
    """A `LlamaRAMCache` that stays within its capacity.

    llama-cpp-python's own keeps, with every saved state, a copy of the model's score matrix
    (n_batch x vocabulary floats: 311 MB for this model's 152k-token vocabulary) that its size
    accounting leaves out, so the cache grows without bound (an evaluation run reached 24 GB).
    Without `logits_all` those scores are never read back (sampling reads the context's own
    logits), so this cache keeps one row of them and counts everything it keeps.
    """

    class CompactRAMCache(base):
        @property
        def cache_size(self) -> int:
            return sum(int(state.llama_state_size) + state.scores.nbytes + state.input_ids.nbytes
                       for state in self.cache_state.values())

        def __setitem__(self, key, value) -> None:
            if value.scores.ndim == 2 and value.scores.shape[0] > 1:
                value.scores = value.scores[-1:].copy()
            super().__setitem__(key, value)

    return CompactRAMCache(capacity_bytes=capacity_bytes)


def _keep_prefix(llama) -> None:
    """Save the model's state to the prompt cache after a generation stopped early.

    llama-cpp-python saves it only when a generation runs to its end; an explanation stopped at
    its first sentence (or at the turn budget) would otherwise leave no cached explanation
    prefix, and every later explanation would read the whole prompt again.
    """
    if getattr(llama, "cache", None) is None or not llama.n_tokens:
        return
    try:
        llama.cache[llama.input_ids[:llama.n_tokens].tolist()] = llama.save_state()
    except (RuntimeError, ValueError, MemoryError) as exc:  # the cache is an optimisation only
        log.debug("could not keep the prompt state: %s", exc)


class LocalLLM(LLM):
    """llama-cpp-python in-process; `model_path=None` means the embedded, verified GGUF."""

    name = "local"
    max_retries = 0  # nothing transient happens in-process

    def __init__(self, settings: Settings, *, model_path: str | Path | None = None,
                 n_ctx: int = DEFAULT_N_CTX, prompt_cache_mb: int = 0) -> None:
        super().__init__()
        self.settings = settings
        self.model_path = Path(model_path) if model_path is not None else None
        if self.model_path is not None:
            self.name = f"gguf:{self.model_path.name}"
        self.n_ctx = n_ctx
        self.prompt_cache_mb = prompt_cache_mb
        self.timeout = settings.llm_timeout
        self._grammars: dict[str, Any] = {}

    def load(self) -> SharedModel:
        """Assemble (embedded model only) and load the model now instead of at the first call."""
        ensure_real_models_allowed(self.name)
        path = self.model_path
        if path is None:
            from chatrec.llm.gguf import ensure_embedded_gguf
            try:
                path = ensure_embedded_gguf(self.settings)
            except ChatRecError as exc:
                raise LLMUnavailable(str(exc)) from None
        return shared_model(path, threads=self.settings.llm_threads, n_ctx=self.n_ctx,
                            prompt_cache_mb=self.prompt_cache_mb)

    def _generate(self, messages, *, json_schema, max_tokens, temperature) -> str:
        return "".join(self._run(messages, json_schema=json_schema, max_tokens=max_tokens, temperature=temperature))

    def _stream(self, messages, *, max_tokens, temperature) -> Iterator[str]:
        yield from self._run(messages, json_schema=None, max_tokens=max_tokens, temperature=temperature)

    def _run(self, messages: list[Message], *, json_schema: dict | None, max_tokens: int,
             temperature: float) -> Iterator[str]:
        model = self.load()
        deadline = time.monotonic() + self.timeout
        if not model.lock.acquire(timeout=self.timeout):
            raise LLMUnavailable(f"{self.name} stayed busy with other calls for {self.timeout:g}s")
        try:
            family = messages[0].content if messages and messages[0].role == "system" else ""
            llama = model.context(family)
            chunks = llama.create_chat_completion(
                messages=[m.model_dump() for m in messages], stream=True, max_tokens=max_tokens,
                temperature=temperature, grammar=self._grammar(json_schema) if json_schema else None,
            )
            finished = False
            try:
                for chunk in chunks:
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        yield piece
                    if time.monotonic() > deadline:
                        raise LLMUnavailable(f"{self.name} took longer than {self.timeout:g}s (CHATREC_LLM_TIMEOUT)")
                finished = True
            except ValueError as exc:  # e.g. the prompt does not fit the context window
                raise LLMError(f"{self.name} cannot take this prompt: {exc}") from None
            finally:
                chunks.close()
                if not finished:
                    _keep_prefix(llama)
        finally:
            model.lock.release()

    def _grammar(self, json_schema: dict):
        from llama_cpp import LlamaGrammar

        key = json.dumps(json_schema, sort_keys=True)
        if key not in self._grammars:
            try:
                # the schema's own property order: the grammar makes the model write the fields in
                # this order, and the prompt's examples follow it (sorted keys would forbid
                # "disliked_genres" after "liked_genres")
                self._grammars[key] = LlamaGrammar.from_json_schema(json.dumps(bounded(json_schema)), verbose=False)
            except (ValueError, RuntimeError) as exc:
                raise LLMError(f"{self.name} cannot turn the schema into a grammar: {exc}") from None
        return self._grammars[key]


MAX_GRAMMAR_ITEMS = 4
"""A small model sometimes runs on listing ("seen it" -> feedback on all five picks, ~60 tokens);
the grammar stops every list at this many items. One message rarely names more of one kind."""


def bounded(schema: Any) -> Any:
    """A copy of a JSON schema whose arrays hold at most `MAX_GRAMMAR_ITEMS` items (for the grammar only)."""
    if isinstance(schema, dict):
        out = {k: bounded(v) for k, v in schema.items()}
        if out.get("type") == "array" and "maxItems" not in out:
            out["maxItems"] = MAX_GRAMMAR_ITEMS
        return out
    if isinstance(schema, list):
        return [bounded(v) for v in schema]
    return schema
