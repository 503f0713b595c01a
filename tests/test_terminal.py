"""`chatrec chat` in the terminal, driven through stdin like a person typing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from chatrec.cli import build_parser
from chatrec.terminal import run_chat

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "movies_300.jsonl"


@pytest.mark.real_embedder
def test_terminal_conversation(tmp_path, monkeypatch):
    monkeypatch.setenv("CHATREC_SESSIONS", str(tmp_path / "s.db"))
    args = build_parser().parse_args(["chat", "--catalog", str(FIXTURE), "--home", str(tmp_path), "--llm", "none"])
    typed = "I like sci-fi movies\n/like 1\n/like 9\nno horror please\n/interests\n/reset\n/interests\n/quit\n"
    out = io.StringIO()
    assert run_chat(args, stdin=io.StringIO(typed), stdout=out) == 0
    text = out.getvalue()
    assert "likes sci-fi" in text
    assert "Noted (liked:" in text
    assert "Say which pick, 1 to 5" in text
    assert "avoids horror" in text
    assert "nothing known yet" in text  # after /reset
    assert "Traceback" not in text
