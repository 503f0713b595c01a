"""The learned verdict for clauses without a cue word (chatrec/dialogue/verdict.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chatrec.catalog import load_bundled_catalog
from chatrec.dialogue.grounding import Vocabulary
from chatrec.dialogue.rules import RuleExtractor, has_cue
from chatrec.dialogue.verdict import VerdictModel, fit_logistic
from chatrec.embeddings import HashEmbedder
from chatrec.resources import bundled_file


def test_fit_logistic_separates_and_is_deterministic():
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(-1, 0.3, (40, 3)), rng.normal(1, 0.3, (40, 3))])
    y = np.r_[np.zeros(40), np.ones(40)]
    w1, b1 = fit_logistic(x, y)
    w2, b2 = fit_logistic(x, y)
    assert np.array_equal(w1, w2) and b1 == b2
    p = 1 / (1 + np.exp(-(x @ w1 + b1)))
    assert ((p > 0.5) == y).mean() == 1.0
    with pytest.raises(ValueError, match="as many labels"):
        fit_logistic(x, y[:3])


class _FixedEmbedder:
    """Two-dimensional 'embeddings': (1, 0) for texts with 'meh', else (0, 1)."""

    name = "fixed-2"
    dim = 2

    def embed(self, texts):
        return np.array([[1.0, 0.0] if "meh" in t else [0.0, 1.0] for t in texts])


def test_model_round_trips_and_decides_by_threshold(tmp_path):
    model = VerdictModel(weights=np.array([4.0, -4.0]), bias=0.0, embedder_name="fixed-2", info={"spans": 2})
    path = tmp_path / "verdict.json"
    model.save(path)
    loaded = VerdictModel.load(path, embedder=_FixedEmbedder())
    assert loaded.info == {"spans": 2} and loaded.threshold == 0.5
    assert loaded.dislikes(["westerns are meh", "westerns tonight"]) == [True, False]
    assert loaded.dislikes([]) == []
    with pytest.raises(ValueError, match="embedder"):
        VerdictModel.load(path).p_dislike(["x"])


def test_the_shipped_probe_is_used_only_with_its_own_embedder():
    shipped = json.loads(bundled_file("data", "verdict_model.json").read_text())
    assert shipped["embedder"] == "all-MiniLM-L6-v2" and len(shipped["weights"]) == 384
    assert shipped["info"]["trained_by"] == "scripts/train_verdict.py"
    assert VerdictModel.for_embedder(None) is None
    assert VerdictModel.for_embedder(HashEmbedder(384)) is None  # same size, other vectors


def test_cue_words_either_way_count_as_cues():
    assert has_cue("i love westerns") and has_cue("no westerns") and has_cue("westerns bore me")
    assert has_cue("sci-fi yes, fantasy no")
    assert has_cue("ugh musicals")  # a cue word since held-out 8
    assert has_cue("musicals make my eyes glaze over")  # a cue phrase since held-out 16
    assert not has_cue("musicals make my eyelids droop") and not has_cue("war movies depress me")


def test_the_rules_ask_the_probe_only_about_uncued_clauses():
    asked: list[str] = []

    class _Probe:
        def dislikes(self, clauses):
            asked.extend(clauses)
            return [True] * len(clauses)

    rules = RuleExtractor(Vocabulary(load_bundled_catalog()), verdict=_Probe())
    delta = rules.extract("I love westerns. documentaries make my eyelids droop")
    assert [c.strip() for c in asked] == ["documentaries make my eyelids droop"]
    assert delta.slots() == {"like:genre:western", "dislike:genre:documentary"}


@pytest.mark.real_embedder
@pytest.mark.parametrize("message, expected", [
    ("musicals make my eyes glaze over", {"dislike:genre:musical"}),
    ("war movies depress me", {"dislike:genre:war"}),
    # plain requests stay likes
    ("could really go for something animated tonight tbh", {"like:genre:animation"}),
    ("been on a real crime movie kick lately", {"like:genre:crime"}),
])
def test_the_shipped_probe_reads_verdicts_without_cue_words(message, expected):
    from chatrec.embeddings import shared_embedder

    rules = RuleExtractor(Vocabulary(load_bundled_catalog()), verdict=VerdictModel.for_embedder(shared_embedder()))
    assert rules.extract(message).slots() == expected
