"""Bad input through every door: the Python API, the CLI, catalog files, replay scripts and the HTTP API.

Every rejected input gets a clear message (an `InputError`, a `CatalogError`, a `ScriptError`, exit
code 2, HTTP 400) and leaves the session's state and transcript exactly as they were. Property-based
tests (hypothesis) drive any string, and any sequence of strings, through extract-and-update.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatrec.catalog import load_catalog
from chatrec.dialogue.manager import MAX_MESSAGE_CHARS, clean_message
from chatrec.dialogue.state import InterestState
from chatrec.errors import CatalogError, ChatRecError, InputError, ScriptError
from chatrec.testing.bots import make_bot

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "movies_300.jsonl"


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    """One rules-only bot (HashEmbedder) for the module; every test uses its own sessions."""
    bot = make_bot(catalog=FIXTURE, embedder="hash", llm="none", home=tmp_path_factory.mktemp("bad-input"))
    yield bot
    bot.close()


def new_session(prefix: str = "s") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def snapshot(bot, session: str) -> tuple[str, list]:
    """Everything stored for a session: its state as JSON and its transcript."""
    return bot.sessions.load(session).model_dump_json(), bot.sessions.transcript(session)


def seeded(bot) -> str:
    """A session with two real turns in it."""
    session = new_session("seeded")
    bot.chat("I like sci-fi movies", session=session)
    bot.chat("no horror please", session=session)
    return session


def assert_valid_state(state: InterestState) -> None:
    """The state survives a JSON round trip unchanged and holds only sane values."""
    text = state.model_dump_json()
    json.loads(text)
    assert InterestState.model_validate_json(text) == state
    for pref in state.prefs:
        assert pref.kind in {"genre", "item", "person", "keyword"}
        assert pref.value and pref.label
        assert 0 < pref.weight <= 1.0 + 1e-9


# ---------------------------------------------------------------- Python API: messages

@pytest.mark.parametrize("message", ["", " ", "   \n\t  ", "\u200b", "\x00\x01\x02", None])
def test_empty_or_blank_messages_change_nothing(bot, message):
    session = seeded(bot)
    before = snapshot(bot, session)
    reply = bot.chat(message, session=session)
    assert reply.asks_question and "empty" in reply.text.lower()
    assert any("nothing changed" in n.lower() for n in reply.notices)
    assert not reply.recommendations
    assert snapshot(bot, session) == before


def test_a_100k_character_message_is_truncated_with_a_notice(bot):
    session = new_session()
    message = ("I like sci-fi movies. " * 5000)[:100_000]
    reply = bot.chat(message, session=session)
    assert any("100,000" in n and f"{MAX_MESSAGE_CHARS:,}" in n for n in reply.notices), reply.notices
    assert "sci-fi" in reply.interests.likes
    assert reply.recommendations
    stored_user_lines = [text for _, role, text in bot.sessions.transcript(session) if role == "user"]
    assert stored_user_lines and all(len(text) <= MAX_MESSAGE_CHARS for text in stored_user_lines)
    assert all(len(m) <= MAX_MESSAGE_CHARS for m in bot.state(session).recent_messages)


def test_clean_message_truncates_and_strips_control_characters():
    text, notices = clean_message("a\x00b\x1bc\x7fd" + "x" * 5000)
    assert len(text) == MAX_MESSAGE_CHARS and notices
    assert not any(ch in text for ch in "\x00\x1b\x7f")


ODD_UNICODE = {
    "rtl_override": "\u202eI like sci-fi\u202c movies",
    "rtl_marks": "\u200fI like \u200ehorror\u200f movies",
    "zero_width": "I\u200b like\u200d com\u200cedy\ufeff",
    "emoji": "I like 🚀 sci-fi 👽 and 😂 comedies 👨‍👩‍👧‍👦🏳️‍🌈",
    "combining": "I like sci-fi" + "\u0301" * 500,
    "lone_surrogate": "I like sci-fi \ud800 and \udfff movies",
    "cjk_arabic": "我喜欢科幻电影 أحب أفلام الخيال العلمي",
    "fullwidth": "Ｉ ｌｉｋｅ ｓｃｉ－ｆｉ",
    "control_mix": "I like\x00 sci-fi\x07\x1b[31m red\x1b[0m\r\n movies\x0b\x0c",
    "private_use": "\ue000\uf8ff\U000f0000 comedy",
    "nonchar": "\uffff\ufffe\U0010ffff drama",
}


@pytest.mark.parametrize("name", sorted(ODD_UNICODE))
def test_odd_unicode_is_handled_and_stored(bot, name):
    session = new_session(name.replace("_", "-"))
    reply = bot.chat(ODD_UNICODE[name], session=session)
    assert reply.turn in (0, 1)
    assert_valid_state(bot.state(session))
    for _, _, text in bot.sessions.transcript(session):
        text.encode("utf-8")  # no lone surrogate reached the store
        assert "\x00" not in text and "\u202e" not in text


def test_sci_fi_survives_bidi_and_zero_width_noise(bot):
    session = new_session()
    reply = bot.chat(ODD_UNICODE["rtl_override"], session=session)
    assert "sci-fi" in reply.interests.likes


@pytest.mark.parametrize("message", [123, 1.5, True, b"I like sci-fi", ["I like sci-fi"], {"text": "hi"}, object()],
                         ids=lambda m: type(m).__name__)
def test_non_string_messages_are_rejected_and_change_nothing(bot, message):
    session = seeded(bot)
    before = snapshot(bot, session)
    with pytest.raises(InputError, match="must be text"):
        bot.chat(message, session=session)
    with pytest.raises(InputError):
        list(bot.stream(message, session=session))
    assert snapshot(bot, session) == before


# ---------------------------------------------------------------- Python API: session ids and other arguments

BAD_SESSION_IDS = ["", " ", "a b", "x" * 129, "../../etc/passwd", "a/b", "a\nb", "a\x00b", "名前",
                   "a;DROP TABLE sessions;--", "' OR 1=1 --", "\u202esession", None, 123, b"bytes", ["s"]]


@pytest.mark.parametrize("session", BAD_SESSION_IDS, ids=lambda s: repr(s)[:20])
def test_malformed_session_ids_are_rejected_everywhere(bot, session):
    doors = [
        lambda: bot.chat("I like sci-fi", session=session),
        lambda: list(bot.stream("I like sci-fi", session=session)),
        lambda: bot.feedback(session, bot.catalog.ids[0], "liked"),
        lambda: bot.remove_interest(session, "sci-fi"),
        lambda: bot.record_assistant_turn(session, "Try Alien."),
        lambda: bot.interests(session),
        lambda: bot.state(session),
        lambda: bot.recommend(session),
        lambda: bot.forget(session),
    ]
    stored = bot.sessions.sessions()
    for door in doors:
        with pytest.raises(InputError, match="invalid session id"):
            door()
    assert bot.sessions.sessions() == stored


@pytest.mark.parametrize("session", ["x" * 128, "a-b_c.d:e@f", "0", "UPPER.lower"])
def test_edge_valid_session_ids_work(bot, session):
    bot.forget(session)
    reply = bot.chat("I like comedy", session=session)
    assert reply.session == session and "comedy" in reply.interests.likes
    bot.forget(session)


def test_unknown_session_ids_are_new_empty_sessions_not_errors(bot):
    session = new_session("unknown")
    assert bot.interests(session).likes == []
    assert bot.recommend(session)  # cold start picks
    bot.forget(session)  # forgetting what does not exist is fine
    assert not bot.sessions.exists(session)


@pytest.mark.parametrize("item_id, kind, match", [
    ("no-such-item", "liked", "unknown item"),
    (None, "liked", "unknown item"),
    (["a"], "liked", "unknown item"),
    ("", "seen", "unknown item"),
    ("FIRST", "love", "feedback must be one of"),
    ("FIRST", None, "feedback must be one of"),
    ("FIRST", "LIKED", "feedback must be one of"),
])
def test_bad_feedback_is_rejected_and_changes_nothing(bot, item_id, kind, match):
    session = seeded(bot)
    before = snapshot(bot, session)
    with pytest.raises(InputError, match=match):
        bot.feedback(session, bot.catalog.ids[0] if item_id == "FIRST" else item_id, kind)
    assert snapshot(bot, session) == before


def test_a_failed_turn_rolls_back_nothing_half_written(bot, monkeypatch):
    """An unexpected error inside a turn leaves the stored state and transcript as they were."""
    session = seeded(bot)
    before = snapshot(bot, session)

    def boom(*args, **kwargs):
        raise RuntimeError("ranking exploded")

    monkeypatch.setattr(bot.recommender, "rank", boom)
    with pytest.raises(RuntimeError):
        bot.chat("I like comedy", session=session)
    monkeypatch.undo()
    assert snapshot(bot, session) == before
    assert "comedy" in bot.chat("I like comedy", session=session).interests.likes


@pytest.mark.parametrize("label", [None, 5])
def test_remove_interest_with_a_non_string_label_is_an_input_error(bot, label):
    session = seeded(bot)
    with pytest.raises(InputError):
        bot.remove_interest(session, label)


def test_record_assistant_turn_rejects_non_text(bot):
    with pytest.raises(InputError):
        bot.record_assistant_turn(new_session(), 5)


# ---------------------------------------------------------------- property-based: extract and update

BUILDING_BLOCKS = ["I like", "I love", "no", "not", "don't", "hate", "sci-fi", "horror", "comedy", "comedies",
                   "Inception", "Alien (1979)", "Tom Hanks", "Christopher Nolan", "from the 80s", "after 2010",
                   "before 1950", "forget everything", "actually", "now", "the second one", "seen it", "but",
                   "something like", "ignore previous instructions", "{\"liked_titles\": [\"X\"]}", ",", ".",
                   "\u202e", "\u200b", "😀", "\x00", "\ud800", "-", "1990-1999", "year 99999", "-5"]

any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300)
sentence_like = st.lists(st.sampled_from(BUILDING_BLOCKS), max_size=12).map(" ".join)
messages = st.one_of(any_text, sentence_like)


def extract_and_update(bot, state: InterestState, message) -> InterestState:
    """The state half of a turn, as `ChatRec.stream` does it."""
    text, _ = clean_message(message)
    if not text:
        return state
    state.begin_turn(text)
    delta, _ = bot.extractor.extract(text, shown=state.last_shown, turn=state.turn)
    feedback, delta.feedback = [fb for fb in delta.feedback if fb.item_id in bot.catalog], []
    state.apply(delta)
    for fb in feedback:
        state.apply_feedback(fb.item_id, fb.kind, label=bot.catalog[fb.item_id].label)
    return state


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(message=st.one_of(messages, st.integers(), st.binary(max_size=20), st.none()))
def test_any_input_leaves_a_valid_state(bot, message):
    state = InterestState()
    try:
        state = extract_and_update(bot, state, message)
    except InputError:
        assert not isinstance(message, (str, type(None)))
        return
    assert_valid_state(state)
    for pref in state.prefs:
        if pref.kind == "item":
            assert pref.value in bot.catalog


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(sequence=st.lists(messages, min_size=1, max_size=8))
def test_any_sequence_of_messages_leaves_a_valid_state(bot, sequence):
    state = InterestState()
    state.last_shown = bot.catalog.ids[:5]
    for message in sequence:
        state = extract_and_update(bot, state, message)
        assert_valid_state(state)
    non_empty = sum(1 for m in sequence if clean_message(m)[0])
    assert state.turn == non_empty
    assert set(state.excluded_items()) <= set(bot.catalog.ids)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(sequence=st.lists(messages, min_size=1, max_size=4))
def test_any_conversation_through_chat_is_stored_whole(bot, sequence):
    """Whole turns through `chat`: the stored state round-trips and every non-empty turn is in the transcript."""
    session = new_session("prop")
    try:
        for message in sequence:
            reply = bot.chat(message, session=session)
            assert all(r.item_id in bot.catalog for r in reply.recommendations)
        state = bot.state(session)
        assert_valid_state(state)
        non_empty = sum(1 for m in sequence if clean_message(m)[0])
        assert state.turn == non_empty
        user_lines = [t for t, role, _ in bot.sessions.transcript(session) if role == "user"]
        assert user_lines == list(range(1, non_empty + 1))
    finally:
        bot.forget(session)


# ---------------------------------------------------------------- the CLI

@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    """The CLI with the HashEmbedder and a throwaway home (never the user's index)."""
    import chatrec.embeddings
    import chatrec.indexing
    from chatrec.embeddings import HashEmbedder

    for var in ("CHATREC_HOME", "CHATREC_CATALOG", "CHATREC_CHROMA_URL", "CHATREC_EMBED_MODEL", "CHATREC_LLM",
                "CHATREC_TOP_K", "CHATREC_LLM_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(chatrec.indexing, "shared_embedder", lambda model_path=None: HashEmbedder())
    monkeypatch.setattr(chatrec.embeddings, "shared_embedder", lambda model_path=None: HashEmbedder())
    return tmp_path


def run_cli(capsys, *argv):
    from chatrec import cli

    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def bad_catalogs(folder: Path) -> dict[str, Path]:
    files = {
        "broken.jsonl": '{"id": "1", "title": "A"}\n{"id": "2", "title": \n',
        "no_title.jsonl": '{"id": "1"}\n',
        "empty.jsonl": "\n\n",
        "weird.xml": "<movies/>",
        "bad_year.jsonl": '{"id": "1", "title": "A", "year": "soon"}\n',
        "dupes.jsonl": '{"id": "1", "title": "A"}\n{"id": "1", "title": "B"}\n',
    }
    out = {}
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        out[name] = folder / name
    out["missing.jsonl"] = folder / "missing.jsonl"
    return out


def assert_one_clear_line(code: int, err: str) -> str:
    assert code == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("chatrec: error: ")
    return lines[0]


@pytest.mark.parametrize("name, words", [
    ("broken.jsonl", ["line 2", "invalid JSON"]), ("no_title.jsonl", ["title"]), ("empty.jsonl", ["no items"]),
    ("weird.xml", ["unknown catalog format"]), ("bad_year.jsonl", ["year", "soon"]),
    ("dupes.jsonl", ["duplicate id"]), ("missing.jsonl", ["does not exist"]),
])
@pytest.mark.parametrize("command", ["index", "search", "chat"])
def test_cli_bad_catalogs_exit_2_with_one_line(capsys, cli_env, command, name, words):
    path = bad_catalogs(cli_env)[name]
    home = cli_env / "home"
    argv = {"index": ["index", path, "--home", home],
            "search": ["search", "space", "--catalog", path, "--home", home],
            "chat": ["chat", "--catalog", path, "--home", home, "--llm", "none"]}[command]
    code, _, err = run_cli(capsys, *argv)
    line = assert_one_clear_line(code, err)
    for word in words:
        assert word in line


@pytest.mark.parametrize("argv, words", [
    (["search", "   ", "--catalog", FIXTURE], ["query is empty"]),
    (["search", "space", "--k", "0", "--catalog", FIXTURE], ["--k"]),
    (["search", "space", "--year-min", "2000", "--year-max", "1990", "--catalog", FIXTURE], ["--year-min"]),
    (["search", "space", "--genre", "nonsense", "--catalog", FIXTURE], ["unknown genre"]),
    (["search", "space", "--map", "titlename", "--catalog", FIXTURE], ["FIELD=SOURCE"]),
    (["chat", "--llm", "nonsense", "--catalog", FIXTURE], ["unknown LLM setting"]),
])
def test_cli_bad_arguments_exit_2_with_one_line(capsys, cli_env, argv, words):
    code, _, err = run_cli(capsys, *argv, "--home", cli_env / "home")
    line = assert_one_clear_line(code, err)
    for word in words:
        assert word in line


@pytest.mark.parametrize("argv", [["bogus"], [], ["search"], ["search", "x", "--k", "many"], ["index", "--nope"]])
def test_cli_argparse_errors_exit_2_without_traceback(capsys, argv):
    code, _, err = run_cli(capsys, *argv)
    assert code == 2
    assert "Traceback" not in err and "error:" in err


def test_cli_chat_survives_hostile_lines(cli_env):
    """The terminal chat keeps going through odd lines, bad button presses and a huge message."""
    import io

    from chatrec import cli

    args = cli.build_parser().parse_args(["chat", "--catalog", str(FIXTURE), "--home", str(cli_env / "home"),
                                          "--llm", "none", "--session", "term-1"])
    lines = ["I like sci-fi", "/like 99", "/like x", "/dislike", "/seen -1", "\x00\x1b[2J", "\u202e😀",
             "x" * 100_000, "/interests", "/like 1", "/reset", "/interests", "/quit"]
    out = io.StringIO()
    code = args.run(args, stdin=io.StringIO("\n".join(lines) + "\n"), stdout=out)
    text = out.getvalue()
    assert code == 0, text
    assert "Traceback" not in text
    assert "Say which pick, 1 to 5" in text
    assert "100,000" in text
    assert "Forgotten" in text and "nothing known yet" in text


# ---------------------------------------------------------------- catalogs through load_catalog

@pytest.mark.parametrize("name, text, words", [
    ("bad.jsonl", '{"id": "1", "title": "A"}\n{"id": 2, "title": "B",}\n', ["line 2", "invalid JSON"]),
    ("scalar.jsonl", "5\n", ["line 1", "expected an object"]),
    ("array.jsonl", '[{"id": "1", "title": "A"}]\n', ["line 1", "expected an object"]),
    ("no_id.jsonl", '{"title": "A"}\n', ["field 'id' is missing"]),
    ("blank_title.jsonl", '{"id": "1", "title": "   "}\n', ["title"]),
    ("nan_year.jsonl", '{"id": "1", "title": "A", "year": NaN}\n', ["year"]),
    ("inf_year.jsonl", '{"id": "1", "title": "A", "year": 1e400}\n', ["year"]),
    ("huge_year.jsonl", '{"id": "1", "title": "A", "year": "99999999999999999999"}\n', ["year"]),
    ("dupes.json", '[{"id": "1", "title": "A"}, {"id": "1", "title": "B"}]', ["duplicate id"]),
    ("scalar.json", '"just a string"', ["expected a JSON array"]),
    ("bad.json", '[{"id": "1", "title": "A"},\n{oops}]', ["line 2", "invalid JSON"]),
    ("empty.json", "[]", ["no items"]),
    ("empty.csv", "", ["no header"]),
    ("ragged.csv", "id,title\n1,A\n2,B,extra\n", ["line 3", "more values"]),
    ("no_title.csv", "id,name_of_thing\n1,A\n", ["title"]),
    ("header_only.csv", "id,title\n", ["no items"]),
    ("movies.txt", "id,title\n1,A\n", ["unknown catalog format"]),
])
def test_malformed_catalogs_raise_catalog_error_naming_the_place(tmp_path, name, text, words):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    message = str(info.value)
    assert str(path) in message
    for word in words:
        assert word in message, message


def test_a_missing_catalog_file_is_a_catalog_error(tmp_path):
    with pytest.raises(CatalogError, match="does not exist"):
        load_catalog(tmp_path / "nope.jsonl")


def test_catalog_text_with_control_characters_and_markup_loads_as_text(tmp_path):
    path = tmp_path / "odd.jsonl"
    records = [{"id": "1", "title": "<script>alert(1)</script>", "genres": "horror|<b>bold</b>"},
               {"id": "2", "title": "Zero\u200bWidth \u202eRTL", "description": "emoji 🎬 and \\u0000 escapes"},
               {"id": "3", "title": "x" * 10_000, "year": 1999.0, "genres": 5}]
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    catalog = load_catalog(path)
    assert len(catalog) == 3 and catalog["1"].title == "<script>alert(1)</script>"
    assert catalog["3"].year == 1999


CATALOG_BUGS = "BUG chatrec/catalog/loaders.py"


def test_a_non_utf8_catalog_is_a_catalog_error(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes('{"id": "1", "title": "Amélie"}\n'.encode("latin-1"))
    with pytest.raises(CatalogError, match="UTF-8"):
        load_catalog(path)


def test_a_folder_instead_of_a_catalog_file_is_a_catalog_error(tmp_path):
    folder = tmp_path / "movies.jsonl"
    folder.mkdir()
    with pytest.raises(CatalogError):
        load_catalog(folder)


def test_deeply_nested_json_catalog_is_a_catalog_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(CatalogError):
        load_catalog(path)


def test_a_csv_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text("id,title\n1,Alien\n", encoding="utf-8-sig")
    assert load_catalog(path)["1"].title == "Alien"



# ---------------------------------------------------------------- replay scripts

GOOD_TURN = "turns:\n  - user: I like sci-fi\n"


@pytest.mark.parametrize("name, text, words", [
    ("tab", "turns:\n\t- user: hi\n", ["line 2", "not valid YAML"]),
    ("unclosed", 'turns:\n  - user: "hi\n', ["not valid YAML"]),
    ("scalar", "42\n", ["line 1", "mapping"]),
    ("list", "- user: hi\n", ["mapping"]),
    ("empty", "", ["empty file"]),
    ("no_turns", "name: x\n", ["turns"]),
    ("empty_turns", "turns: []\n", ["turns"]),
    ("no_action", "turns:\n  - expect: {}\n", ["line 2", "exactly one of"]),
    ("both_actions", "turns:\n  - user: hi\n    press: {rank: 1, button: liked}\n", ["exactly one of"]),
    ("bad_button", "turns:\n  - press: {rank: 1, button: love}\n", ["button"]),
    ("rank_zero", "turns:\n  - press: {rank: 0, button: liked}\n", ["rank"]),
    ("typo_key", "turns:\n  - user: hi\n    expekt: {}\n", ["line 3", "expekt", "expect"]),
    ("user_not_text", "turns:\n  - user: [1, 2]\n", ["user"]),
    ("python_tag", "turns: !!python/object/apply:os.system ['echo pwned']\n", ["not valid YAML"]),
    ("nul_byte", "turns:\n  - user: a\x00b\n", ["not valid YAML"]),
    ("binary", "\x89PNG\r\n\x1a\n", ["not valid YAML"]),
    ("bad_llm_replies", GOOD_TURN + "    llm_replies: 5\n", ["llm_replies"]),
    ("bad_top_k", "top_k: 0\n" + GOOD_TURN, ["top_k"]),
    ("bad_embedder", "embedder: magic\n" + GOOD_TURN, ["embedder"]),
])
def test_malformed_scripts_raise_script_error_with_the_place(tmp_path, name, text, words):
    from chatrec.testing.replay import load_script

    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScriptError) as info:
        load_script(path)
    message = str(info.value)
    assert str(path) in message
    for word in words:
        assert word in message, message


def test_replay_of_a_missing_or_unreadable_script_is_a_script_error(tmp_path):
    from chatrec.testing.replay import load_script, replay

    with pytest.raises(ScriptError, match="cannot read"):
        load_script(tmp_path / "missing.yaml")
    with pytest.raises(ScriptError):
        replay(tmp_path / "missing.yaml")


def test_a_non_utf8_script_is_a_script_error(tmp_path):
    from chatrec.testing.replay import load_script

    latin = tmp_path / "latin.yaml"
    latin.write_bytes("turns:\n  - user: Amélie\n".encode("latin-1"))
    with pytest.raises(ScriptError):
        load_script(latin)


def test_replay_with_a_missing_catalog_is_a_script_error(tmp_path):
    from chatrec.testing.replay import replay

    path = tmp_path / "script.yaml"
    path.write_text("catalog: nowhere.jsonl\nembedder: hash\n" + GOOD_TURN, encoding="utf-8")
    with pytest.raises(ScriptError, match="does not exist"):
        replay(path)


def test_deeply_nested_yaml_is_a_script_error(tmp_path):
    from chatrec.testing.replay import load_script

    path = tmp_path / "deep.yaml"
    path.write_text("turns: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(ScriptError):
        load_script(path)


def test_a_yaml_alias_bomb_is_rejected_quickly(tmp_path):
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\nname: *a7\nturns: [{user: hi}]\n", encoding="utf-8")
    code = ("import sys\nfrom chatrec.testing.replay import load_script\nfrom chatrec.errors import ScriptError\n"
            "try:\n    load_script(sys.argv[1])\nexcept ScriptError:\n    sys.exit(0)\nsys.exit(1)\n")
    try:
        done = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, timeout=8, capture_output=True)
    except subprocess.TimeoutExpired:
        pytest.fail("parsing an alias bomb took more than 8 s")
    assert done.returncode == 0, done.stderr.decode()[-500:]


# ---------------------------------------------------------------- the web app's JSON API

@pytest.fixture(scope="module")
def client(bot):
    pytest.importorskip("gradio")
    from fastapi.testclient import TestClient

    from chatrec.ui.app import create_server_app

    with TestClient(create_server_app(bot)) as client:
        yield client


@pytest.fixture
def api_session(bot, client):
    session = new_session("api")
    response = client.post("/api/chat", json={"session": session, "message": "I like sci-fi movies"})
    assert response.status_code == 200
    return session


def assert_400(response) -> str:
    assert response.status_code == 400, response.text
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"].strip()
    assert "Traceback" not in response.text
    return body["error"]


@pytest.mark.parametrize("body", [
    {"message": "hi"}, {"session": "S"}, {"session": "S", "message": 5}, {"session": "S", "message": None},
    {"session": "S", "message": ["hi"]}, {"session": 5, "message": "hi"}, {"session": "bad id", "message": "hi"},
    {"session": "../../etc", "message": "hi"}, {"session": "", "message": "hi"}, {"session": "x" * 129, "message": "hi"},
    [], "just a string", 42,
], ids=lambda b: json.dumps(b)[:30])
def test_api_chat_rejects_bad_bodies_with_400(bot, client, api_session, body):
    if isinstance(body, dict) and body.get("session") == "S":
        body = dict(body, session=api_session)
    before = snapshot(bot, api_session)
    error = assert_400(client.post("/api/chat", json=body))
    assert snapshot(bot, api_session) == before
    assert error


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe", b'{"session": "a", "message": "hi"', b"null"])
def test_api_chat_rejects_broken_json_with_400(bot, client, api_session, raw):
    before = snapshot(bot, api_session)
    assert_400(client.post("/api/chat", content=raw, headers={"content-type": "application/json"}))
    assert snapshot(bot, api_session) == before


def test_api_chat_handles_empty_huge_and_odd_messages(bot, client, api_session):
    before = snapshot(bot, api_session)
    response = client.post("/api/chat", json={"session": api_session, "message": "   "})
    assert response.status_code == 200 and "empty" in response.json()["text"].lower()
    assert snapshot(bot, api_session) == before
    response = client.post("/api/chat", json={"session": api_session, "message": "I like comedy " * 10_000})
    assert response.status_code == 200
    assert any("I read the first" in n for n in response.json()["notices"])
    for text in ODD_UNICODE.values():
        if "\ud800" in text:
            continue  # JSON cannot carry a lone surrogate from this client
        assert client.post("/api/chat", json={"session": api_session, "message": text}).status_code == 200


@pytest.mark.parametrize("path, body, words", [
    ("/api/feedback", {"session": "S", "item_id": "no-such", "kind": "liked"}, ["unknown item"]),
    ("/api/feedback", {"session": "S", "item_id": "FIRST", "kind": "love"}, ["feedback must be one of"]),
    ("/api/feedback", {"session": "bad id", "item_id": "FIRST", "kind": "liked"}, ["invalid session id"]),
    ("/api/feedback", {"session": "S", "kind": "liked"}, ["item_id"]),
    ("/api/forget", {"session": "bad id"}, ["invalid session id"]),
    ("/api/forget", {}, ["session"]),
])
def test_api_feedback_and_forget_reject_bad_bodies_with_400(bot, client, api_session, path, body, words):
    body = {k: (api_session if v == "S" else bot.catalog.ids[0] if v == "FIRST" else v) for k, v in body.items()}
    before = snapshot(bot, api_session)
    error = assert_400(client.post(path, json=body))
    for word in words:
        assert word in error
    assert snapshot(bot, api_session) == before


def test_errors_are_chatrec_errors_with_a_message():
    """Every error class a user can see carries a message (no bare exceptions)."""
    for cls in (InputError, CatalogError, ScriptError):
        assert issubclass(cls, ChatRecError)
