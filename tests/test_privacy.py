"""Privacy: forgetting deletes all of a session's data, transcripts can be redacted, no message text in logs.

Checked on the SQLite files themselves (the database, its WAL and shared-memory files), not only
through the store's API.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from pathlib import Path

import pytest

from chatrec.sessions import SessionStore, redact
from chatrec.testing import FunctionLLM
from chatrec.testing.bots import make_bot

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "movies_300.jsonl"
SECRET = "zanzibarquux"
"""A word that occurs nowhere but in the user's messages."""
EMAIL = "jane.doe+films@example.co.uk"
PHONES = ["+1 (555) 123-4567", "555-123-4567", "+44 20 7946 0958", "06 12 34 56 78", "5551234567"]


def session_id(prefix: str = "p") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def raw_bytes(folder: Path) -> bytes:
    """Every byte of every session file (db, -wal, -shm)."""
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file())


def rows(db: Path, session: str) -> tuple[int, int]:
    """(state rows, transcript rows) for a session, read with a separate connection."""
    with sqlite3.connect(db) as conn:
        states = conn.execute("SELECT count(*) FROM sessions WHERE id = ?", (session,)).fetchone()[0]
        lines = conn.execute("SELECT count(*) FROM transcript WHERE session = ?", (session,)).fetchone()[0]
    return states, lines


@pytest.fixture
def files(tmp_path):
    folder = tmp_path / "sessions"
    folder.mkdir()
    return folder


def a_bot(tmp_path, store, llm="none"):
    return make_bot(catalog=FIXTURE, embedder="hash", llm=llm, home=tmp_path / "home", sessions=store)


def converse(bot, session: str) -> None:
    bot.chat(f"I like sci-fi and {SECRET} stories", session=session)
    bot.chat(f"no horror please, write to {EMAIL}", session=session)
    picks = bot.chat("something from the 90s", session=session).recommendations
    bot.feedback(session, picks[0].item_id, "liked")
    bot.record_assistant_turn(session, f"You could try Alien, {SECRET} fan")
    bot.remove_interest(session, "horror")


# ---------------------------------------------------------------- forgetting

def test_forget_deletes_state_and_transcript_rows(tmp_path, files):
    db = files / "sessions.db"
    bot = a_bot(tmp_path, SessionStore(db))
    gone, kept = session_id("gone"), session_id("kept")
    converse(bot, gone)
    bot.chat("I like comedy", session=kept)
    assert rows(db, gone)[0] == 1 and rows(db, gone)[1] >= 8
    bot.forget(gone)
    assert rows(db, gone) == (0, 0)
    assert not bot.sessions.exists(gone) and bot.sessions.transcript(gone) == []
    assert bot.interests(gone).likes == []
    assert rows(db, kept)[0] == 1 and "comedy" in bot.interests(kept).likes
    bot.close()


def test_forget_removes_the_text_from_the_files_and_the_wal(tmp_path, files):
    db = files / "sessions.db"
    bot = a_bot(tmp_path, SessionStore(db))
    gone, kept = session_id("gone"), session_id("kept")
    converse(bot, gone)
    bot.chat("I like comedy", session=kept)
    assert SECRET.encode() in raw_bytes(files)
    bot.forget(gone)
    data = raw_bytes(files)
    assert SECRET.encode() not in data
    assert EMAIL.encode() not in data
    assert gone.encode() not in data
    bot.close()
    assert SECRET.encode() not in raw_bytes(files)
    reopened = SessionStore(db)
    assert "comedy" in reopened.load(kept).summary().likes and not reopened.exists(gone)
    reopened.close()


def test_forget_waits_for_a_running_turn_so_it_cannot_write_the_session_back(tmp_path, files):
    entered, release = threading.Event(), threading.Event()

    def slow_model(messages, schema):
        entered.set()
        assert release.wait(10)
        return {"liked_genres": ["sci-fi"]}

    bot = a_bot(tmp_path, SessionStore(files / "sessions.db"), llm=FunctionLLM(slow_model))
    sid = session_id()
    errors: list[BaseException] = []

    def turn():
        try:
            bot.chat("I like sci-fi", session=sid)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    worker = threading.Thread(target=turn)
    worker.start()
    assert entered.wait(10)
    forgetter = threading.Thread(target=bot.forget, args=(sid,))
    forgetter.start()
    forgetter.join(0.3)
    assert forgetter.is_alive(), "forget should wait for the running turn of the same session"
    release.set()
    worker.join(10)
    forgetter.join(10)
    assert not worker.is_alive() and not forgetter.is_alive() and not errors
    assert not bot.sessions.exists(sid) and bot.sessions.transcript(sid) == []
    bot.close()


def test_forget_while_explanations_are_written_leaves_no_line_behind(tmp_path, files):
    """Explanations are written after the session lock is released; their transcript line must not
    bring a forgotten session back."""
    entered, release = threading.Event(), threading.Event()

    def model(messages, schema):
        if schema is not None:
            return {"liked_genres": ["sci-fi"]}
        entered.set()
        assert release.wait(10)
        return "A sci-fi film that fits."

    db = files / "sessions.db"
    bot = a_bot(tmp_path, SessionStore(db), llm=FunctionLLM(model))
    sid = session_id()
    worker = threading.Thread(target=bot.chat, args=(f"I like {SECRET} sci-fi",), kwargs={"session": sid})
    worker.start()
    assert entered.wait(10)
    bot.forget(sid)
    release.set()
    worker.join(10)
    assert not worker.is_alive()
    assert rows(db, sid) == (0, 0)
    bot.close()


def test_forget_through_the_http_api_deletes_everything(tmp_path, files):
    pytest.importorskip("gradio")
    from fastapi.testclient import TestClient

    from chatrec.ui.app import create_server_app

    db = files / "sessions.db"
    bot = a_bot(tmp_path, SessionStore(db))
    sid = session_id("web")
    with TestClient(create_server_app(bot)) as client:
        assert client.post("/api/chat", json={"session": sid, "message": f"I like {SECRET} sci-fi"}).status_code == 200
        assert rows(db, sid)[0] == 1
        assert client.post("/api/forget", json={"session": sid}).json() == {"ok": True}
    assert rows(db, sid) == (0, 0)
    assert SECRET.encode() not in raw_bytes(files)
    bot.close()


# ---------------------------------------------------------------- redaction

@pytest.mark.parametrize("text", [EMAIL, "a.b@c.io", "first_last-99@mail.example.org", *PHONES])
def test_redact_masks_contact_data(text):
    masked = redact(f"reach me at {text} tonight")
    assert text not in masked and ("[email]" in masked or "[phone]" in masked)
    assert masked.startswith("reach me at ") and masked.endswith(" tonight")


@pytest.mark.parametrize("text", ["movies from 1990-1999", "between 1985 and 1990", "the 80s", "Blade Runner 2049",
                                  "1980 1990 2000", "top 10 picks", "Ocean's 11 (2001)", "2001: A Space Odyssey",
                                  "rated 8.5", "12-34"])
def test_redact_keeps_years_and_ordinary_numbers(text):
    assert redact(text) == text


def test_redacted_store_keeps_no_contact_data_anywhere_in_the_files(tmp_path, files):
    db = files / "sessions.db"
    bot = a_bot(tmp_path, SessionStore(db, redact_transcripts=True))
    sid = session_id()
    bot.chat(f"I like sci-fi, mail me at {EMAIL} or call {PHONES[0]}", session=sid)
    bot.chat(f"no horror, my other number is {PHONES[2]}", session=sid)
    bot.chat("movies from 1990-1999", session=sid)
    transcript = bot.sessions.transcript(sid)
    user_lines = [text for _, role, text in transcript if role == "user"]
    assert user_lines[0] == "I like sci-fi, mail me at [email] or call [phone]"
    assert user_lines[1] == "no horror, my other number is [phone]"
    assert user_lines[2] == "movies from 1990-1999"
    data = raw_bytes(files)
    for secret in (EMAIL, PHONES[0], PHONES[2], "7946 0958", "123-4567"):
        assert secret.encode() not in data, secret
    state = bot.state(sid)
    assert {"sci-fi"} <= set(state.summary().likes) and "horror" in state.summary().dislikes
    bot.close()


def test_without_redaction_the_transcript_is_verbatim(tmp_path, files):
    bot = a_bot(tmp_path, SessionStore(files / "sessions.db"))
    sid = session_id()
    bot.chat(f"I like sci-fi, mail me at {EMAIL}", session=sid)
    assert bot.sessions.transcript(sid)[0][2] == f"I like sci-fi, mail me at {EMAIL}"
    bot.close()


# ---------------------------------------------------------------- logs

USER_WORDS = [SECRET, EMAIL, "jane.doe", "wombat-opera", "I like sci-fi"]


def chat_a_while(bot) -> None:
    sid = session_id()
    bot.chat(f"I like sci-fi and {SECRET} stories", session=sid)
    bot.chat(f"no horror, wombat-opera please, mail {EMAIL}", session=sid)
    bot.chat("", session=sid)
    bot.chat("x" * 5000, session=sid)
    bot.feedback(sid, bot.catalog.ids[0], "seen")
    bot.forget(sid)


def assert_no_user_text(records) -> None:
    for record in records:
        text = record.getMessage() + str(record.exc_info or "") + str(record.exc_text or "")
        for word in USER_WORDS:
            assert word not in text, (record.name, record.levelname, text[:300])


@pytest.mark.parametrize("llm", ["none", "failing", "working"])
def test_message_text_is_not_logged_at_info(tmp_path, files, caplog, llm):
    def failing(messages, schema):
        raise RuntimeError("backend unavailable")

    def working(messages, schema):
        return {"liked_genres": ["sci-fi"]} if schema else "A sci-fi film that fits."

    model = {"none": "none", "failing": FunctionLLM(failing), "working": FunctionLLM(working)}[llm]
    bot = a_bot(tmp_path, SessionStore(files / "sessions.db"), llm=model)
    with caplog.at_level(logging.INFO):
        chat_a_while(bot)
    assert_no_user_text(caplog.records)
    bot.close()


def test_backend_errors_that_echo_the_request_do_not_put_user_text_in_logs(tmp_path, files, caplog):
    def echoing(messages, schema):
        raise ValueError(f"bad request: {messages[-1].content}")

    bot = a_bot(tmp_path, SessionStore(files / "sessions.db"), llm=FunctionLLM(echoing))
    with caplog.at_level(logging.INFO):
        chat_a_while(bot)
    bot.close()
    assert_no_user_text(caplog.records)
