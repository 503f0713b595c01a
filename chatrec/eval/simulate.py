"""Simulated users: templated, no LLM. Works on any catalog.

A simulated user has a target item and reveals one of its attributes per turn, in this order: a
genre, a person (director, else a star), a plot keyword (a rare word of its description), the era
(its decade), then further genres / people / keywords if more turns are asked for. The first
message is "I'm looking for a <genre> movie."; when the target is not the bot's top pick the next
message rejects it: "Not that one, something more <attribute>." (the attribute phrase varies with
its kind: "with Tom Hanks", "about smuggling", "from the 1990s").

Success@k at turn t: the target was in the bot's top k at some turn <= t. `simulate` returns
`success@{1,5,10}` by turn, plus the share of targets found within the last turn and the mean
turn of first success@10.
"""

from __future__ import annotations

import math
import random
import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Sequence

__all__ = ["SimUser", "make_users", "simulate", "SIM_KS"]

SIM_KS = (1, 5, 10)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{4,}")
_STOP = set("""about above after again against among around because before being below between both
could doing during every first found from further having himself herself itself later their theirs
them themselves there these they this those through under until very what when where which while who
whom whose with would years young world after life story family finds becomes begins tries takes
other another must while within without woman women people friends friend father mother young
lives group old new into over only just more most some such than that then will your where make
makes made help helps living small great comes three named name being upon along soon back home
become still even gets little finally together himself decides""".split())


@dataclass
class SimUser:
    target: str
    label: str
    attributes: list[tuple[str, str]]
    """(kind, value) in the order they are revealed: genre, person, keyword, era, ..."""

    def message(self, turn: int, first_pick_is_target: bool = False) -> str:
        kind, value = self.attributes[min(turn, len(self.attributes) - 1)]
        if turn == 0:
            if kind == "genre":
                article = "an" if value[:1].lower() in "aeiou" else "a"
                return f"I'm looking for {article} {value} movie."
            return f"I'm looking for a movie {_phrase(kind, value)}."
        lead = "Good, more like that," if first_pick_is_target else "Not that one,"
        return f"{lead} something {_phrase(kind, value)}."


def _phrase(kind: str, value: str) -> str:
    if kind == "genre":
        return f"more {value}"
    if kind == "person":
        return f"with {value}"
    if kind == "keyword":
        return f"about {value}"
    if kind == "era":
        return f"from the {value}"
    return value


def _keywords(item, df: Counter, n_items: int) -> list[str]:
    """Rare lower-case words of the description (not in the title), rarest first."""
    title = item.title.lower()
    words = {w.lower() for w in _WORD.findall(item.description or "") if w[0].islower()}
    words = [w for w in words if w not in _STOP and w not in title and df[w] >= 2]
    return sorted(words, key=lambda w: (df[w], w))


def make_users(catalog, n: int, *, seed: int = 0, turns: int = 5) -> list[SimUser]:
    """n users with distinct targets among items that have a genre or a description."""
    df: Counter = Counter()
    for item in catalog:
        df.update({w.lower() for w in _WORD.findall(item.description or "")})
    eligible = [item for item in catalog if item.genres or item.description]
    rng = random.Random(seed)
    picked = rng.sample(eligible, min(n, len(eligible)))
    users = []
    for item in picked:
        genres = [("genre", g) for g in item.genres]
        people = [("person", p) for p in dict.fromkeys(item.people_with("director") + item.people_with("star")
                                                     + item.people_with("cast") + [x.name for x in item.people])]
        kws = [("keyword", w) for w in _keywords(item, df, len(catalog))[:3]]
        era = [("era", f"{item.year // 10 * 10}s")] if item.year else []
        order: list[tuple[str, str]] = []
        queues = [genres, people, kws, era]
        while len(order) < max(turns, 1) and any(queues):
            for q in queues:
                if q and len(order) < max(turns, 1):
                    order.append(q.pop(0))
        if order:
            users.append(SimUser(item.id, item.label, order))
    return users


def simulate(bot, users: Sequence[SimUser], *, turns: int = 5, ks: Sequence[int] = SIM_KS,
             progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Run every user for `turns` turns against `bot` (a ChatRec); success@k by turn."""
    kmax = max(ks)
    first_hit: dict[int, list[int | None]] = {k: [] for k in ks}
    started = time.perf_counter()
    for u, user in enumerate(users):
        session = f"sim-{u}"
        bot.forget(session)
        hit_turn: dict[int, int | None] = {k: None for k in ks}
        top_is_target = False
        for t in range(turns):
            reply = bot.chat(user.message(t, top_is_target), session=session)
            ranking = [r.item_id for r in reply.recommendations][:kmax]
            if len(ranking) < kmax:  # the reply shows top_k; ask for more without changing state
                ranking = [r.item_id for r in bot.recommend(session, k=kmax)] if not ranking else ranking
            rank = ranking.index(user.target) if user.target in ranking else None
            top_is_target = rank == 0
            for k in ks:
                if hit_turn[k] is None and rank is not None and rank < k:
                    hit_turn[k] = t + 1
            if all(v is not None for v in hit_turn.values()):
                break
        bot.forget(session)
        for k in ks:
            first_hit[k].append(hit_turn[k])
        if progress:
            progress(1)
    n = len(users)
    success = {f"success@{k}": [sum(1 for h in first_hit[k] if h is not None and h <= t) / n if n else 0.0
                                for t in range(1, turns + 1)] for k in ks}
    found = [h for h in first_hit[kmax] if h is not None]
    return {
        "n": n,
        "turns": turns,
        "by_turn": success,
        "final": {key: values[-1] if values else 0.0 for key, values in success.items()},
        f"mean_turn_of_success@{kmax}": round(sum(found) / len(found), 2) if found else None,
        "seconds": round(time.perf_counter() - started, 1),
    }
