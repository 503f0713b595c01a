"""Interest vector, candidate retrieval and reranking for one turn.

vector  = weighted sum of embeddings of liked items, genres, keywords and the recent messages,
          minus disliked ones, normalised;
pool    = one Chroma query with the vector and the hard filters, plus items close to liked titles,
          items of liked genres/people, and co-occurrence neighbours when a collaborative model is given
          (before any co-occurrence seed: the most popular items of the liked genres instead);
score   = similarity + genre/person/title/keyword matches + collaborative + popularity prior
          - dislike penalties; then MMR for diversity. Every pick carries its score parts.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from pydantic import BaseModel

from chatrec.catalog import Catalog, Item
from chatrec.dialogue.grounding import Vocabulary, bare_title, normalize
from chatrec.dialogue.rules import _NEG, split_clauses
from chatrec.dialogue.state import InterestState
from chatrec.embeddings import Embedder
from chatrec.store import Candidate, Filters, VectorIndex


SEED_DECAY = 0.5
"""Default of `RankWeights.seed_decay` (the weight kept per older mention)."""
COLLAB_POOL = 60
"""Co-occurrence candidates added to the pool."""
COLLAB_POP_PRIOR = 0.1
"""Popularity prior when picking those candidates (the bundled blend's `pop_weight`)."""


class CollabModel(Protocol):
    """What the ranking needs from a collaborative (item-item) model."""

    def score_candidates(self, seed_ids: list[str], weights: list[float] | None = None) -> dict[str, float]: ...
    def recommend(self, seed_ids, k: int = 10, *, weights=None, pop_weight: float = 0.0, exclude=()) -> list[tuple[str, float]]: ...
    def popularity(self, item_id: str) -> float: ...
    def top_popular(self, k: int, exclude=()) -> list[tuple[str, float]]: ...
    def support(self, a: str, b: str) -> int: ...


class RankWeights(BaseModel):
    """Weights of the score parts; tuned on the dev split (see data/rank_weights.json)."""

    similarity: float = 1.0
    genre: float = 0.35
    person: float = 0.4
    item_similarity: float = 0.5
    keyword: float = 0.15
    collab: float = 0.6
    popularity: float = 0.25
    dislike: float = 0.6
    era: float = 0.3
    message_weight: float = 0.6
    mmr_lambda: float = 0.15
    pool_size: int = 80
    seed_decay: float = SEED_DECAY
    """Weight kept per older mention when the session's mentions seed the co-occurrence model
    (the most recent mention weighs 1, the one before `seed_decay`, ...)."""
    collab_prior: float = 0.0
    """Popularity prior added to the co-occurrence score before it is normalised into the "collab"
    part: with `collab_prior` = the bundled blend's `pop_weight` the part is the co-mention
    baseline's own score (scaled to a top of 1), so chatrec can reproduce that ranking."""
    popularity_cold: float | None = None
    """Weight of the popularity prior on turns with no co-occurrence seed yet (text-only turns: the
    collaborative model can then only say what is popular), for items of a liked genre (any item
    when no genre is liked; other items keep `popularity`); None = `popularity`."""
    cold_pool: int = 0
    """On turns with no co-occurrence seed: the `cold_pool` most popular items of each liked genre
    (up to 3 genres; overall when no genre is liked) join the candidate pool (the vector query alone
    rarely reaches the well-known titles people are recommended)."""

    @classmethod
    def bundled(cls) -> "RankWeights":
        """The tuned weights shipped in data/rank_weights.json, or the defaults."""
        from chatrec.resources import bundled_dir

        path = bundled_dir("data") / "rank_weights.json"
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data.get("weights", data))
        return cls()


@dataclass
class Scored:
    item: Item
    score: float
    parts: dict[str, float]
    vector: np.ndarray = field(repr=False)
    matched: list[str] = field(default_factory=list)


class Recommender:
    """Turns an interest state into ranked, explained-ready picks for one catalog."""

    def __init__(self, catalog: Catalog, index: VectorIndex, embedder: Embedder, vocab: Vocabulary,
                 *, collab: CollabModel | None = None, weights: RankWeights | None = None):
        self.catalog = catalog
        self.index = index
        self.embedder = embedder
        self.vocab = vocab
        self.collab = collab
        self.weights = weights or RankWeights()

    # ---- per-item text, cached (items are fixed for the catalog's lifetime) ----------------
    @functools.lru_cache(maxsize=100_000)
    def _norm_title(self, item_id: str) -> str:
        """The title without year or leading article: "The Hangover" and "Hangover" are one title to a person."""
        return bare_title(self.catalog[item_id].title)

    @functools.lru_cache(maxsize=100_000)
    def _norm_text(self, item_id: str) -> str:
        item = self.catalog[item_id]
        return normalize(item.title + " " + item.description)

    @functools.lru_cache(maxsize=100_000)
    def _people(self, item_id: str) -> frozenset[str]:
        return frozenset(self.vocab.item_people(self.catalog[item_id]))

    def warm(self) -> None:
        """Run the embedder once on this thread (its first call on a thread is slow)."""
        self._text_vector("movies")

    # ---- the interest vector ---------------------------------------------------------------
    @functools.lru_cache(maxsize=4096)
    def _text_vector(self, text: str) -> np.ndarray:
        return self.embedder.embed([text])[0]

    def _pref_vector(self, kind: str, value: str, label: str) -> np.ndarray | None:
        if kind == "genre":
            return self._text_vector(f"{value} movies")
        if kind in ("keyword", "tone"):
            return self._text_vector(value if kind == "keyword" else f"{value} movies")
        if kind == "person":
            return None  # names embed poorly: people act through matches and filters instead
        return None

    def interest_vector(self, state: InterestState) -> np.ndarray | None:
        """The normalised interest vector, or None when nothing is known yet."""
        parts: list[tuple[float, np.ndarray]] = []
        item_ids = [p.value for p in state.prefs if p.kind == "item"]
        item_vectors = self.index.vectors(item_ids)
        for p in state.prefs:
            vec = item_vectors.get(p.value) if p.kind == "item" else self._pref_vector(p.kind, p.value, p.label)
            if vec is None:
                continue
            sign = 1.0 if p.positive else -0.5
            parts.append((sign * p.weight * (1.2 if p.kind == "item" else 1.0), vec))
        for age, message in enumerate(reversed(state.recent_messages[-2:])):
            text = positive_text(message)
            if len(text.split()) >= 2:
                parts.append((self.weights.message_weight * (0.6 ** age), self._text_vector(text)))
        if not parts:
            return None
        vector = sum(w * v for w, v in parts)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 1e-6 else None

    def filters(self, state: InterestState) -> Filters:
        """Hard constraints only: explicit years and explicit genre dislikes (vague eras only weigh)."""
        if state.year_soft:
            return Filters(genres_none=tuple(state.hard_disliked_genres()))
        return Filters(year_min=state.year_min, year_max=state.year_max,
                       genres_none=tuple(state.hard_disliked_genres()))

    # ---- retrieval ------------------------------------------------------------------------
    def candidates(self, state: InterestState, vector: np.ndarray) -> dict[str, Candidate]:
        """The candidate pool: vector query, liked-title neighbours, liked genres/people, collab."""
        base = self.filters(state)
        exclude = state.excluded_items()
        pool: dict[str, Candidate] = {}

        def add(cands: list[Candidate]) -> None:
            for c in cands:
                pool.setdefault(c.item_id, c)

        # the interest vector under the hard filters, and under each liked genre / person: one round trip
        requests: list[tuple[Filters | None, int]] = [(base, self.weights.pool_size)]
        for p in sorted(state.likes("genre"), key=lambda p: -p.weight)[:3]:
            requests.append((Filters(year_min=base.year_min, year_max=base.year_max,
                                     genres_none=base.genres_none, genres_any=(p.value,)), 25))
        for p in state.likes("person")[:3]:
            requests.append((Filters(year_min=base.year_min, year_max=base.year_max,
                                     genres_none=base.genres_none, person=p.value), 20))
        for cands in self.index.query_many(vector, requests, exclude=exclude):
            add(cands)
        # items close to the liked titles
        liked_items = [p.value for p in sorted(state.likes("item"), key=lambda p: -p.weight)[:4]]
        for item_id, vec in self.index.vectors(liked_items).items():
            add(self.index.query(vec, k=20, filters=base, exclude=exclude))
        if self.collab is not None:
            seeds, weights = self._collab_seeds(state)
            top: list[str] = []
            if self._has_collab_seeds(seeds):
                # the co-mention ranking itself (neighbours of the recency-weighted seeds + popularity prior)
                ranked = self.collab.recommend(seeds, k=COLLAB_POOL + len(exclude), weights=weights,
                                               pop_weight=COLLAB_POP_PRIOR, exclude=exclude)
                top = [i for i, _ in ranked if i not in pool][:COLLAB_POOL]
            elif self.weights.cold_pool > 0:
                # no seed yet: the best-known items of the liked genres (or overall)
                n = self.weights.cold_pool
                by_genre = self._popular_by_genre()
                genres = [p.value for p in sorted(state.likes("genre"), key=lambda p: -p.weight)[:3]] or [""]
                for genre in genres:  # "": no liked genre, the best-known items overall
                    top += [i for i in by_genre.get(genre, ()) if i not in exclude][:n]
                top = [i for i in dict.fromkeys(top) if i not in pool]
            if top:
                vectors = self.index.vectors(top)
                for item_id in top:
                    item = self.catalog.get(item_id)
                    if item is not None and item_id in vectors and _passes(item, base):
                        sim = float(vectors[item_id] @ vector)
                        pool[item_id] = Candidate(item_id=item_id, similarity=sim, vector=vectors[item_id])
        return pool

    def _collab_seeds(self, state: InterestState) -> tuple[list[str], list[float]]:
        """Items mentioned in the session, the most recent weighted most (`seed_decay` per older
        mention), and liked items at least at their preference weight."""
        ordered = [i for i in state.mentioned if i not in state.rejected]
        n = len(ordered)
        decay = self.weights.seed_decay
        seeds: dict[str, float] = {iid: decay ** (n - 1 - pos) for pos, iid in enumerate(ordered)}
        for p in state.likes("item"):
            seeds[p.value] = max(seeds.get(p.value, 0.0), p.weight)
        return list(seeds), list(seeds.values())

    def _has_collab_seeds(self, seeds: list[str]) -> bool:
        """Whether any seed is known to the collaborative model (else it can only rank by popularity)."""
        if self.collab is None:
            return False
        contains = getattr(self.collab, "__contains__", None)
        return any(s in self.collab for s in seeds) if contains is not None else bool(seeds)

    @functools.lru_cache(maxsize=1)
    def _popular_by_genre(self) -> dict[str, list[str]]:
        """Catalog items by genre, most popular first ("" = all genres); for the seedless pool."""
        out: dict[str, list[str]] = {"": []}
        for entry in self.collab.top_popular(len(self.catalog) + 1000) if self.collab is not None else ():
            item_id = entry if isinstance(entry, str) else entry[0]
            item = self.catalog.get(item_id)
            if item is None:
                continue
            out[""].append(item_id)
            for g in item.genres:
                out.setdefault(g, []).append(item_id)
        return out

    # ---- ranking --------------------------------------------------------------------------
    def rank(self, state: InterestState, *, k: int = 5) -> list[Scored]:
        """The top-k picks for the state (cold start: a diverse set of well-known items)."""
        vector = self.interest_vector(state)
        if vector is None:
            return self.cold_start(state, k=k)
        pool = self.candidates(state, vector)
        if not pool:
            return []
        item_prefs = [p.value for p in state.prefs if p.kind == "item"]
        item_vectors = self.index.vectors(item_prefs)
        taken_titles = {self._norm_title(i) for i in state.excluded_items() | set(item_prefs) if i in self.catalog}
        scored = [self._score(state, vector, c, item_vectors) for c in pool.values()
                  if c.item_id in self.catalog and self._norm_title(c.item_id) not in taken_titles and titled(self.catalog[c.item_id])]
        scored.sort(key=lambda s: -s.score)
        return mmr(scored[: max(k * 8, 40)], k=k, lam=self.weights.mmr_lambda)

    def _score(self, state: InterestState, vector: np.ndarray, cand: Candidate,
               vecs: dict[str, np.ndarray]) -> Scored:
        w = self.weights
        item = self.catalog[cand.item_id]
        parts: dict[str, float] = {"similarity": w.similarity * cand.similarity}
        matched: list[str] = []
        liked_genres = state.likes("genre")
        if liked_genres:
            total = sum(p.weight for p in liked_genres)
            hit = [p for p in liked_genres if p.value in item.genres]
            if hit:
                parts["genre"] = w.genre * sum(p.weight for p in hit) / total
                matched += [p.label for p in hit]
        people = self._people(item.id)
        hit_people = [p for p in state.likes("person") if normalize(p.value) in people]
        if hit_people:
            parts["person"] = w.person * max(p.weight for p in hit_people)
            matched += [p.label for p in hit_people]
        liked_items = state.likes("item")
        if liked_items:
            sims = [(float(vecs[p.value] @ cand.vector) * p.weight, p) for p in liked_items if p.value in vecs]
            if sims:
                best, pref = max(sims, key=lambda s: s[0])
                parts["item_similarity"] = w.item_similarity * best
                if best > 0.55:
                    matched.append(pref.label)
        clash = [p for p in state.likes("tone") if TONE_CLASHES.get(p.value, set()) & set(item.genres)]
        if clash:  # "a cozy mystery": a horror mystery is not what was asked for
            parts["tone"] = -w.dislike * max(p.weight for p in clash)
        text = self._norm_text(item.id)
        hit_kw = [p for p in state.likes("keyword") if re.search(rf"\b{re.escape(normalize(p.value))}", text)]
        if hit_kw:
            parts["keyword"] = w.keyword * len(hit_kw)
            matched += [p.label for p in hit_kw]
        if self.collab is not None:
            seeds, weights = self._collab_seeds(state)
            seeded = self._has_collab_seeds(seeds)
            pop = self.collab.popularity(cand.item_id)
            if seeded:
                collab, top = self._collab_scores(tuple(seeds), tuple(weights), w.collab_prior)
                value = collab.get(cand.item_id, 0.0) + w.collab_prior * pop
                if top > 0 and value > 0:
                    parts["collab"] = w.collab * value / top
            signals = len(state.prefs) + len(state.mentioned)
            # seedless: popularity among what was asked for (the item is of a liked genre and has a liked theme, or none is liked)
            asked = (not liked_genres or "genre" in parts) and (not state.likes("keyword") or "keyword" in parts) and not clash
            cold = not seeded and w.popularity_cold is not None and asked
            pop_weight = w.popularity_cold if cold else w.popularity
            parts["popularity"] = pop_weight * pop / (1.0 + 0.3 * signals)
        if state.year_soft and (state.year_min is not None or state.year_max is not None):
            inside = item.year is not None and (state.year_min or 0) <= item.year <= (state.year_max or 9999)
            parts["era"] = w.era if inside else -0.5 * w.era
        penalty = 0.0
        for p in state.dislikes("genre"):
            if p.value in item.genres:
                penalty += p.weight
        for p in state.dislikes("person"):
            if normalize(p.value) in people:
                penalty += p.weight
        for p in state.dislikes("keyword"):
            if re.search(rf"\b{re.escape(normalize(p.value))}", text):
                penalty += 0.5 * p.weight
        disliked_items = state.dislikes("item")
        if disliked_items:
            sims = [float(vecs[p.value] @ cand.vector) for p in disliked_items if p.value in vecs]
            if sims:
                penalty += max(0.0, max(sims) - 0.5)
        if penalty:
            parts["dislike"] = -w.dislike * penalty
        return Scored(item=item, score=sum(parts.values()), parts={k: round(v, 4) for k, v in parts.items()},
                      vector=cand.vector, matched=list(dict.fromkeys(matched)))

    @functools.lru_cache(maxsize=256)
    def _collab_scores(self, seeds: tuple[str, ...], weights: tuple[float, ...],
                       prior: float = 0.0) -> tuple[dict[str, float], float]:
        """(raw co-occurrence score of every item the seeds reach, the normaliser): the top of
        score + `prior` * popularity over those items, so the best one gets a part of `collab`."""
        scores = self.collab.score_candidates(list(seeds), list(weights)) if self.collab else {}
        top = max((s + prior * self.collab.popularity(i) for i, s in scores.items()), default=0.0)
        return scores, top

    def cold_start(self, state: InterestState, *, k: int = 5) -> list[Scored]:
        """Well-known items across different genres (popularity when known, else catalog order)."""
        exclude = state.excluded_items()
        if self.collab is not None:
            ranked = [r if isinstance(r, str) else r[0] for r in self.collab.top_popular(k * 20, exclude=exclude)]
        else:
            ranked = [i.id for i in self.catalog if i.id not in exclude and i.description][: k * 20]
        vectors = self.index.vectors(ranked)
        picks: list[Scored] = []
        used_genres: set[str] = set()
        for item_id in ranked:
            item = self.catalog.get(item_id)
            if item is None or item_id not in vectors or not _passes(item, self.filters(state)) or not titled(item):
                continue
            lead = item.genres[0] if item.genres else ""
            if (lead in used_genres and len(picks) < k) or any(same_film(item, p.item) for p in picks):
                continue
            used_genres.add(lead)
            pop = self.collab.popularity(item_id) if self.collab else 0.0
            picks.append(Scored(item=item, score=round(pop, 4), parts={"popularity": round(pop, 4)}, vector=vectors[item_id]))
            if len(picks) == k:
                break
        return picks


def titled(item: Item) -> bool:
    """Whether an item has a title to show: the bundled source names two films only "(2007)" and "(2015)"."""
    return not re.fullmatch(r"\s*\(\d{4}\)\s*", item.title or "")


_LIGHT = {"horror", "thriller", "war"}
_DARK = {"family", "animation", "musical"}
TONE_CLASHES: dict[str, set[str]] = {
    "cozy": _LIGHT, "wholesome": _LIGHT, "heartwarming": _LIGHT, "uplifting": _LIGHT, "cute": _LIGHT, "relaxing": _LIGHT,
    "silly": {"horror", "war"}, "dark": _DARK, "gritty": _DARK, "violent": _DARK, "intense": {"family", "musical"},
}
"""Genres that go against a tone asked for: "a cozy mystery" is no horror or thriller mystery, "a gritty western" no
family film. Tones not listed ("quirky", "epic") only pull the interest vector."""


def _passes(item: Item, filters: Filters) -> bool:
    if filters.year_min is not None and (item.year is None or item.year < filters.year_min):
        return False
    if filters.year_max is not None and (item.year is None or item.year > filters.year_max):
        return False
    return not any(g in item.genres for g in filters.genres_none)


def positive_text(message: str) -> str:
    """The message without its negated clauses (so "no horror" does not pull toward horror)."""
    return " ".join(c.strip() for _, c in split_clauses(message) if not _NEG.search(c))


def mmr(scored: list[Scored], *, k: int, lam: float) -> list[Scored]:
    """Maximal marginal relevance: trade a little score for items unlike those already picked."""
    picked: list[Scored] = []
    rest = list(scored)
    while rest and len(picked) < k:
        if not picked or lam <= 0:
            best = rest[0]
        else:
            sel = np.stack([p.vector for p in picked])
            best = max(rest, key=lambda s: s.score - lam * float(np.max(sel @ s.vector)))
        picked.append(best)
        # one film listed twice in a catalog (one entry without a year) is one pick
        rest = [s for s in rest if s is not best and not same_film(s.item, best.item)]
    return picked


def same_film(a: Item, b: Item) -> bool:
    """Same title and no conflicting year: "2001: A Space Odyssey (1968)" and an undated entry of it."""
    return normalize(a.title) == normalize(b.title) and (a.year is None or b.year is None or a.year == b.year)
