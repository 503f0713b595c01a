"""LLM failures: endpoint down, timeouts, slow answers, HTTP errors, invalid output.

The OpenAI-compatible adapter is pointed at a small fake server on 127.0.0.1 (or at a port nobody
listens on); test models raise or return junk. Each turn must still complete on the deterministic
path (rules and templates), the user sees one short notice, and `llm.stats` counts the failures.
Timeouts and retries are set small on each instance so every test takes a few seconds at most.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import chatrec.llm.base
from chatrec.dialogue.schema import InterestDelta
from chatrec.llm.base import TransientLLMError
from chatrec.llm.factory import make_llm
from chatrec.settings import Settings
from chatrec.testing import FunctionLLM, ScriptedLLM
from chatrec.testing.bots import make_bot

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "movies_300.jsonl"
FALLBACK_NOTICE = "The language model did not answer"
GOOD_DELTA = InterestDelta(liked_genres=["sci-fi"]).model_dump()
MAX_SLEEP = 4.0
"""No fake-server handler sleeps longer than this, so no thread outlives a test by much."""


@pytest.fixture(autouse=True)
def allow_the_fake_server(monkeypatch):
    """The adapter refuses real backends in tests; here it only talks to our fake server on 127.0.0.1."""
    monkeypatch.setattr(chatrec.llm.base, "ALLOW_REAL_MODELS", True)


# ---------------------------------------------------------------- a fake OpenAI-compatible server

@dataclass
class Behaviour:
    """What the fake server does with the next requests."""

    mode: str = "ok"
    """ok | invalid | invalid_once | status | garbage | close | trickle | empty"""
    delay: float = 0.0
    status: int = 500
    requests: list[dict] = field(default_factory=list)


class FakeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep the test output clean
        pass

    def do_POST(self):
        behaviour: Behaviour = self.server.behaviour
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        behaviour.requests.append(body)
        time.sleep(min(behaviour.delay, MAX_SLEEP))
        wants_json = "response_format" in body
        mode = behaviour.mode
        if mode == "close":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if mode == "status":
            return self._send(behaviour.status, {"error": {"message": "server is unhappy", "type": "server_error"}})
        if mode == "garbage":
            return self._send_raw(200, b"<html>definitely not json</html>", "text/html")
        if mode == "empty":
            return self._send(200, {"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": []})
        if wants_json:
            invalid = mode == "invalid" or (mode == "invalid_once" and len(behaviour.requests) == 1)
            content = "Sure! Here are the likes: sci-fi" if invalid else json.dumps(GOOD_DELTA)
        else:
            content = "A sci-fi story that matches what you asked for."
        payload = {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                "finish_reason": "stop"}]}
        if mode == "trickle":
            return self._trickle(json.dumps(payload).encode())
        if body.get("stream"):
            return self._send_events(content)
        return self._send(200, payload)

    def _send_events(self, content: str) -> None:
        """A streamed answer (server-sent events), a few words per chunk, as OpenAI-compatible servers send it."""
        words = content.split(" ")
        chunks = [" ".join(words[i:i + 3]) + (" " if i + 3 < len(words) else "") for i in range(0, len(words), 3)]
        events = [{"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
                   "choices": [{"index": 0, "delta": {"content": c}, "finish_reason": None}]} for c in chunks]
        body = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + b"data: [DONE]\n\n"
        self._send_raw(200, body, "text/event-stream")

    def _send(self, status: int, payload: dict) -> None:
        self._send_raw(status, json.dumps(payload).encode(), "application/json")

    def _send_raw(self, status: int, data: bytes, kind: str) -> None:
        try:
            self.send_response(status)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (timeout): fine
            pass

    def _trickle(self, data: bytes) -> None:
        """Headers at once, then one byte of leading whitespace every 0.25 s for 3 s, then the body."""
        pad = 12
        try:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data) + pad))
            self.end_headers()
            for _ in range(pad):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.25)
            self.wfile.write(data)
        except OSError:
            pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeHandler)
    httpd.daemon_threads = True
    httpd.behaviour = Behaviour()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def fake(server):
    """The server with fresh behaviour for this test."""
    server.behaviour = Behaviour()
    return server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def openai_llm(base_url: str, *, timeout: float = 2.0, max_retries: int = 1):
    llm = make_llm("openai:x", Settings(openai_base_url=base_url, openai_api_key="x", llm_timeout=timeout))
    llm.max_retries = max_retries
    llm.backoff = 0.01
    return llm


def url_of(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/v1"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("llm-failures")


def bot_with(llm, home: Path, *, explain: bool = False):
    return make_bot(catalog=FIXTURE, embedder="hash", llm=llm, home=home, explain=explain)


def session() -> str:
    return f"f-{uuid.uuid4().hex[:10]}"


def assert_fell_back(reply, *, templates: bool = True) -> None:
    """The turn completed on the rules: a short notice, the rule reading, picks (with template explanations)."""
    notices = [n for n in reply.notices if FALLBACK_NOTICE in n]
    assert len(notices) == 1, reply.notices
    assert len(notices[0]) < 120
    assert "sci-fi" in reply.interests.likes
    assert reply.recommendations
    assert all(r.explanation for r in reply.recommendations)
    if templates:
        assert all(r.explanation_source == "template" for r in reply.recommendations)


# ---------------------------------------------------------------- the endpoint is down or slow

def test_endpoint_down_falls_back_with_a_notice_and_counts(home):
    llm = openai_llm(f"http://127.0.0.1:{free_port()}/v1", max_retries=1)
    bot = bot_with(llm, home, explain=True)
    start = time.perf_counter()
    reply = bot.chat("I like sci-fi movies", session=session())
    assert time.perf_counter() - start < 10
    assert_fell_back(reply)
    stats = llm.stats.as_dict()
    assert stats["failures"] >= 1 and stats["retries"] >= 1
    assert "cannot connect" in stats["last_error"]
    assert bot.chat("no horror please", session=reply.session).interests.dislikes == ["horror"]


def test_timeout_falls_back_and_counts(home, fake):
    fake.behaviour.delay = 3.0
    llm = openai_llm(url_of(fake), timeout=0.5, max_retries=1)
    bot = bot_with(llm, home)
    start = time.perf_counter()
    reply = bot.chat("I like sci-fi movies", session=session())
    elapsed = time.perf_counter() - start
    assert_fell_back(reply)
    assert elapsed < 2.5, elapsed
    assert llm.stats.failures == 1 and llm.stats.retries == 1 and llm.stats.calls == 2
    assert "did not answer within 0.5s" in llm.stats.last_error


def test_a_slow_answer_within_the_timeout_is_used(home, fake):
    fake.behaviour.delay = 0.4
    llm = openai_llm(url_of(fake), timeout=3.0)
    bot = bot_with(llm, home, explain=True)
    reply = bot.chat("I like sci-fi movies", session=session())
    assert FALLBACK_NOTICE not in " ".join(reply.notices)
    assert "sci-fi" in reply.interests.likes
    assert any(r.explanation_source == "llm" for r in reply.recommendations)
    assert llm.stats.failures == 0 and llm.stats.calls == 1 + len(reply.recommendations)


def test_llm_timeout_bounds_the_whole_call_even_when_the_server_trickles(home, fake):
    fake.behaviour.mode = "trickle"
    llm = openai_llm(url_of(fake), timeout=1.0, max_retries=0)
    bot = bot_with(llm, home)
    start = time.perf_counter()
    reply = bot.chat("I like sci-fi movies", session=session())
    elapsed = time.perf_counter() - start
    assert "sci-fi" in reply.interests.likes
    assert elapsed < 2.0, f"the turn took {elapsed:.1f}s with llm_timeout=1"


def test_a_dead_endpoint_is_asked_once_per_turn_not_once_per_pick(home):
    llm = openai_llm(f"http://127.0.0.1:{free_port()}/v1", max_retries=0)
    bot = bot_with(llm, home, explain=True)
    reply = bot.chat("I like sci-fi movies", session=session())
    assert_fell_back(reply)
    assert llm.stats.calls == 1, llm.stats.as_dict()


# ---------------------------------------------------------------- the endpoint answers badly

@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_are_retried_then_fall_back(home, fake, status):
    fake.behaviour.mode, fake.behaviour.status = "status", status
    llm = openai_llm(url_of(fake), max_retries=2)
    reply = bot_with(llm, home).chat("I like sci-fi movies", session=session())
    assert_fell_back(reply)
    assert llm.stats.failures == 1 and llm.stats.retries == 2
    assert str(status) in llm.stats.last_error


@pytest.mark.parametrize("mode", ["garbage", "close", "empty"])
def test_broken_responses_fall_back(home, fake, mode):
    fake.behaviour.mode = mode
    llm = openai_llm(url_of(fake), max_retries=1)
    reply = bot_with(llm, home).chat("I like sci-fi movies", session=session())
    assert_fell_back(reply)
    assert llm.stats.failures >= 1 and llm.stats.last_error


def test_invalid_output_is_repaired_once_then_falls_back(home, fake):
    fake.behaviour.mode = "invalid"
    llm = openai_llm(url_of(fake))
    reply = bot_with(llm, home).chat("I like sci-fi movies", session=session())
    assert_fell_back(reply)
    assert llm.stats.repairs == 1 and llm.stats.failures == 1
    assert "invalid output" in llm.stats.last_error
    assert len(fake.behaviour.requests) == 2  # the first answer and the repair


def test_invalid_output_that_the_repair_fixes_is_used(home, fake):
    fake.behaviour.mode = "invalid_once"
    llm = openai_llm(url_of(fake))
    reply = bot_with(llm, home).chat("I like sci-fi movies", session=session())
    assert reply.notices == []
    assert "sci-fi" in reply.interests.likes
    assert llm.stats.repairs == 1 and llm.stats.failures == 0


# ---------------------------------------------------------------- test models that misbehave (no network)

def boom(messages, schema):
    raise RuntimeError("the model segfaulted")


def always_transient(messages, schema):
    raise TransientLLMError("503 from upstream")


MISBEHAVIOURS = {
    "raises": boom,
    "transient": always_transient,
    "none": lambda messages, schema: None,
    "prose": lambda messages, schema: "I think they like sci-fi!",
    "wrong_types": lambda messages, schema: {"liked_genres": "sci-fi", "year_min": "nineties", "feedback": 5},
    "json_list": lambda messages, schema: [1, 2, 3],
    "huge": lambda messages, schema: "{" + "x" * 1_000_000,
    "nested": lambda messages, schema: "[" * 10_000 + "]" * 10_000,
}


@pytest.mark.parametrize("name", sorted(MISBEHAVIOURS))
def test_misbehaving_models_fall_back_and_count(home, name):
    llm = FunctionLLM(MISBEHAVIOURS[name])
    llm.max_retries = 1
    bot = bot_with(llm, home, explain=True)
    sid = session()
    events = list(bot.stream("I like sci-fi movies", session=sid))
    kinds = [e.kind for e in events]
    assert kinds[:2] == ["preview", "recommendations"] and kinds[-1] == "done"
    assert events[0].reply.preview and not events[-1].reply.preview
    reply = events[-1].reply
    # "none" and "prose" are plain text, which is a (weak) explanation sentence but never a valid extraction
    assert_fell_back(reply, templates=name not in ("none", "prose"))
    assert llm.stats.failures >= 1
    assert bot.sessions.transcript(sid)[0][1:] == ("user", "I like sci-fi movies")


def test_a_transient_failure_then_success_is_retried_transparently(home):
    llm = ScriptedLLM([TransientLLMError("connection reset"), GOOD_DELTA])
    reply = bot_with(llm, home).chat("I like sci-fi movies", session=session())
    assert reply.notices == [] and "sci-fi" in reply.interests.likes
    assert llm.stats.retries == 1 and llm.stats.failures == 0 and llm.remaining == 0


def test_failure_counters_are_exposed_and_accumulate(home):
    llm = FunctionLLM(boom)
    llm.max_retries = 0
    bot = bot_with(llm, home)
    sid = session()
    for message in ("I like sci-fi", "no horror", "something from the 90s"):
        bot.chat(message, session=sid)
    stats = bot.llm.stats.as_dict()
    assert set(stats) >= {"calls", "failures", "retries", "repairs", "seconds", "last_error"}
    assert stats["failures"] == 3 and stats["calls"] == 3
    assert "segfaulted" in stats["last_error"]
    json.dumps(stats)
    assert bot.state(sid).turn == 3
