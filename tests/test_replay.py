"""The replay runner, its script format and errors, record mode, and `chatrec replay` exit codes.

Fast: the 306-movie fixture with the HashEmbedder; one bot per LLM mode for the module.
"""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path

import pytest
import yaml

from chatrec import replay_cli
from chatrec.errors import ScriptError
from chatrec.testing import FunctionLLM, ReplayResult, load_script, replay
from chatrec.testing.replay import BotCache, parse_script

FIXTURE = Path(__file__).parent / "fixtures" / "movies_300.jsonl"


@pytest.fixture(scope="module")
def bots():
    cache = BotCache()
    yield cache
    cache.close()


def write(tmp_path: Path, text: str, name: str = "conv.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def script_text(turns: str, *, llm: str = "none", extra: str = "") -> str:
    return f"name: t\ncatalog: {FIXTURE}\nembedder: hash\nllm: {llm}\n{extra}turns:\n" + textwrap.dedent(turns)


# ---------------------------------------------------------------- good scripts

def test_passing_conversation_counts_expectations(tmp_path, bots):
    path = write(tmp_path, script_text("""\
        - user: I like westerns but I hate horror
          expect:
            likes_contain: western
            dislikes_contain: [Horror]
            none_have_genre: horror
            any_has_genre: western
            asks_question: false
        """))
    result = replay(path, bots=bots)
    assert isinstance(result, ReplayResult)
    assert result.passed, result.report()
    assert result.expectations_passed == 5 and result.expectations_failed == 0
    assert result.report() == ""


def test_failing_expectation_names_turn_expectation_and_top_k(tmp_path, bots):
    path = write(tmp_path, script_text("""\
        - user: hi
          expect: {asks_question: true}
        - user: I like westerns
          expect:
            top_k_contains: [The Notebook]
            all_have_genre: comedy
        """))
    result = replay(path, bots=bots)
    assert not result.passed
    assert [c.expectation for c in result.failures] == ["top_k_contains 'The Notebook'", "all_have_genre 'comedy'"]
    report = result.report()
    assert "turn 2: 'I like westerns'" in report
    assert "FAILED top_k_contains 'The Notebook': not in the top 5" in report
    top = result.turns[1].top_k
    assert len(top) == 5 and f"1. {top[0]}" in report


def test_press_acts_on_the_previous_picks(tmp_path, bots):
    path = write(tmp_path, script_text("""\
        - user: comedies please
        - press: {rank: 1, button: disliked}
        """))
    result = replay(path, bots=bots)
    first = result.turns[0].top_k[0]
    assert result.passed
    assert first in result.turns[1].action
    assert first not in result.turns[1].top_k


def test_press_beyond_the_shown_picks_fails_the_turn(tmp_path, bots):
    result = replay(write(tmp_path, script_text("- press: {rank: 3, button: seen}\n")), bots=bots)
    assert [c.expectation for c in result.failures] == ["turn"]
    assert "showed 0 picks" in result.failures[0].message


def test_scripted_llm_replies_are_used_per_turn(tmp_path, bots):
    path = write(tmp_path, script_text("""\
        - user: I love space adventures but I hate horror
          llm_replies:
            - {liked_genres: [adventure, horror], keywords: [space]}
            - A trip across the stars.
          expect:
            dislikes_contain: [horror]
            likes_exclude: [horror]
        """, llm="scripted"))
    result = replay(path, bots=bots)
    assert result.passed, result.report()
    picks = result.turns[0].reply.recommendations
    assert picks[0].explanation == "A trip across the stars." and picks[0].explanation_source == "llm"
    assert {p.explanation_source for p in picks[1:]} == {"template"}


def test_unused_scripted_replies_are_reported(tmp_path, bots):
    path = write(tmp_path, script_text("""\
        - user: westerns
          llm_replies: [{liked_genres: [western]}, one, two]
        """, llm="scripted", extra="explain: false\n"))
    result = replay(path, bots=bots)
    assert [c.expectation for c in result.failures] == ["llm_replies"]
    assert "2 scripted LLM replies were not used" in result.failures[0].message


def test_a_reply_that_does_not_fit_the_schema_fails_the_turn(tmp_path, bots):
    path = write(tmp_path, script_text("""\
        - user: westerns
          llm_replies: [{liked_genre: [western]}]
        """, llm="scripted", extra="explain: false\n"))
    result = replay(path, bots=bots)
    assert result.failures[0].expectation == "turn"
    assert "liked_genre" in result.failures[0].message


def test_replay_accepts_a_dict(bots):
    script = {"catalog": str(FIXTURE), "embedder": "hash", "turns": [{"user": "hi", "expect": {"asks_question": True}}]}
    assert replay(script, bots=bots).passed


# ---------------------------------------------------------------- malformed scripts

@pytest.mark.parametrize("body, line, words", [
    ("turns:\n  - user: hi\n    expect:\n      likes_contian: [x]\n", 4,
     ["turn 1", "unknown expectation 'likes_contian'", "did you mean 'likes_contain'"]),
    ("nme: x\nturns:\n  - user: hi\n", 1, ["unknown key 'nme'", "did you mean 'name'"]),
    ("turns:\n  - user: hi\n  - expect: {asks_question: true}\n", 3, ["turn 2", "exactly one of `user"]),
    ("turns:\n  - press: {rank: 1, buton: liked}\n", 2, ["turn 1", "'buton'", "did you mean 'button'"]),
    ("turns:\n  - press: {rank: 0, button: liked}\n", 2, ["press.rank", "greater than or equal to 1"]),
    ("turns:\n  - press: {rank: 1, button: liked}\n    expect: {asks_question: true}\n", 2, ["asks_question apply only"]),
    ("turns:\n  - user: hi\n    expect:\n      rank_of: {title: X}\n", 4, ["missing 'expect.rank_of.at_most'"]),
    ("llm: none\n", 1, ["missing 'turns'"]),
    ("turns: [\n  - user: hi\n", 2, ["not valid YAML"]),
    ("- just a list\n", 1, ["a script is a mapping"]),
])
def test_malformed_script_names_file_line_and_problem(tmp_path, body, line, words):
    path = write(tmp_path, body, name="bad.yaml")
    with pytest.raises(ScriptError) as caught:
        load_script(path)
    message = str(caught.value)
    assert message.startswith(f"{path}, line {line}:"), message
    for word in words:
        assert word in message


def test_missing_file_is_a_script_error(tmp_path):
    with pytest.raises(ScriptError, match="cannot read"):
        load_script(tmp_path / "nope.yaml")


def test_single_values_become_lists():
    script = parse_script("turns:\n  - user: hi\n    expect: {likes_contain: western, rank_of: {title: A, at_most: 2}}\n")
    assert script.turns[0].expect.likes_contain == ["western"]
    assert script.turns[0].expect.rank_of[0].at_most == 2


# ---------------------------------------------------------------- record mode

def fake_model(messages, json_schema):
    """Stands in for a real LLM: an extraction for schema calls, a sentence otherwise."""
    if json_schema is not None:
        text = messages[-1].content.lower()
        return {"liked_genres": ["western"]} if "western" in text else {"liked_genres": ["comedy"]}
    return "A film worth your evening."


def test_record_writes_replies_then_replay_is_deterministic(tmp_path):
    path = write(tmp_path, script_text("""\
        - user: I like westerns
          expect: {all_have_genre: western}
        - press: {rank: 1, button: liked}
        - user: actually comedies now
          expect: {likes_contain: comedy}
        """, llm="local", extra="top_k: 2\n"))
    recorded = replay(path, record=True, llm=FunctionLLM(fake_model))
    assert recorded.passed and recorded.recorded, recorded.report()
    data = yaml.safe_load(path.read_text())
    assert data["llm"] == "scripted" and data["recorded_with"] == "function"
    assert data["turns"][0]["llm_replies"] == [{"liked_genres": ["western"]}, "A film worth your evening.",
                                               "A film worth your evening."]
    assert "llm_replies" not in data["turns"][1]
    assert list(data["turns"][2]) == ["user", "llm_replies", "expect"]

    again = replay(path)  # llm: scripted now; no model involved
    assert again.passed, again.report()
    assert [t.top_k for t in again.turns] == [t.top_k for t in recorded.turns]
    explanations = [r.explanation for r in again.turns[0].reply.recommendations]
    assert explanations == ["A film worth your evening."] * 2


def test_recorded_invalid_output_is_replayed_verbatim(tmp_path):
    outputs = iter(['{"liked_genres": ', '{"liked_genres": ["western"]}'])
    path = write(tmp_path, script_text("- user: westerns\n  expect: {likes_contain: western}\n",
                                       llm="local", extra="explain: false\n"))
    assert replay(path, record=True, llm=FunctionLLM(lambda m, s: next(outputs))).passed
    data = yaml.safe_load(path.read_text())
    assert data["turns"][0]["llm_replies"] == ['{"liked_genres": ', {"liked_genres": ["western"]}]
    assert replay(path).passed  # the repair path is replayed too


def test_record_needs_a_real_llm(tmp_path):
    path = write(tmp_path, script_text("- user: hi\n"))
    with pytest.raises(ScriptError, match="record mode needs a real LLM"):
        replay(path, record=True, llm="none")


# ---------------------------------------------------------------- the CLI

def cli(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="chatrec")
    replay_cli.add_parser(parser.add_subparsers())
    return parser.parse_args(["replay", *argv])


@pytest.fixture
def hash_scripts(tmp_path):
    good = write(tmp_path, script_text("- user: westerns\n  expect: {all_have_genre: western}\n"), "good.yaml")
    bad = write(tmp_path, script_text("- user: westerns\n  expect: {all_have_genre: horror}\n"), "bad.yaml")
    known = write(tmp_path, script_text("- user: westerns\n  expect: {all_have_genre: horror}\n",
                                        extra="xfail: a known bug\n"), "known.yaml")
    broken = write(tmp_path, "turns:\n  - user: hi\n    expect: {top_k_contain: [x]}\n", "broken.yaml")
    return good, bad, known, broken


def test_cli_exit_codes_and_table(hash_scripts, capsys):
    good, bad, known, broken = hash_scripts
    args = cli(str(good), str(known))
    assert args.run(args) == 0
    out = capsys.readouterr().out
    assert "file" in out and "passed" in out and "xfail" in out and "expected to fail: a known bug" in out

    args = cli(str(good), str(bad))
    assert args.run(args) == 1
    out = capsys.readouterr().out
    assert "FAILED all_have_genre 'horror'" in out and "top-k: 1." in out

    args = cli(str(good), str(broken))
    assert args.run(args) == 2
    out = capsys.readouterr().out
    assert "broken.yaml, line 3" in out and "did you mean 'top_k_contains'" in out


def test_cli_folder_argument(hash_scripts, capsys):
    good, *_ = hash_scripts
    args = cli(str(good.parent))
    assert args.run(args) == 2  # the folder holds the broken script too
    assert "broken.yaml" in capsys.readouterr().out


def test_cli_llm_override(hash_scripts, capsys):
    good, *_ = hash_scripts
    args = cli(str(good), "--llm", "scripted")
    assert args.run(args) == 0  # no scripted replies: rules and templates, as with a dead model
    assert json.dumps("ok")[1:-1] in capsys.readouterr().out
