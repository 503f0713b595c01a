"""One contract for every LLM backend: text, stream, a schema-validated object, and the error paths.

The scripted and function models run everywhere; the embedded llama.cpp model and the openai
adapter (against a real `python -m llama_cpp.server` on 127.0.0.1) run under `-m real_llm`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from chatrec.dialogue.schema import InterestDelta
from chatrec.errors import ConfigError, LLMOutputError, LLMUnavailable
from chatrec.llm import LLM, Message, TransientLLMError
from chatrec.llm.factory import make_llm
from chatrec.settings import Settings
from chatrec.testing import FunctionLLM, ScriptedLLM

EXTRACT = [
    Message(role="system", content="List the movie tastes in the user's message as JSON. Copy words from the message."),
    Message(role="user", content="I like comedies with Jim Carrey"),
    Message(role="assistant", content='{"liked_genres": ["comedy"], "liked_people": ["Jim Carrey"]}'),
    Message(role="user", content="I love sci-fi like Inception but no horror please"),
]
GOOD = InterestDelta(liked_titles=["Inception"], liked_genres=["sci-fi"], disliked_genres=["horror"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def gguf_path(request) -> Path:
    """The embedded GGUF, assembled once into CHATREC_HOME or the pytest cache."""
    pytest.importorskip("llama_cpp")
    from chatrec.llm.gguf import ensure_embedded_gguf

    home = os.environ.get("CHATREC_HOME") or request.config.cache.mkdir("chatrec-home")
    try:
        return ensure_embedded_gguf(Settings(home=Path(home)))
    except ConfigError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def llama_server(gguf_path, tmp_path_factory) -> str:
    """Base URL of a real llama.cpp OpenAI-compatible server, stopped after the module."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_path), "--host", "127.0.0.1",
             "--port", str(port), "--n_threads", "2", "--n_ctx", "2048"],
            stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n{log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(base_url + "/models", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"llama_cpp.server not ready after 120s:\n{log_path.read_text()[-2000:]}")
                time.sleep(0.5)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _function_reply(messages: list[Message], json_schema: dict | None):
    return GOOD if json_schema is not None else "Hello from a function."


@pytest.fixture(params=[
    "scripted",
    "function",
    pytest.param("local", marks=pytest.mark.real_llm),
    pytest.param("openai", marks=pytest.mark.real_llm),
])
def backend(request) -> LLM:
    kind = request.param
    if kind == "scripted":
        return ScriptedLLM()
    if kind == "function":
        return FunctionLLM(_function_reply)
    gguf = request.getfixturevalue("gguf_path")
    if kind == "local":
        return make_llm(f"gguf:{gguf}", Settings(home=gguf.parent.parent, llm_timeout=120))
    return make_llm("openai", Settings(openai_base_url=request.getfixturevalue("llama_server"), llm_timeout=120))


def prime(llm: LLM, *replies) -> None:
    """Queue replies for the scripted backend; the others answer for themselves."""
    if isinstance(llm, ScriptedLLM):
        llm.enqueue(*replies)


# ---- the contract --------------------------------------------------------------------------------

def test_text(backend):
    prime(backend, "Hello there.")
    out = backend.complete([Message(role="system", content="Answer in a few words."),
                            Message(role="user", content="Say hello.")], max_tokens=16)
    assert isinstance(out, str) and out.strip()
    assert backend.stats.calls >= 1 and backend.stats.failures == 0


def test_stream(backend):
    prime(backend, "Red, green and blue.")
    pieces = list(backend.stream("Name three colours.", max_tokens=16))
    assert pieces and all(isinstance(p, str) for p in pieces)
    assert "".join(pieces).strip()


def test_schema_object(backend):
    prime(backend, GOOD)
    out = backend.complete(EXTRACT, schema=InterestDelta, max_tokens=200)
    assert isinstance(out, InterestDelta)
    assert backend.stats.failures == 0


def test_schema_is_passed_to_the_backend():
    llm = ScriptedLLM([GOOD])
    llm.complete(EXTRACT, schema=InterestDelta)
    assert llm.calls[0].json_schema == InterestDelta.model_json_schema()
    assert llm.calls[0].messages[-1].content == EXTRACT[-1].content


# ---- error paths ------------------------------------------------------------------------------

@pytest.fixture(params=["scripted", "function"])
def garbage_llm(request) -> LLM:
    if request.param == "scripted":
        return ScriptedLLM(["this is not json", "{still not json"], strict=False)
    return FunctionLLM(lambda messages, schema: "Sure! Here you go: liked sci-fi")


def test_garbage_json_gets_one_repair_then_a_typed_error(garbage_llm):
    with pytest.raises(LLMOutputError, match="InterestDelta"):
        garbage_llm.complete(EXTRACT, schema=InterestDelta)
    assert garbage_llm.stats.repairs == 1
    assert garbage_llm.stats.calls == 2
    assert garbage_llm.stats.failures == 1


def test_repair_attempt_can_succeed():
    llm = ScriptedLLM(["```json\n{oops}\n```", GOOD], strict=False)
    assert llm.complete(EXTRACT, schema=InterestDelta) == GOOD
    repair_prompt = llm.calls[1].messages[-1].content
    assert "not valid JSON for the schema" in repair_prompt


@pytest.mark.parametrize("reply", [{"liked_titles": "Inception"}, {"year_min": "the eighties"}])
def test_schema_mismatch_fails_after_repair(reply):
    llm = FunctionLLM(lambda messages, schema: reply)
    with pytest.raises(LLMOutputError):
        llm.complete(EXTRACT, schema=InterestDelta)
    assert len(llm.calls) == 2


def test_strict_scripted_reply_that_does_not_fit_fails_the_test():
    llm = ScriptedLLM([{"likes": ["sci-fi"]}])
    with pytest.raises(AssertionError, match="does not fit the schema"):
        llm.complete(EXTRACT, schema=InterestDelta)


def test_transient_errors_are_retried():
    llm = ScriptedLLM([TransientLLMError("connection reset"), "fine"])
    assert llm.complete("hi") == "fine"
    assert llm.stats.retries == 1


def test_transient_errors_give_up_with_unavailable():
    llm = ScriptedLLM([TransientLLMError("503")] * 3)
    with pytest.raises(LLMUnavailable, match="after 3 attempts"):
        llm.complete("hi")


def test_unknown_spec_lists_valid_forms():
    with pytest.raises(ConfigError) as info:
        make_llm("gpt4all:foo", Settings())
    for form in ("local", "none", "gguf:", "openai", "langchain:"):
        assert form in str(info.value)


def test_guard_blocks_real_backends_in_unmarked_tests(tmp_path):
    local = make_llm("local", Settings(home=tmp_path))
    with pytest.raises(AssertionError, match="real_llm"):
        local.complete("hi")
    remote = make_llm("openai:m", Settings(openai_base_url=f"http://127.0.0.1:{free_port()}/v1"))
    with pytest.raises(AssertionError, match="real_llm"):
        remote.complete("hi")
    assert not (tmp_path / "models").exists()


def test_server_down_is_unavailable_quickly(monkeypatch):
    monkeypatch.setattr("chatrec.llm.base.ALLOW_REAL_MODELS", True)  # nothing listens: no model is called
    llm = make_llm("openai:m", Settings(openai_base_url=f"http://127.0.0.1:{free_port()}/v1", llm_timeout=5))
    start = time.monotonic()
    with pytest.raises(LLMUnavailable, match="cannot connect"):
        llm.complete("hi")
    assert time.monotonic() - start < 10
    assert llm.stats.retries == llm.max_retries


# ---- real backends only -------------------------------------------------------------------------

@pytest.mark.real_llm
def test_local_model_is_shared_and_calls_are_serialised(gguf_path):
    settings = Settings(home=gguf_path.parent.parent, llm_timeout=120)
    a, b = make_llm(f"gguf:{gguf_path}", settings), make_llm(f"gguf:{gguf_path}", settings)
    assert a.load() is b.load()
    results: list = []
    threads = [threading.Thread(target=lambda llm=llm: results.append(llm.complete("Say hi.", max_tokens=8)))
               for llm in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == 2 and all(isinstance(r, str) for r in results)


@pytest.mark.real_llm
def test_local_timeout_is_a_typed_error(gguf_path):
    llm = make_llm(f"gguf:{gguf_path}", Settings(home=gguf_path.parent.parent, llm_timeout=0.01))
    with pytest.raises(LLMUnavailable, match="longer than"):
        llm.complete("Write a long story about a dragon.", max_tokens=64)
    assert llm.stats.failures == 1


@pytest.mark.real_llm
def test_openai_adapter_steps_down_when_json_schema_is_rejected(llama_server):
    from chatrec.llm.openai_compat import STRUCTURED_MODES

    llm = make_llm("openai", Settings(openai_base_url=llama_server, llm_timeout=120))
    assert isinstance(llm.complete(EXTRACT, schema=InterestDelta, max_tokens=200), InterestDelta)
    # llama-cpp-python's server rejects response_format json_schema (with HTTP 500) but takes a schema in json_object
    assert llm.structured_mode == STRUCTURED_MODES[1]


@pytest.mark.real_llm
def test_openai_timeout_is_a_typed_error(llama_server):
    llm = make_llm("openai", Settings(openai_base_url=llama_server, llm_timeout=0.05))
    llm.backoff = 0.0
    llm.model = "any"  # skip the model lookup, which would time out the same way
    with pytest.raises(LLMUnavailable, match="did not answer"):
        llm.complete("Write a long story about a dragon.", max_tokens=8)


def test_the_local_prompt_cache_stays_within_its_capacity():
    """llama-cpp-python's LlamaRAMCache keeps an uncounted (n_batch x vocab) score copy per state
    (311 MB each for the embedded model); ours keeps one row and counts everything."""
    np = pytest.importorskip("numpy")
    llama_cpp = pytest.importorskip("llama_cpp")
    from chatrec.llm.local import _compact_ram_cache

    cache = _compact_ram_cache(llama_cpp.LlamaRAMCache, 4 << 20)
    for i in range(40):
        state = llama_cpp.llama.LlamaState(
            input_ids=np.arange(600 + i, dtype=np.intc), scores=np.ones((512, 4000), dtype=np.single),
            n_tokens=600 + i, llama_state=b"\0" * 200_000, llama_state_size=200_000, seed=0)
        cache[tuple(range(600 + i))] = state
        assert cache.cache_size <= 4 << 20
    assert 10 <= len(cache.cache_state) <= 20
    assert all(s.scores.shape == (1, 4000) for s in cache.cache_state.values())
    assert cache[tuple(range(630))].n_tokens == 630  # the longest stored prefix is found


@pytest.mark.real_llm
def test_lazy_grammar_decoding_writes_what_the_eager_grammar_writes(gguf_path):
    """Checking the grammar on the best token first changes the time of a greedy call, not its output."""
    from llama_cpp import Llama, LlamaGrammar

    from chatrec.llm.lazy_grammar import LazyGrammarSampler, grammar_llama_class
    from chatrec.llm.local import LocalLLM

    grammar = LocalLLM(Settings(home=gguf_path.parent.parent))._grammar(InterestDelta.model_json_schema())
    messages = [m.model_dump() for m in EXTRACT]
    outputs = {}
    for cls in (Llama, grammar_llama_class()):
        llama = cls(model_path=str(gguf_path), n_ctx=1024, n_threads=2, verbose=False)
        try:
            out = llama.create_chat_completion(messages=messages, max_tokens=60, temperature=0.0, grammar=grammar)
            outputs[cls] = out["choices"][0]["message"]["content"]
            if cls is not Llama:
                assert isinstance(llama._init_sampler(temp=0.0, grammar=grammar), LazyGrammarSampler)
                assert not isinstance(llama._init_sampler(temp=0.7, grammar=grammar), LazyGrammarSampler)
        finally:
            llama.close()
    eager, lazy = outputs.values()
    assert lazy == eager
    parsed = InterestDelta.model_validate_json(lazy)
    assert parsed.liked_genres or parsed.liked_titles
    # the grammar keeps the schema's field order (the prompt's examples use it), not an alphabetical one
    assert isinstance(grammar, LlamaGrammar)
    assert 'liked-genres-rest ::= ( "," space disliked-genres-kv )?' in grammar._grammar


def test_lazy_grammar_falls_back_to_the_shortlist_then_the_whole_vocabulary():
    np = pytest.importorskip("numpy")
    from chatrec.llm.lazy_grammar import LazyGrammarSampler

    class Verdicts(LazyGrammarSampler):
        def __init__(self, allowed: set[int]):  # no llama.cpp grammar: a set of allowed tokens
            self.allowed, self.checks = allowed, {"top": 0, "shortlist": 0, "vocabulary": 0}

        def _allowed(self, ids, logits):
            return np.array([int(i) in self.allowed for i in ids])

    logits = np.linspace(0.0, 1.0, 100, dtype=np.float32)  # token 99 is the best, 0 the worst
    assert Verdicts({99, 5})._pick(logits) == 99
    sampler = Verdicts({90, 80})
    assert sampler._pick(logits) == 90 and sampler.checks["shortlist"] == 1
    sampler = Verdicts({3, 1})
    assert sampler._pick(logits) == 3 and sampler.checks["vocabulary"] == 1
    with pytest.raises(ValueError, match="no token"):
        Verdicts(set())._pick(logits)


def test_each_prompt_family_keeps_its_own_context():
    """Extraction and explanation alternate every turn; each keeps its prefix in its own llama.cpp context."""
    import threading as _threading

    from chatrec.llm.local import MAX_CONTEXTS, SharedModel

    class FakeContext:
        closed = False

        def close(self):
            self.closed = True

    model = SharedModel(path=Path("m.gguf"), lock=_threading.Lock(), load_seconds=0.0, make_context=FakeContext)
    extract, explain = model.context("extract prompt"), model.context("explain prompt")
    assert extract is not explain
    assert model.context("extract prompt") is extract and model.llama is extract  # the most recent one
    others = [model.context(f"other {i}") for i in range(MAX_CONTEXTS)]
    assert len(model.contexts) == MAX_CONTEXTS and explain.closed and extract.closed  # least recently used go first
    model.close()
    assert all(o.closed for o in others) and not model.contexts


def test_the_local_grammar_bounds_every_list():
    from chatrec.llm.local import MAX_GRAMMAR_ITEMS, bounded

    schema = InterestDelta.model_json_schema()
    out = bounded(schema)
    assert out["properties"]["liked_genres"]["maxItems"] == MAX_GRAMMAR_ITEMS
    assert out["properties"]["feedback"]["maxItems"] == MAX_GRAMMAR_ITEMS
    assert "maxItems" not in schema["properties"]["liked_genres"]  # the schema itself (and validation) is unchanged
