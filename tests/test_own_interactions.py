"""Bring your own interactions: a user's basket file changes the picks, through settings and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from chatrec.cli import main
from chatrec.dialogue.manager import ChatRec
from chatrec.embeddings import HashEmbedder
from chatrec.settings import Settings
from chatrec.store import VectorIndex, make_client

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "movies_300.jsonl"
INCEPTION, MAMMA_MIA = "101264", "124268"


def write_baskets(path: Path) -> Path:
    # in this (made-up) community, everybody who talks about Inception also loves Mamma Mia!
    rows = [{"items": [INCEPTION, MAMMA_MIA]}] * 30 + [{"items": ["Inception (2010)", "Mamma Mia! (2008)"]}] * 5
    rows.append({"items": ["No Such Film (1999)", INCEPTION]})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def bot_for(tmp_path: Path, interactions: Path | None) -> ChatRec:
    embedder = HashEmbedder()
    settings = Settings(home=tmp_path, llm="none", interactions=str(interactions) if interactions else None)
    from chatrec.catalog import load_catalog

    catalog = load_catalog(FIXTURE)
    store = VectorIndex(make_client(url=None, path=tmp_path / "chroma"), catalog, embedder)
    return ChatRec(catalog=catalog, settings=settings, store=store, embedder=embedder, sessions=":memory:")


def test_an_interaction_file_changes_the_picks(tmp_path):
    baskets = write_baskets(tmp_path / "baskets.jsonl")
    without = bot_for(tmp_path / "a", None).chat("something like Inception", session="s")
    with_file = bot_for(tmp_path / "b", baskets).chat("something like Inception", session="s")
    assert MAMMA_MIA not in [r.item_id for r in without.recommendations]
    pick = next(r for r in with_file.recommendations if r.item_id == MAMMA_MIA)
    assert pick.score_parts["collab"] > 0


def test_index_command_builds_and_reports_the_interactions(tmp_path, capsys):
    baskets = write_baskets(tmp_path / "baskets.jsonl")
    code = main(["index", str(FIXTURE), "--home", str(tmp_path), "--interactions", str(baskets)])
    out = capsys.readouterr().out
    assert code == 0
    assert "item references mapped" in out and "collaborative model:" in out
    assert list((tmp_path / "collab").glob("baskets-*.npz"))  # cached: a restart does not rebuild


def test_a_missing_interaction_file_is_a_clear_error(tmp_path, capsys):
    code = main(["index", str(FIXTURE), "--home", str(tmp_path), "--interactions", str(tmp_path / "nope.jsonl")])
    assert code == 2 and "does not exist" in capsys.readouterr().err
