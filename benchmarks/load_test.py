"""Bounded load test: concurrent sessions through the Python API and the web app's JSON API.

    python benchmarks/load_test.py [--sessions 24] [--turns 5] [--catalog tests/fixtures/movies_300.jsonl]
                                   [--skip-http] [--inprocess] [--budget 300]

Each session (one thread) runs a scripted conversation with its own tastes: it likes one genre
and avoids another, and no two sessions share both. Afterwards it checks

- cross-talk: a session's final interests hold a like or dislike that is not its own;
- lost turns: the session store holds fewer user (or assistant) lines than turns were sent,
  or the state's turn counter is behind.

The Python API part drives one `ChatRec` (HashEmbedder, no LLM, a SQLite session file) from all
threads. The HTTP part starts `python app.py --llm none --port FREE --catalog ...` on 127.0.0.1 in
a subprocess (or, with --inprocess, uvicorn in this process over a HashEmbedder bot), posts to
`/api/chat`, and reads the session database afterwards. Every wait is bounded (--budget seconds
in all). Prints throughput (turns/s), p50/p95/max latency, turns lost and cross-talk found per
part, then one JSON line. Exit code 1 if any turn was lost or any cross-talk found.

Does not measure the LLM: `--llm none` keeps the numbers about the dialogue manager, the
session store and the web stack.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_CATALOG = ROOT / "tests" / "fixtures" / "movies_300.jsonl"
DECADES = ["the 80s", "the 90s", "the 2000s", "the 2010s"]


@dataclass
class Taste:
    """One session's conversation and the only interests it may end with."""

    session: str
    like: str
    avoid: str
    decade: str

    def messages(self, turns: int) -> list[str]:
        script = [f"I like {self.like} movies", f"no {self.avoid} please", f"something from {self.decade}",
                  f"more {self.like} please", "what else do you have?"]
        return [script[i % len(script)] for i in range(turns)]


@dataclass
class PartResult:
    name: str
    sessions: int
    turns_sent: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    turns_lost: int = 0
    cross_talk: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> dict:
        lat = sorted(self.latencies)
        pct = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000) if lat else (lambda q: float("nan"))
        return {"part": self.name, "sessions": self.sessions, "turns_sent": self.turns_sent,
                "turns_ok": len(self.latencies), "errors": len(self.errors), "turns_lost": self.turns_lost,
                "cross_talk": len(self.cross_talk), "extraction_misses": len(self.misses), "seconds": round(self.seconds, 2),
                "turns_per_s": round(len(self.latencies) / self.seconds, 2) if self.seconds else 0.0,
                "p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
                "p95_ms": round(pct(0.95), 1) if lat else None, "max_ms": round(lat[-1] * 1000, 1) if lat else None}


def make_tastes(n: int, genres: list[str], prefix: str) -> list[Taste]:
    """n sessions; no two share both the liked and the avoided genre."""
    tastes, pairs = [], [(a, b) for step in range(1, len(genres)) for a, b in
                         ((genres[i], genres[(i + step) % len(genres)]) for i in range(len(genres)))]
    for i in range(n):
        like, avoid = pairs[i % len(pairs)]
        tastes.append(Taste(session=f"{prefix}-{i:03d}", like=like, avoid=avoid, decade=DECADES[i % len(DECADES)]))
    return tastes


def check_interests(taste: Taste, likes: list[str], dislikes: list[str], result: "PartResult") -> None:
    """Cross-talk: anything in the interests that this session never said. A missing own taste is an
    extraction miss (the rules did not read the message), counted apart."""
    foreign = [f"like {x}" for x in likes if x != taste.like] + [f"dislike {x}" for x in dislikes if x != taste.avoid]
    result.cross_talk += [f"{taste.session}: {p}" for p in foreign]
    missing = [f"like {taste.like}"] * (taste.like not in likes) + [f"dislike {taste.avoid}"] * (taste.avoid not in dislikes)
    result.misses += [f"{taste.session}: not read: {p}" for p in missing]


def count_lost(db: Path, tastes: list[Taste], turns: int) -> tuple[int, list[str]]:
    """Turns missing from the session database (user lines, assistant lines, the state's turn counter)."""
    lost, notes = 0, []
    with sqlite3.connect(db, timeout=30) as conn:
        for taste in tastes:
            roles = [r for (r,) in conn.execute("SELECT role FROM transcript WHERE session = ?", (taste.session,))]
            row = conn.execute("SELECT state FROM sessions WHERE id = ?", (taste.session,)).fetchone()
            state_turn = json.loads(row[0])["turn"] if row else 0
            missing = max(turns - roles.count("user"), turns - roles.count("assistant"), turns - state_turn, 0)
            if missing:
                notes.append(f"{taste.session}: {roles.count('user')} user / {roles.count('assistant')} assistant "
                             f"lines, state turn {state_turn}, {turns} sent")
            lost += missing
    return lost, notes


def run_sessions(tastes: list[Taste], turns: int, one_turn, deadline: float, result: PartResult) -> dict[str, dict]:
    """Every session in its own thread; returns the last reply (as a dict) per session."""
    finals: dict[str, dict] = {}
    lock = threading.Lock()

    def converse(taste: Taste) -> None:
        for message in taste.messages(turns):
            if time.monotonic() > deadline:
                with lock:
                    result.errors.append(f"{taste.session}: time budget exhausted")
                return
            with lock:
                result.turns_sent += 1
            start = time.perf_counter()
            try:
                reply = one_turn(taste.session, message)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with lock:
                    result.errors.append(f"{taste.session}: {type(exc).__name__}: {exc}"[:200])
                continue
            with lock:
                result.latencies.append(time.perf_counter() - start)
                finals[taste.session] = reply

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(tastes)) as pool:
        list(pool.map(converse, tastes))
    result.seconds = time.perf_counter() - started
    return finals


# ---------------------------------------------------------------- the Python API

def python_part(args, tastes: list[Taste], work: Path, deadline: float) -> PartResult:
    from chatrec.sessions import SessionStore
    from chatrec.testing.bots import make_bot

    db = work / "api-sessions.db"
    bot = make_bot(catalog=args.catalog, embedder="hash", llm="none", home=work / "api-home", sessions=SessionStore(db))
    result = PartResult("python-api", len(tastes))
    try:
        finals = run_sessions(tastes, args.turns, lambda s, m: bot.chat(m, session=s).model_dump(mode="json"),
                              deadline, result)
        for taste in tastes:
            summary = bot.interests(taste.session)
            check_interests(taste, summary.likes, summary.dislikes, result)
            final = finals.get(taste.session)
            if final and final["session"] != taste.session:
                result.cross_talk.append(f"{taste.session}: reply carried session {final['session']}")
    finally:
        bot.close()
    result.turns_lost, notes = count_lost(db, tastes, args.turns)
    result.errors += notes
    return result


# ---------------------------------------------------------------- the web app's JSON API

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(url: str, body: dict, timeout: float = 60.0) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"HTTP {exc.code}: {exc.read()[:200]!r}") from None


def wait_healthy(base: str, deadline: float, server: subprocess.Popen | None) -> None:
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(base + "/api/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the server did not become healthy in time")


def start_subprocess_server(args, home: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
               PYTHONPATH=str(ROOT), CHATREC_EXPLAIN="0")
    command = [sys.executable, str(ROOT / "app.py"), "--llm", "none", "--host", "127.0.0.1", "--port", str(port),
               "--catalog", str(args.catalog), "--home", str(home)]
    log = open(home.parent / "server.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_subprocess_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(15)


def start_inprocess_server(args, home: Path, port: int):
    import uvicorn

    from chatrec.sessions import SessionStore
    from chatrec.testing.bots import make_bot
    from chatrec.ui.app import create_server_app

    bot = make_bot(catalog=args.catalog, embedder="hash", llm="none", home=home,
                   sessions=SessionStore(home / "sessions.db"), explain=False)
    server = uvicorn.Server(uvicorn.Config(create_server_app(bot), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return server, thread, bot


def http_part(args, tastes: list[Taste], work: Path, deadline: float) -> PartResult:
    home = work / "http-home"
    home.mkdir()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    result = PartResult("http-api" + (" (in-process uvicorn)" if args.inprocess else " (app.py subprocess)"), len(tastes))
    server = inproc = None
    started = time.perf_counter()
    try:
        if args.inprocess:
            inproc = start_inprocess_server(args, home, port)
        else:
            server = start_subprocess_server(args, home, port)
        wait_healthy(base, min(deadline, time.monotonic() + 180), server)
        print(f"  server up on {base} after {time.perf_counter() - started:.1f}s", flush=True)
        finals = run_sessions(tastes, args.turns,
                              lambda s, m: post(base + "/api/chat", {"session": s, "message": m}), deadline, result)
        for taste in tastes:
            final = finals.get(taste.session)
            if final is None:
                continue
            if final["session"] != taste.session:
                result.cross_talk.append(f"{taste.session}: reply carried session {final['session']}")
            check_interests(taste, final["interests"]["likes"], final["interests"]["dislikes"], result)
    finally:
        if server is not None:
            stop_subprocess_server(server)
        if inproc is not None:
            uv, thread, bot = inproc
            uv.should_exit = True
            thread.join(15)
            bot.close()
    result.turns_lost, notes = count_lost(home / "sessions.db", tastes, args.turns)
    result.errors += notes
    return result


# ---------------------------------------------------------------- main

def report(result: PartResult) -> None:
    s = result.summary()
    print(f"{s['part']}: {s['sessions']} concurrent sessions, {s['turns_ok']}/{s['turns_sent']} turns ok in "
          f"{s['seconds']}s -> {s['turns_per_s']} turns/s; latency p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms, "
          f"max {s['max_ms']} ms; turns lost {s['turns_lost']}; cross-talk {s['cross_talk']}; errors {s['errors']}; "
          f"extraction misses {s['extraction_misses']}")
    for line in (result.errors + result.cross_talk + result.misses)[:10]:
        print(f"    {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=24, help="concurrent sessions (threads), default 24")
    parser.add_argument("--turns", type=int, default=5, help="turns per session, default 5")
    parser.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG)
    parser.add_argument("--skip-http", action="store_true", help="only the Python API")
    parser.add_argument("--inprocess", action="store_true", help="serve the HTTP API with uvicorn in this process")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds for the whole run (bounded waits)")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.turns < 1:
        parser.error("--sessions and --turns must be at least 1")

    from chatrec.catalog import load_catalog

    genres = sorted({g for item in load_catalog(args.catalog) for g in item.genres})
    deadline = time.monotonic() + args.budget
    results = []
    with tempfile.TemporaryDirectory(prefix="chatrec-load-") as tmp:
        work = Path(tmp)
        print(f"load test: {args.sessions} sessions x {args.turns} turns, catalog {args.catalog.name}", flush=True)
        results.append(python_part(args, make_tastes(args.sessions, genres, "py"), work, deadline))
        report(results[-1])
        if not args.skip_http:
            results.append(http_part(args, make_tastes(args.sessions, genres, "web"), work, deadline))
            report(results[-1])
    summaries = [r.summary() for r in results]
    print(json.dumps({"load_test": summaries}))
    bad = any(s["turns_lost"] or s["cross_talk"] or s["errors"] for s in summaries)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
