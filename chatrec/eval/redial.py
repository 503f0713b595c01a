"""The ReDial evaluation protocol (He et al., CIKM 2023) on raw ReDial JSONL files.

For each dialogue:

- `@<id>` in a message becomes the catalog's "Title (Year)" (the `movieMentions` name when the id
  is not in the catalog), as a person would type it;
- consecutive messages of one speaker are merged into one turn; the seeker is `initiatorWorkerId`;
- every recommender turn that mentions movies gives one sample per distinct movie it mentions
  (movies not in the catalog are dropped and counted);
- before that turn the system has seen the dialogue so far: seeker turns go through `bot.chat`,
  earlier recommender turns through `bot.record_assistant_turn` with their movie ids; then the
  system's top 20 (`bot.recommend(session, k=20)`, no state change) is scored against the target.

Conditions: "all" (every sample) and "new" (the target was not mentioned earlier in the dialogue,
by either speaker). chatrec never recommends a movie already mentioned in the conversation, so
on "all" a repeated target is a miss by construction; every system here gets the same exclusion
(the context movies are removed from every ranking), which is right for "new" and lowers "all".

The picks chatrec shows in its own replies are not part of the real dialogue: after each seeker
turn the harness clears the session's `shown` / `last_shown` lists, so the human's later words
("I've seen that one") are not read as feedback on picks they never saw, and the bot's earlier
picks are not excluded from later rankings.

Metrics per condition: Recall@{1,5,10,20}, NDCG@10, MRR (over the top 20), n. With one target per
sample Recall@k is the hit rate at k.
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Protocol, Sequence

import numpy as np

from chatrec.errors import ChatRecError

__all__ = [
    "Turn", "Dialogue", "Sample", "System", "EvalError", "KS", "read_dialogues", "parse_dialogue",
    "metrics_for_ranks", "rank_of", "ChatRecSystem", "CachedIndex", "use_cached_index", "evaluate", "iter_samples",
]

KS = (1, 5, 10, 20)
TOP = 20
_MENTION = re.compile(r"@(\d+)")


class EvalError(ChatRecError):
    """An evaluation file cannot be read or an option is wrong."""


@dataclass
class Turn:
    role: str  # "seeker" | "recommender"
    text: str
    item_ids: list[str] = field(default_factory=list)
    """Catalog ids mentioned in this turn, in order, deduplicated."""


@dataclass
class Dialogue:
    id: str
    turns: list[Turn]
    unknown_mentions: int = 0
    """Mentions whose id is not in the catalog (kept as text, never a target)."""


@dataclass
class Sample:
    dialogue: str
    turn: int
    target: str
    new: bool
    context: list[str]
    """Catalog ids mentioned before this turn, in order of first mention."""


class System(Protocol):
    """What the harness drives: one dialogue at a time."""

    name: str

    def begin(self, dialogue_id: str) -> None: ...
    def seeker(self, text: str, item_ids: list[str]) -> None: ...
    def recommender(self, text: str, item_ids: list[str]) -> None: ...
    def rank(self, context: list[str], history: list[Turn], k: int) -> list[str]: ...
    def end(self) -> None: ...


# ---------------------------------------------------------------------------- reading

def read_dialogues(path: str | Path, *, limit: int | None = None) -> list[dict]:
    """The raw records of a ReDial JSONL file (the first `limit`); errors name the line."""
    path = Path(path)
    if not path.is_file():
        raise EvalError(f"ReDial file {path} does not exist")
    records = []
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalError(f"{path} line {lineno}: invalid JSON ({exc.msg})") from None
            if not isinstance(record, dict) or not isinstance(record.get("messages"), list):
                raise EvalError(f"{path} line {lineno}: not a ReDial dialogue (needs a 'messages' list)")
            if "initiatorWorkerId" not in record:
                raise EvalError(f"{path} line {lineno}: no 'initiatorWorkerId' (who is the seeker?)")
            records.append(record)
            if limit is not None and len(records) >= limit:
                break
    return records


def parse_dialogue(record: Mapping[str, Any], labels: Mapping[str, str] | Callable[[str], str | None]) -> Dialogue:
    """Merge messages into turns and replace `@id` with the movie's "Title (Year)".

    `labels` maps a catalog id to its label (a dict or a function returning None for unknown ids).
    """
    lookup = labels.get if isinstance(labels, Mapping) else labels
    names = record.get("movieMentions") or {}
    seeker = record.get("initiatorWorkerId")
    unknown = 0
    turns: list[Turn] = []
    for message in record["messages"]:
        raw = str(message.get("text") or "")
        ids: list[str] = []

        def replace(match: re.Match) -> str:
            nonlocal unknown
            mid = match.group(1)
            label = lookup(mid)
            if label is not None:
                ids.append(mid)
                return label
            unknown += 1
            name = names.get(mid) if isinstance(names, Mapping) else None
            return " ".join(str(name).split()) if name else match.group(0)

        text = " ".join(_MENTION.sub(replace, raw).split())
        role = "seeker" if message.get("senderWorkerId") == seeker else "recommender"
        if turns and turns[-1].role == role:
            turns[-1].text = f"{turns[-1].text} {text}".strip()
            turns[-1].item_ids = list(dict.fromkeys(turns[-1].item_ids + ids))
        else:
            turns.append(Turn(role, text, list(dict.fromkeys(ids))))
    return Dialogue(str(record.get("conversationId", "")), turns, unknown)


def iter_samples(dialogue: Dialogue) -> Iterator[tuple[int, list[Sample]]]:
    """(turn index, samples) for each recommender turn that mentions catalog movies."""
    context: list[str] = []
    for i, turn in enumerate(dialogue.turns):
        if turn.role == "recommender" and turn.item_ids:
            yield i, [Sample(dialogue.id, i, t, t not in context, list(context)) for t in turn.item_ids]
        for iid in turn.item_ids:
            if iid not in context:
                context.append(iid)


# ---------------------------------------------------------------------------- metrics

def rank_of(target: str, ranking: Sequence[str]) -> int | None:
    """0-based rank of the target in the top TOP, or None."""
    for r, iid in enumerate(ranking[:TOP]):
        if iid == target:
            return r
    return None


def metrics_for_ranks(ranks: Sequence[int | None]) -> dict[str, float]:
    """Recall@{1,5,10,20}, NDCG@10 and MRR (over the top 20) for one target per sample; n."""
    n = len(ranks)
    out: dict[str, float] = {"n": n}
    for k in KS:
        out[f"recall@{k}"] = sum(1 for r in ranks if r is not None and r < k) / n if n else 0.0
    out["ndcg@10"] = sum(1.0 / math.log2(r + 2) for r in ranks if r is not None and r < 10) / n if n else 0.0
    out["mrr"] = sum(1.0 / (r + 1) for r in ranks if r is not None) / n if n else 0.0
    return out


# ---------------------------------------------------------------------------- chatrec as a system

class CachedIndex:
    """A read-through cache in front of a `VectorIndex` for evaluation runs (same answers, fewer Chroma calls).

    `vectors()` is served from one bulk read of the collection; `query()` answers are memoised by
    (vector, k, filters, excluded ids), which pays off when the same states are ranked many times
    (weight tuning). Everything else is delegated.
    """

    def __init__(self, index, *, memo_queries: bool = True, max_queries: int = 200_000):
        self._index = index
        ids, matrix = index.all_vectors()
        self._vectors = {i: np.asarray(v, dtype=np.float32) for i, v in zip(ids, matrix)}
        self._memo: dict | None = {} if memo_queries else None
        self._max = max_queries

    def __getattr__(self, name):
        return getattr(self._index, name)

    def vectors(self, item_ids) -> dict:
        return {i: self._vectors[i] for i in item_ids if i in self._vectors}

    def query(self, vector, *, k: int = 50, filters=None, exclude=()):
        if self._memo is None:
            return self._index.query(vector, k=k, filters=filters, exclude=exclude)
        key = (np.asarray(vector, dtype=np.float32).tobytes(), k, filters, frozenset(exclude))
        hit = self._memo.get(key)
        if hit is None:
            hit = self._index.query(vector, k=k, filters=filters, exclude=exclude)
            if len(self._memo) >= self._max:
                self._memo.clear()
            self._memo[key] = hit
        return list(hit)


def use_cached_index(bot, *, memo_queries: bool = True) -> None:
    """Put a `CachedIndex` in front of the bot's ranking (evaluation speed only; same rankings)."""
    if not isinstance(bot.recommender.index, CachedIndex):
        bot.recommender.index = CachedIndex(bot.recommender.index, memo_queries=memo_queries)


class ChatRecSystem:
    """Drives a `ChatRec` through a dialogue: seeker turns chat, recommender turns are recorded.

    `fast=True` runs a seeker turn's state update only (clean -> extract -> apply, exactly as
    `ChatRec.stream` does) and skips the turn's own ranking and explanations, which the protocol
    throws away: the state, and so every scored ranking, is the same as with `bot.chat`, because
    the harness clears the reply's picks from the state anyway. `fast=False` calls `bot.chat`.
    """

    def __init__(self, bot, name: str = "chatrec", *, keep_shown: bool = False, fast: bool = True):
        self.bot = bot
        self.name = name
        self.keep_shown = keep_shown
        self.fast = fast and not keep_shown
        self.session = ""
        self.chat_seconds = 0.0
        self.chats = 0

    def begin(self, dialogue_id: str) -> None:
        self.session = f"eval-{re.sub(r'[^A-Za-z0-9_-]', '_', dialogue_id) or 'x'}"
        self.bot.forget(self.session)

    def seeker(self, text: str, item_ids: list[str]) -> None:
        if not text.strip():
            return
        start = time.perf_counter()
        if self.fast:
            self._update_only(text)
        else:
            self.bot.chat(text, session=self.session)
        self.chat_seconds += time.perf_counter() - start
        self.chats += 1
        if not self.keep_shown:
            self._clear_shown()

    def recommender(self, text: str, item_ids: list[str]) -> None:
        self.bot.record_assistant_turn(self.session, text, list(item_ids))

    def rank(self, context: list[str], history: list[Turn], k: int) -> list[str]:
        return [r.item_id for r in self.bot.recommend(self.session, k=k)]

    def end(self) -> None:
        self.bot.forget(self.session)

    def _update_only(self, message: str) -> None:
        """The state half of `ChatRec.stream` (no ranking, no explanations)."""
        from chatrec.dialogue.manager import clean_message

        bot = self.bot
        text, _ = clean_message(message)
        if not text:
            return
        with bot.sessions.session_lock(self.session):
            state = bot.sessions.load(self.session)
            state.begin_turn(text)
            delta, _ = bot.extractor.extract(text, shown=state.last_shown, turn=state.turn)
            feedback, delta.feedback = [fb for fb in delta.feedback if fb.item_id in bot.catalog], []
            state.apply(delta)
            for fb in feedback:
                state.apply_feedback(fb.item_id, fb.kind, label=bot.catalog[fb.item_id].label)
            bot.sessions.save(self.session, state, [("user", text)])

    def _clear_shown(self) -> None:
        """The bot's own picks were never shown to the human in the real dialogue."""
        sessions = self.bot.sessions
        with sessions.session_lock(self.session):
            state = sessions.load(self.session)
            if state.shown or state.last_shown:
                state.shown, state.last_shown = [], []
                sessions.save(self.session, state, [])

    def state(self):
        return self.bot.state(self.session)


# ---------------------------------------------------------------------------- the run

def evaluate(records: Iterable[Mapping[str, Any]], systems: Sequence[System], *,
             labels: Mapping[str, str] | Callable[[str], str | None], k: int = TOP,
             progress: Callable[[int], None] | None = None,
             on_sample: Callable[[Dialogue, int, list[Sample], dict[str, list[str]]], None] | None = None) -> dict:
    """Run every system over the same samples; the result dict of the module docstring.

    `on_sample(dialogue, turn_index, samples, rankings)` is called at every scored recommender turn
    (the tuning script uses it to cache states). `progress(1)` is called after each dialogue.
    """
    ranks: dict[str, dict[str, list[int | None]]] = {s.name: {"all": [], "new": []} for s in systems}
    seconds = {s.name: 0.0 for s in systems}
    n_dialogues = n_turns = unknown = 0
    started = time.perf_counter()
    for record in records:
        dialogue = parse_dialogue(record, labels)
        unknown += dialogue.unknown_mentions
        scored = dict(iter_samples(dialogue))
        n_dialogues += 1
        if scored:
            for system in systems:
                system.begin(dialogue.id)
            for i, turn in enumerate(dialogue.turns):
                if i in scored:
                    n_turns += 1
                    context = scored[i][0].context
                    rankings = {}
                    for system in systems:
                        t = time.perf_counter()
                        rankings[system.name] = list(system.rank(context, dialogue.turns[:i], k))[:k]
                        seconds[system.name] += time.perf_counter() - t
                    for sample in scored[i]:
                        for system in systems:
                            r = rank_of(sample.target, rankings[system.name])
                            ranks[system.name]["all"].append(r)
                            if sample.new:
                                ranks[system.name]["new"].append(r)
                    if on_sample:
                        on_sample(dialogue, i, scored[i], rankings)
                for system in systems:
                    t = time.perf_counter()
                    if turn.role == "seeker":
                        system.seeker(turn.text, turn.item_ids)
                    else:
                        system.recommender(turn.text, turn.item_ids)
                    seconds[system.name] += time.perf_counter() - t
            for system in systems:
                system.end()
        if progress:
            progress(1)
    result_systems = {}
    for system in systems:
        result_systems[system.name] = {
            "conditions": {cond: metrics_for_ranks(r) for cond, r in ranks[system.name].items()},
            "seconds": round(seconds[system.name], 2),
        }
    first = systems[0].name if systems else None
    return {
        "n_dialogues": n_dialogues,
        "n_turns_scored": n_turns,
        "unknown_mentions": unknown,
        "k": k,
        "conditions": result_systems[first]["conditions"] if first else {},
        "system": first,
        "systems": result_systems,
        "seconds": round(time.perf_counter() - started, 1),
    }
