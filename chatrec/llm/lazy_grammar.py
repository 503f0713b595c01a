"""Greedy grammar-constrained decoding that checks the grammar only where it matters.

llama-cpp-python's sampler chain applies a grammar to the whole vocabulary before it picks a
token: 152k candidates for the embedded Qwen model, every token. That is most of the cost of an
extraction call on this CPU (about 60 ms per token with the grammar, 35 ms without). llama.cpp's
own `common_sampler` does it lazily: take the model's best token, check that one token against
the grammar, and only when the grammar rejects it apply the grammar to every candidate. For
greedy decoding the result is the same token either way (the best token the grammar allows), so
outputs do not change; only the time does.

`GrammarLlama` is a `Llama` whose greedy (temperature 0) grammar calls use `LazyGrammarSampler`;
every other call goes through llama-cpp-python's own sampler chain.
"""

from __future__ import annotations

import ctypes
import logging
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

SHORTLIST = 32
"""Candidates checked in the second step, before falling back to the whole vocabulary."""


class LazyGrammarSampler:
    """The best grammar-allowed token, checking the top token, then a shortlist, then everything.

    Implements the part of llama-cpp-python's `LlamaSampler` that `Llama.sample` uses
    (`sample(ctx, idx)`); like `llama_sampler_sample`, it also advances the grammar with the
    chosen token.
    """

    def __init__(self, vocab: Any, grammar: Any, n_vocab: int) -> None:
        import llama_cpp

        self._lib = llama_cpp
        self.n_vocab = n_vocab
        self._grammar = llama_cpp.llama_sampler_init_grammar(vocab, grammar._grammar.encode("utf-8"),
                                                             grammar._root.encode("utf-8"))
        if not self._grammar:
            raise ValueError("llama.cpp could not parse the grammar")
        self._buffer = (llama_cpp.llama_token_data * n_vocab)()
        self._view = np.ctypeslib.as_array(self._buffer)  # structured view: id, logit, p
        self.checks = {"top": 0, "shortlist": 0, "vocabulary": 0}

    def _allowed(self, ids: np.ndarray, logits: np.ndarray) -> np.ndarray:
        """The grammar's verdict on each candidate (in the given order)."""
        n = len(ids)
        self._view["id"][:n] = ids
        self._view["logit"][:n] = logits
        self._view["p"][:n] = 0.0
        array = self._lib.llama_token_data_array(
            data=ctypes.cast(self._buffer, self._lib.llama_token_data_p), size=n, selected=-1, sorted=False)
        self._lib.llama_sampler_apply(self._grammar, ctypes.byref(array))
        return np.isfinite(self._view["logit"][:n])

    def sample(self, ctx: Any, idx: int = -1) -> int:
        pointer = self._lib.llama_get_logits_ith(ctx.ctx, idx)
        logits = np.ctypeslib.as_array(pointer, shape=(self.n_vocab,))
        token = self._pick(logits)
        self._lib.llama_sampler_accept(self._grammar, token)
        return token

    def _pick(self, logits: np.ndarray) -> int:
        best = int(np.argmax(logits))
        if self._allowed(np.array([best]), logits[[best]])[0]:
            self.checks["top"] += 1
            return best
        shortlist = np.argpartition(-logits, SHORTLIST)[:SHORTLIST]
        shortlist = shortlist[np.argsort(-logits[shortlist], kind="stable")]
        allowed = self._allowed(shortlist, logits[shortlist])
        if allowed.any():
            self.checks["shortlist"] += 1
            return int(shortlist[int(np.argmax(allowed))])
        self.checks["vocabulary"] += 1
        order = np.argsort(-logits, kind="stable")
        allowed = self._allowed(order, logits[order])
        if not allowed.any():
            raise ValueError("the grammar allows no token here")
        return int(order[int(np.argmax(allowed))])

    def close(self) -> None:
        if self._grammar:
            self._lib.llama_sampler_free(self._grammar)
            self._grammar = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter teardown  # noqa: BLE001
            pass


def grammar_llama_class():
    """`llama_cpp.Llama` with lazy greedy grammar decoding (the plain class if this version lacks the hook)."""
    from llama_cpp import Llama

    if not hasattr(Llama, "_init_sampler"):
        log.info("llama-cpp-python has no _init_sampler; grammar decoding stays eager")
        return Llama

    class GrammarLlama(Llama):
        def _init_sampler(self, *args, **kwargs):
            grammar = kwargs.get("grammar")
            plain = (kwargs.get("temp", 0.8) == 0.0 and not kwargs.get("logits_processor")
                     and kwargs.get("repeat_penalty", 1.0) == 1.0 and kwargs.get("frequency_penalty", 0.0) == 0.0
                     and kwargs.get("presence_penalty", 0.0) == 0.0 and not args)
            if grammar is not None and plain:
                return LazyGrammarSampler(self._model.vocab, grammar, self._n_vocab)
            return super()._init_sampler(*args, **kwargs)

    return GrammarLlama
