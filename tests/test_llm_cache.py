"""CachedLLM: evaluation re-runs reuse the LLM's answers to identical requests."""

from __future__ import annotations

from chatrec.dialogue.schema import InterestDelta
from chatrec.llm.cache import CachedLLM
from chatrec.testing import ScriptedLLM


def test_identical_requests_are_answered_from_the_file_across_instances(tmp_path):
    path = tmp_path / "answers.sqlite"
    inner = ScriptedLLM([{"liked_genres": ["sci-fi"]}, {"liked_genres": ["horror"]}])
    llm = CachedLLM(inner, path)
    first = llm.complete("I like sci-fi", schema=InterestDelta)
    again = llm.complete("I like sci-fi", schema=InterestDelta)
    assert first == again and first.liked_genres == ["sci-fi"]
    assert len(inner.calls) == 1 and (llm.hits, llm.misses) == (1, 1)
    other = llm.complete("I like horror", schema=InterestDelta)
    assert other.liked_genres == ["horror"] and len(inner.calls) == 2
    llm.close()
    # a new process (new instance) with an LLM that has nothing left to say still answers from the file
    reopened = CachedLLM(ScriptedLLM([]), path)
    assert reopened.complete("I like horror", schema=InterestDelta).liked_genres == ["horror"]
    assert reopened.hits == 1


def test_sampled_and_streamed_text_is_never_cached(tmp_path):
    inner = ScriptedLLM(["one", "two", "three", "four"])
    llm = CachedLLM(inner, tmp_path / "answers.sqlite")
    assert llm.complete("hi", temperature=0.7) == "one"
    assert llm.complete("hi", temperature=0.7) == "two"
    assert "".join(llm.stream("hi")) == "three"
    assert "".join(llm.stream("hi")) == "four"
    assert llm.hits == 0
