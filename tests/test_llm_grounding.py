"""Grounding of an LLM's proposal against the message, on the mistakes the embedded 0.5B model makes.

The model copies its few-shot examples ("forget", "replace", a famous actor) onto unrelated
messages, puts ordinary words in genre fields and splits phrases into single words. Each case
here is a real proposal of the embedded model (from `benchmarks/bench_extraction.py`), replayed
with a scripted LLM: the grounded reading must be what the message says, never more.
"""

from __future__ import annotations

import numpy as np
import pytest

from chatrec.catalog import load_bundled_catalog
from chatrec.dialogue.extract import Extractor
from chatrec.dialogue.grounding import Vocabulary
from chatrec.dialogue.schema import InterestDelta
from chatrec.testing import ScriptedLLM


class EverythingIsSimilar:
    """An embedder under which every phrase is as close as can be to every genre."""

    def embed(self, texts):
        return np.ones((len(texts), 4), dtype=np.float32) / 2.0


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary(load_bundled_catalog())


def read(vocab, message: str, proposal: InterestDelta, *, embedder=None) -> set[str]:
    extractor = Extractor(ScriptedLLM([proposal]), vocab, embedder=embedder)
    delta, notices = extractor.extract(message)
    assert not notices
    return delta.slots()


@pytest.mark.parametrize("message, proposal, expected", [
    # "forget" copied from the examples onto a message that takes nothing back
    ("something funny with Jim Carrey from the 90s",
     InterestDelta(keywords=["jim carrey"], forget=["jim carrey"], replace=True),
     {"like:genre:comedy", "like:person:jim carrey", "year_min:1990", "year_max:1999"}),
    ("I'm not into westerns or war movies", InterestDelta(forget=["war", "westerns"]),
     {"dislike:genre:war", "dislike:genre:western"}),
    ("Do you know anything similar to Get Out?", InterestDelta(forget=["Get Out"]), {"like:item:184418"}),
    # a real "forget" is kept, and takes back the genre, not a film called "Comedy"
    ("ok forget comedy, i want a crime drama", InterestDelta(forget=["comedy"], liked_genres=["crime", "drama"]),
     {"forget:genre:comedy", "like:genre:crime", "like:genre:drama"}),
    ("start over", InterestDelta(forget=["all"]), {"forget:all:all"}),
    ("I like it all, any genre", InterestDelta(forget=["all"]), set()),
    # a theme is named the way the rules name it
    ("no zombies please, but vampires are cool", InterestDelta(liked_people=["vampire"], keywords=["zombies", "vampire"]),
     {"dislike:keyword:zombie", "like:keyword:vampire"}),
    # a bare surname is a person only where the rules read one
    ("old black and white movies", InterestDelta(keywords=["old", "black", "white"]), {"year_max:1959"}),
    # verdicts and eras are no themes, whole phrases included (the embedded model's proposals on held-out 13)
    ("grand budapest hotel is my favorite movie ever, i need more like it", InterestDelta(keywords=["favorite"]),
     {"like:item:178458"}),
    ("in the mood for some 1940s film noir", InterestDelta(keywords=["1940s"]),
     {"like:genre:film-noir", "year_min:1940", "year_max:1949"}),
    ("one of those old black and white films", InterestDelta(keywords=["black and white"]), {"year_max:1959"}),
    # no theme outside movie talk
    ("my cat is sick, what should I do", InterestDelta(keywords=["cat"]), set()),
    # a word that is as often not a genre counts only where the rules read the genre
    ("we watched Inside Out 2015 last night and the whole family loved it", InterestDelta(liked_genres=["family"]),
     {"like:item:182731"}),
    # what a film should have, a mood word the rules read in context, a genre misspelt, a person's films described
    # (the embedded model's proposals on held-out 18)
    ("a thriller with some actual ideas in it", InterestDelta(keywords=["actual ideas"]), {"like:genre:thriller"}),
    ("weird request but heist movies?", InterestDelta(keywords=["weird", "heist"]), {"like:keyword:heist"}),
    ("an advenchure movie please", InterestDelta(keywords=["advenchure"]), {"like:genre:adventure"}),
    ("i love wes anderson, even the odd experimental ones", InterestDelta(keywords=["experimental"]),
     {"like:person:wes anderson"}),
])
def test_copied_and_misplaced_spans_are_dropped(vocab, message, proposal, expected):
    assert read(vocab, message, proposal) == expected


def test_generic_words_are_never_the_closest_genre(vocab):
    # the model put "movies" among disliked genres; under this embedder it would be close to every genre
    slots = read(vocab, "sports movies please", InterestDelta(liked_genres=["sports"], disliked_genres=["movies"]),
                 embedder=EverythingIsSimilar())
    assert slots == {"like:genre:sport"}


def test_each_span_gets_its_own_polarity(vocab):
    # the first span is negated in the message; the second (not found in it) keeps the field's polarity
    slots = read(vocab, "no horror, science fiction is great", InterestDelta(liked_genres=["horror", "sci-fi"]))
    assert slots == {"dislike:genre:horror", "like:genre:sci-fi"}


def test_theme_words_stay_themes_in_a_genre_field(vocab):
    slots = read(vocab, "I like action but not too much violence",
                 InterestDelta(liked_genres=["action"], disliked_genres=["violence"]), embedder=EverythingIsSimilar())
    assert slots == {"like:genre:action", "dislike:keyword:violence"}


@pytest.mark.parametrize("message, proposal, expected", [
    # real proposals of the embedded model on held-out 5-12: what the rules declined on purpose stays declined
    ("its not that i hate action movies, i just prefer a good mystery", InterestDelta(disliked_genres=["action"], liked_genres=["mystery"]),
     {"like:genre:mystery"}),
    ("i'd take john carpenter over wes craven any day of the week", InterestDelta(liked_people=["John Carpenter", "Wes Craven"]),
     {"like:person:john carpenter"}),
    ("i used to love slasher movies back in high school but now they just feel cheap",
     InterestDelta(liked_genres=["horror"], avoid_keywords=["slasher"]), {"dislike:keyword:slasher"}),
    ("was gonna say sci fi but nah, some kind of fantasy adventure", InterestDelta(liked_genres=["sci-fi", "fantasy", "adventure"]),
     {"like:genre:fantasy", "like:genre:adventure"}),
    # ... but a span the rules did not read still comes in
    ("i dont dislike comedies or anything, but tonight i want something with tom hanks",
     InterestDelta(disliked_genres=["comedy"], liked_people=["Tom Hanks"]), {"like:person:tom hanks"}),
])
def test_what_the_rules_declined_stays_declined(vocab, message, proposal, expected):
    assert read(vocab, message, proposal) == expected


def test_a_title_given_feedback_is_not_also_a_like(vocab):
    extractor = Extractor(ScriptedLLM([InterestDelta(liked_titles=["Clueless"])]), vocab)
    delta, _ = extractor.extract("clueless is such a classic, i watched it every weekend in middle school",
                                 shown=["143623", "157924"])  # Clueless, Shrek
    assert delta.slots() == {"feedback:143623:seen"}


def test_feedback_copied_from_the_examples_is_dropped(vocab):
    from chatrec.dialogue.schema import FeedbackProposal

    shown = ["197213", "155969", "99040"]  # Interstellar, The Martian, Iron Man
    copied = InterestDelta(feedback=[FeedbackProposal(target="1", kind="seen"), FeedbackProposal(target="2", kind="disliked")])
    # a real proposal of the embedded model on a message that gives no feedback at all
    delta, _ = Extractor(ScriptedLLM([copied]), vocab).extract("scratch that, i'm in a comedy mood now", shown=shown)
    assert delta.slots() == {"replace", "like:genre:comedy"}
    # feedback in words the rules do not read still counts when the message points at the picks
    said = InterestDelta(feedback=[FeedbackProposal(target=str(i), kind="seen") for i in (1, 2, 3)])
    delta, _ = Extractor(ScriptedLLM([said]), vocab).extract("these are all already on my letterboxd lol", shown=shown)
    assert delta.slots() == {f"feedback:{i}:seen" for i in shown}
    named = InterestDelta(feedback=[FeedbackProposal(target="2", kind="liked"), FeedbackProposal(target="3", kind="liked")])
    delta, _ = Extractor(ScriptedLLM([named]), vocab).extract("ooh the martian, my dad would love that", shown=shown)
    assert delta.slots() == {"feedback:155969:liked"}
    # starting over points at no pick, however many "it"/"all" it says (the embedded model liked pick 2 in a browser check)
    reset = InterestDelta(liked_genres=["mystery"], feedback=[FeedbackProposal(target="2", kind="liked")])
    delta, _ = Extractor(ScriptedLLM([reset]), vocab).extract("ok let's burn it all down and begin fresh. vibe shift: a mystery",
                                                             shown=shown)
    assert delta.slots() == {"forget:all:all", "like:genre:mystery"}
