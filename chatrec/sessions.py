"""Session storage: the interest state and transcript of each session, in SQLite (WAL) or memory.

A turn's state and transcript lines are written in one transaction, so a process killed mid-turn
loses at most that turn. Forgetting a session deletes its state and transcript, overwrites the freed
pages (`secure_delete`) and checkpoints the WAL, so the text is gone from the files too. With
`redact_transcripts`, e-mail addresses and phone numbers are masked in the transcript and in the
recent messages the state keeps. Session ids are checked (letters, digits and `-_.:@`, up to 128
characters).
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from chatrec.dialogue.state import InterestState
from chatrec.errors import InputError

_SESSION_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"(?<!\w)(?:\+?\d[\d\s().-]{5,}\d)(?!\w)")
_YEAR = re.compile(r"(1[89]\d\d|20\d\d)")
FORGET_LOCK_WAIT = 30.0
"""Seconds `forget` waits for a turn of the same session to finish before deleting anyway."""


def check_session_id(session: object) -> str:
    """The session id if it is usable, else InputError with the rule."""
    if not isinstance(session, str) or not _SESSION_ID.match(session):
        shown = repr(session)[:60]
        raise InputError(f"invalid session id {shown}: use 1-128 letters, digits or - _ . : @")
    return session


def redact(text: str) -> str:
    """Mask e-mail addresses and phone numbers (7+ digits; year ranges such as 1990-1999 are kept)."""
    return _PHONE.sub(_mask_phone, _EMAIL.sub("[email]", text))


def _mask_phone(match: re.Match) -> str:
    groups = re.findall(r"\d+", match.group(0))
    if sum(len(g) for g in groups) < 7 or all(len(g) == 4 and _YEAR.fullmatch(g) for g in groups):
        return match.group(0)
    return "[phone]"


class SessionStore:
    """Interest states and transcripts keyed by session id; thread-safe; SQLite or `:memory:`."""

    def __init__(self, path: str | Path = ":memory:", *, redact_transcripts: bool = False):
        self.path = str(path)
        self.redact_transcripts = redact_transcripts
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._lock = threading.RLock()
        self._session_locks: dict[str, threading.Lock] = {}
        with self._lock:
            self._conn.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not left in free pages
            if self.path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(
                """
                CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, state TEXT NOT NULL, updated REAL NOT NULL);
                CREATE TABLE IF NOT EXISTS transcript (session TEXT NOT NULL, turn INTEGER NOT NULL, role TEXT NOT NULL,
                                                       text TEXT NOT NULL, at REAL NOT NULL);
                CREATE INDEX IF NOT EXISTS transcript_session ON transcript(session, turn);
                """
            )

    @contextmanager
    def session_lock(self, session: str) -> Iterator[None]:
        """Serialise turns of one session (different sessions run in parallel)."""
        with self._lock:
            lock = self._session_locks.setdefault(session, threading.Lock())
        with lock:
            yield

    def load(self, session: str) -> InterestState:
        """The stored state, or a fresh one for a new session."""
        with self._lock:
            row = self._conn.execute("SELECT state FROM sessions WHERE id = ?", (session,)).fetchone()
        return InterestState.model_validate_json(row[0]) if row else InterestState()

    def save(self, session: str, state: InterestState, transcript: list[tuple[str, str]] = ()) -> None:
        """Write the state and this turn's transcript lines in one transaction."""
        now = time.time()
        if self.redact_transcripts:
            state = state.model_copy(update={"recent_messages": [redact(m) for m in state.recent_messages]})
        lines = [(session, state.turn, role, redact(text) if self.redact_transcripts else text, now) for role, text in transcript]
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute("INSERT INTO sessions(id, state, updated) VALUES(?, ?, ?) "
                                   "ON CONFLICT(id) DO UPDATE SET state = excluded.state, updated = excluded.updated",
                                   (session, state.model_dump_json(), now))
                self._conn.executemany("INSERT INTO transcript VALUES(?, ?, ?, ?, ?)", lines)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def append_transcript(self, session: str, turn: int, role: str, text: str) -> None:
        """Add one transcript line (used for the assistant's reply once its explanations are written).

        Nothing is written for a session that no longer exists: a turn that finishes its
        explanations after the session was forgotten must not leave a line behind.
        """
        if self.redact_transcripts:
            text = redact(text)
        with self._lock:
            self._conn.execute("INSERT INTO transcript SELECT ?, ?, ?, ?, ? WHERE EXISTS "
                               "(SELECT 1 FROM sessions WHERE id = ?)", (session, turn, role, text, time.time(), session))

    def transcript(self, session: str) -> list[tuple[int, str, str]]:
        with self._lock:
            rows = self._conn.execute("SELECT turn, role, text FROM transcript WHERE session = ? ORDER BY rowid", (session,)).fetchall()
        return [tuple(r) for r in rows]

    def exists(self, session: str) -> bool:
        with self._lock:
            return self._conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session,)).fetchone() is not None

    def forget(self, session: str) -> None:
        """Delete everything stored for the session, from the database file and its WAL too.

        Waits (up to FORGET_LOCK_WAIT s) for a running turn of the session, so that turn cannot
        write the session back after it was forgotten. The lock stays in the table: a turn may be
        waiting on it. (A plain Lock, not an RLock: a streamed turn may resume on another thread.)
        """
        with self._lock:
            lock = self._session_locks.setdefault(session, threading.Lock())
        acquired = lock.acquire(timeout=FORGET_LOCK_WAIT)
        try:
            with self._lock:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    self._conn.execute("DELETE FROM sessions WHERE id = ?", (session,))
                    self._conn.execute("DELETE FROM transcript WHERE session = ?", (session,))
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                if self.path != ":memory:":
                    # old page versions in the WAL still hold the text until a checkpoint rewrites them
                    self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            if acquired:
                lock.release()

    def sessions(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._conn.execute("SELECT id FROM sessions ORDER BY updated")]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
