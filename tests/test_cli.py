"""`chatrec index` and `chatrec search` through `main([...])`, as a person would type them."""

from __future__ import annotations

import json

import pytest
from helpers_index import MINI_MOVIES

import chatrec.indexing
from chatrec import cli
from chatrec.embeddings import HashEmbedder


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for var in ("CHATREC_HOME", "CHATREC_CATALOG", "CHATREC_CHROMA_URL", "CHATREC_EMBED_MODEL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # never the user's real index


@pytest.fixture
def hash_embedder(monkeypatch):
    """The CLI with the fast HashEmbedder in place of MiniLM (same open_index path)."""
    monkeypatch.setattr(chatrec.indexing, "shared_embedder", lambda model_path=None: HashEmbedder())


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def index_args(tmp_path, *extra):
    return ["index", str(MINI_MOVIES), "--home", str(tmp_path / "home"), *extra]


def search_args(tmp_path, query, *extra):
    return ["search", query, "--catalog", str(MINI_MOVIES), "--home", str(tmp_path / "home"), *extra]


def test_index_prints_a_summary_and_is_incremental(capsys, tmp_path, hash_embedder):
    code, out, _ = run(capsys, *index_args(tmp_path))
    assert code == 0
    assert "items: 34  embedded: 34  unchanged: 0  removed: 0  seconds:" in out
    code, out, _ = run(capsys, *index_args(tmp_path))
    assert code == 0 and "items: 34  embedded: 0  unchanged: 34  removed: 0" in out


def test_search_prints_a_table(capsys, tmp_path, hash_embedder):
    run(capsys, *index_args(tmp_path))
    code, out, err = run(capsys, *search_args(tmp_path, "Alien Ridley Scott creature", "--k", "3"))
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].split() == ["#", "title", "(year)", "genres", "similarity"]
    assert len(lines) == 2 + 3
    assert lines[2].startswith("1  Alien (1979)") and "horror, sci-fi" in lines[2]
    float(lines[2].split()[-1])


def test_search_filters(capsys, tmp_path, hash_embedder):
    run(capsys, *index_args(tmp_path))
    code, out, _ = run(capsys, *search_args(tmp_path, "a movie", "--k", "50", "--genre", "Horror",
                                            "--year-min", "2000", "--year-max", "2017"))
    assert code == 0
    rows = out.strip().splitlines()[2:]
    assert sorted(r.split("  ")[1].strip() for r in rows) == ["Get Out (2017)", "It (2017)", "The Conjuring (2013)"]


def test_search_with_no_match(capsys, tmp_path, hash_embedder):
    run(capsys, *index_args(tmp_path))
    code, out, _ = run(capsys, *search_args(tmp_path, "a movie", "--genre", "war", "--year-min", "2000"))
    assert code == 0 and "no items match" in out


def test_index_with_a_field_mapping(capsys, tmp_path, hash_embedder):
    books = tmp_path / "books.jsonl"
    books.write_text(json.dumps({"isbn": "1", "book": "Dune", "subjects": "science fiction"}) + "\n")
    code, out, err = run(capsys, "index", str(books), "--map", "title=book", "--map", "genres=subjects",
                         "--home", str(tmp_path / "home"))
    assert code == 0, err
    assert "items: 1  embedded: 1" in out
    code, out, _ = run(capsys, "search", "desert", "--catalog", str(books), "--map", "title=book",
                       "--map", "genres=subjects", "--home", str(tmp_path / "home"))
    assert code == 0 and "Dune" in out and "science fiction" in out


def test_catalog_from_the_environment(capsys, tmp_path, hash_embedder, monkeypatch):
    monkeypatch.setenv("CHATREC_CATALOG", str(MINI_MOVIES))
    monkeypatch.setenv("CHATREC_HOME", str(tmp_path / "envhome"))
    code, out, _ = run(capsys, "index")
    assert code == 0 and "items: 34" in out
    assert (tmp_path / "envhome" / "chroma").is_dir()


@pytest.mark.parametrize("argv,fragment", [
    (["index", "missing.jsonl"], "missing.jsonl does not exist"),
    (["index", "{fixture}", "--map", "title"], "--map expects FIELD=SOURCE"),
    (["index", "{fixture}", "--map", "rating=stars"], "--map field 'rating' is unknown"),
    (["search", "space", "--catalog", "{fixture}", "--genre", "scifi"], "unknown genre 'scifi'"),
    (["search", "space", "--catalog", "{fixture}", "--k", "0"], "--k must be at least 1"),
    (["search", "space", "--catalog", "{fixture}", "--year-min", "2000", "--year-max", "1990"], "is after"),
    (["search", "  ", "--catalog", "{fixture}"], "query is empty"),
    (["search", "space", "--catalog", "{fixture}"], "run `chatrec index`"),
    (["index", "{fixture}", "--chroma-url", "http://127.0.0.1:9"], "Cannot reach the Chroma server"),
])
def test_bad_inputs_exit_2_with_a_message(capsys, tmp_path, hash_embedder, argv, fragment):
    argv = [a.replace("{fixture}", str(MINI_MOVIES)) for a in argv] + ["--home", str(tmp_path / "home")]
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("chatrec: error: ") and fragment in err
    assert "Traceback" not in err + out


def test_bad_catalog_row_names_file_and_line(capsys, tmp_path, hash_embedder):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "title": "A"}\n{"id": "2", "year": 1999}\n')
    code, _, err = run(capsys, "index", str(bad), "--home", str(tmp_path / "home"))
    assert code == 2 and f"{bad} line 2" in err and "'title'" in err


def test_a_bad_environment_value_is_a_message(capsys, tmp_path, hash_embedder, monkeypatch):
    monkeypatch.setenv("CHATREC_LLM_THREADS", "many")
    code, _, err = run(capsys, *index_args(tmp_path))
    assert code == 2 and "invalid setting" in err and "llm_threads" in err


def test_usage_errors_and_help(capsys):
    assert run(capsys, "search")[0] == 2  # QUERY missing: argparse's usage message
    assert run(capsys, "frobnicate")[0] == 2
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "index" in out and "search" in out


def test_ctrl_c_exits_130(capsys, tmp_path, monkeypatch):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(chatrec.indexing, "open_catalog", lambda settings: interrupted(None))
    code, _, err = run(capsys, *index_args(tmp_path))
    assert code == 130 and "interrupted" in err


def test_commands_come_from_one_table():
    names = [c.name for c in cli.COMMANDS]
    assert names[:2] == ["index", "search"] and len(set(names)) == len(names)


@pytest.mark.real_embedder
def test_space_adventure_end_to_end_with_minilm(capsys, tmp_path):
    assert run(capsys, *index_args(tmp_path))[0] == 0
    code, out, _ = run(capsys, *search_args(tmp_path, "space adventure", "--k", "5"))
    assert code == 0
    rows = out.strip().splitlines()[2:]
    assert len(rows) == 5 and sum("sci-fi" in r for r in rows) >= 4, out
