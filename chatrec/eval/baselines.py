"""Baselines run in the same pass (same samples) as chatrec by `chatrec.eval.redial.evaluate`.

- `popularity`: the most-mentioned movies. Counted on the bundled collaborative model's data
  (ReDial train text + dev_c, i.e. training dialogues, never the file being evaluated).
- `content`: the embedding of the last two turns of the dialogue against the item embeddings in
  the vector index (like iEvaLM's ChatGPT-embedding baseline).
- `random`: a seeded random ranking of the catalog.
- `comention`: co-mention only: `ItemItemModel.recommend` with the movies mentioned so far as
  seeds (most recent weighted most) plus a popularity prior; no text understanding at all.

Every baseline, like chatrec, leaves out the movies already mentioned in the dialogue.
"""

from __future__ import annotations

import random as _random
from typing import Sequence

from chatrec.eval.redial import Turn


class _Stateless:
    name = "baseline"

    def begin(self, dialogue_id: str) -> None:
        pass

    def seeker(self, text: str, item_ids: list[str]) -> None:
        pass

    def recommender(self, text: str, item_ids: list[str]) -> None:
        pass

    def end(self) -> None:
        pass


class PopularityBaseline(_Stateless):
    name = "popularity"

    def __init__(self, model, catalog=None):
        self.model = model
        self.catalog = catalog

    def rank(self, context: list[str], history: list[Turn], k: int) -> list[str]:
        ranked = self.model.top_popular(k + len(context) + 50, exclude=context)
        ids = [r[0] if not isinstance(r, str) else r for r in ranked]
        if self.catalog is not None:
            ids = [i for i in ids if i in self.catalog]
        return ids[:k]


class RandomBaseline(_Stateless):
    name = "random"

    def __init__(self, item_ids: Sequence[str], seed: int = 0):
        self.ids = list(item_ids)
        self.rng = _random.Random(seed)

    def rank(self, context: list[str], history: list[Turn], k: int) -> list[str]:
        skip = set(context)
        picks = self.rng.sample(self.ids, min(len(self.ids), k + len(skip)))
        return [i for i in picks if i not in skip][:k]


class ContentBaseline(_Stateless):
    """Embed the last `turns` turns (any speaker) and take the nearest items in the index."""

    name = "content"

    def __init__(self, index, embedder, turns: int = 2):
        self.index = index
        self.embedder = embedder
        self.turns = turns

    def rank(self, context: list[str], history: list[Turn], k: int) -> list[str]:
        text = " ".join(t.text for t in history[-self.turns:]).strip()
        if not text:
            return []
        vector = self.embedder.embed([text])[0]
        return [c.item_id for c in self.index.query(vector, k=k, exclude=context)]


class CoMentionBaseline(_Stateless):
    """Co-mention neighbours of the context movies + popularity (the bundled blend by default)."""

    name = "comention"

    def __init__(self, model, *, pop_weight: float | None = None, decay: float | None = None, catalog=None):
        blend = getattr(model, "meta", {}).get("blend", {}) if getattr(model, "meta", None) else {}
        self.model = model
        self.pop_weight = blend.get("pop_weight", 0.1) if pop_weight is None else pop_weight
        self.decay = blend.get("decay", 0.7) if decay is None else decay
        self.catalog = catalog

    def rank(self, context: list[str], history: list[Turn], k: int) -> list[str]:
        seeds = [s for s in context if s in self.model]
        weights = [self.decay ** (len(seeds) - 1 - p) for p in range(len(seeds))]
        ranked = self.model.recommend(seeds, k=k + 50, weights=weights, pop_weight=self.pop_weight, exclude=context)
        ids = [i for i, _ in ranked]
        if self.catalog is not None:
            ids = [i for i in ids if i in self.catalog]
        return ids[:k]


def default_baselines(*, catalog, index, embedder, collab_model, seed: int = 0) -> list:
    """Popularity and co-mention need a collaborative model over the catalog's ids; content and random always run."""
    out = []
    if collab_model is not None:
        out.append(PopularityBaseline(collab_model, catalog))
        out.append(CoMentionBaseline(collab_model, catalog=catalog))
    out.append(ContentBaseline(index, embedder))
    out.append(RandomBaseline(catalog.ids, seed=seed))
    return out
