"""Streamed turns: rule-read first picks, the LLM's reading, the turn budget, and readers that walk away."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import pytest

from chatrec.testing import FunctionLLM, ScriptedLLM
from chatrec.testing.bots import make_bot

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "movies_300.jsonl"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("streaming-home")


def sid() -> str:
    return f"s-{uuid.uuid4().hex[:8]}"


class SlowLLM(FunctionLLM):
    """Answers extraction at once; streams explanations one word every `pause` seconds."""

    def __init__(self, fn, pause: float):
        super().__init__(fn)
        self.pause = pause

    def _stream(self, messages, *, max_tokens, temperature):
        text = self._generate(messages, json_schema=None, max_tokens=max_tokens, temperature=temperature)
        for word in text.split(" "):
            time.sleep(self.pause)
            yield word + " "


def test_none_mode_has_no_preview(home):
    bot = make_bot(catalog=FIXTURE, home=home)
    kinds = [e.kind for e in bot.stream("I like sci-fi movies", session=sid())]
    assert kinds[0] == "recommendations" and "preview" not in kinds and kinds[-1] == "done"


def test_preview_reads_the_rules_then_the_llm_changes_the_picks(home):
    # the LLM reads a theme in a message where the rules find only "old"
    def fn(messages, schema):
        return {"keywords": ["gunslingers"]} if schema else "A story you may enjoy."

    bot = make_bot(catalog=FIXTURE, home=home, llm=FunctionLLM(fn), explain=False)
    session = sid()
    events = list(bot.stream("I fancy tales of the old frontier with gunslingers and horses", session=session))
    kinds = [e.kind for e in events]
    assert kinds[:2] == ["preview", "recommendations"] and kinds[-1] == "done"
    preview, final = events[0].reply, events[-1].reply
    assert preview.preview and not final.preview
    assert "gunslinger" in final.interests.likes and "gunslinger" not in preview.interests.likes
    assert [r.item_id for r in preview.recommendations] != [r.item_id for r in final.recommendations]
    # only the final picks count as shown, and the state holds the LLM's reading
    assert bot.state(session).last_shown == [r.item_id for r in final.recommendations]
    assert preview.timings["preview"] < final.timings["total"]


def test_preview_state_is_not_saved_twice(home):
    llm = ScriptedLLM([{"liked_genres": ["sci-fi"]}])
    bot = make_bot(catalog=FIXTURE, home=home, llm=llm, explain=False)
    session = sid()
    bot.chat("I like sci-fi movies", session=session)
    state = bot.state(session)
    assert state.turn == 1
    assert [p.value for p in state.likes("genre")] == ["sci-fi"]
    assert [line[1] for line in bot.sessions.transcript(session)] == ["user", "assistant"]


def test_turn_budget_cuts_a_slow_explanation_for_a_template(home):
    def fn(messages, schema):
        return {"liked_genres": ["sci-fi"]} if schema else "A thoughtful sci-fi story about people far from home."

    llm = SlowLLM(fn, pause=0.15)  # ~1.4 s a sentence
    bot = make_bot(catalog=FIXTURE, home=home, llm=llm)
    bot.settings.turn_budget = 1.0
    start = time.perf_counter()
    reply = bot.chat("I like sci-fi movies", session=sid())
    elapsed = time.perf_counter() - start
    assert all(r.explanation_source == "template" for r in reply.recommendations)
    assert bot.explainer.timed_out == 1  # one sentence was cut; the rest were never started
    assert elapsed < 2.5, elapsed
    assert all(r.explanation for r in reply.recommendations)


def test_a_reader_that_walks_away_loses_nothing_and_blocks_nothing(home):
    def fn(messages, schema):
        return {"liked_genres": ["sci-fi"]} if schema else "A sci-fi story that fits."

    bot = make_bot(catalog=FIXTURE, home=home, llm=SlowLLM(fn, pause=0.05))
    session = sid()
    events = bot.stream("I like sci-fi movies", session=session)
    first = next(events)
    assert first.kind == "preview"
    events.close()  # the reader leaves before the LLM's reading and the explanations
    # the same session takes the next message at once, and the first one was kept
    done = threading.Event()
    replies = []

    def second_turn():
        replies.append(bot.chat("no horror please", session=session))
        done.set()

    threading.Thread(target=second_turn, daemon=True).start()
    assert done.wait(20), "the session stayed locked"
    state = bot.state(session)
    assert state.turn == 2
    assert "sci-fi" in replies[0].interests.likes and "horror" in replies[0].interests.dislikes
    users = [line[2] for line in bot.sessions.transcript(session) if line[1] == "user"]
    assert users == ["I like sci-fi movies", "no horror please"]


def test_errors_in_the_turn_reach_the_reader(home):
    from chatrec.errors import InputError

    bot = make_bot(catalog=FIXTURE, home=home)
    with pytest.raises(InputError):
        list(bot.stream(12345, session=sid()))

    def boom(*args, **kwargs):
        raise RuntimeError("ranking broke")

    bot.recommender.rank = boom
    with pytest.raises(RuntimeError, match="ranking broke"):
        bot.chat("I like sci-fi movies", session=sid())


def test_warm_up_reads_both_prompts_once_and_counts_nothing(home):
    calls: list[str] = []

    def fn(messages, schema):
        calls.append("extract" if schema else "explain")
        return {} if schema else "A film you may enjoy."

    bot = make_bot(catalog=FIXTURE, home=home, llm=FunctionLLM(fn))
    assert bot.warm_up(wait=True) is not None
    assert calls == ["extract", "explain"]
    ex = bot.explainer
    assert (ex.accepted, ex.rejected, ex.timed_out) == (0, 0, 0)
    # the warm-up leaves no session behind, and the first turn works as usual
    session = sid()
    reply = bot.chat("I like sci-fi movies", session=session)
    assert reply.recommendations and bot.state(session).turn == 1
    assert make_bot(catalog=FIXTURE, home=home).warm_up(wait=True) is None  # none mode: nothing to warm
