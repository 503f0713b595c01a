"""The per-session interest state and how a grounded delta updates it.

Every preference carries polarity, weight and the turn it came from. Soft preferences decay each
turn; an explicit reversal overrides (a like replaces a dislike of the same thing, and back);
hard dislikes filter and do not decay. Items mentioned, shown, seen or rejected are remembered so
they are never recommended again unless the user asks.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from chatrec.dialogue.schema import GroundedDelta, InterestSummary, Preference

DECAY = 0.85
"""Soft preference weight kept per turn."""
MIN_WEIGHT = 0.2
"""Below this a soft preference is dropped."""


class InterestState(BaseModel):
    """Everything chatrec knows about one session's tastes. Serialisable with pydantic."""

    turn: int = 0
    prefs: list[Preference] = Field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None
    year_soft: bool = False
    """The years came from vague words ("recent", "old"): they weigh in the ranking but do not filter."""
    mentioned: list[str] = Field(default_factory=list)
    """Items the user or the bot named in the conversation."""
    shown: list[str] = Field(default_factory=list)
    """Items recommended before, most recent last."""
    last_shown: list[str] = Field(default_factory=list)
    """The picks of the last reply, in rank order (what "the second one" refers to)."""
    seen: list[str] = Field(default_factory=list)
    rejected: list[str] = Field(default_factory=list)
    liked_items: list[str] = Field(default_factory=list)
    recent_messages: list[str] = Field(default_factory=list)
    """The last few user messages (their text is part of the interest vector)."""

    # ---- reading ---------------------------------------------------------------------------
    def likes(self, kind: str | None = None) -> list[Preference]:
        return [p for p in self.prefs if p.positive and (kind is None or p.kind == kind)]

    def dislikes(self, kind: str | None = None) -> list[Preference]:
        return [p for p in self.prefs if not p.positive and (kind is None or p.kind == kind)]

    def hard_disliked_genres(self) -> list[str]:
        liked = {p.value for p in self.likes("genre")}
        return [p.value for p in self.dislikes("genre") if p.hard and p.value not in liked]

    def excluded_items(self) -> set[str]:
        """Never recommend these again unless asked."""
        return set(self.mentioned) | set(self.shown) | set(self.seen) | set(self.rejected) | set(self.liked_items)

    def is_empty(self) -> bool:
        return not self.prefs and self.year_min is None and self.year_max is None and not self.liked_items

    def summary(self) -> InterestSummary:
        constraints = []
        if self.year_min is not None and self.year_max is not None:
            constraints.append(f"from {self.year_min} to {self.year_max}" if self.year_min != self.year_max else f"from {self.year_min}")
        elif self.year_min is not None:
            constraints.append(f"from {self.year_min} on")
        elif self.year_max is not None:
            constraints.append(f"up to {self.year_max}")
        if constraints and self.year_soft:
            constraints[-1] += " (preferred)"
        by_weight = sorted(self.prefs, key=lambda p: -p.weight)
        return InterestSummary(
            likes=[p.label for p in by_weight if p.positive],
            dislikes=[p.label for p in by_weight if not p.positive],
            constraints=constraints,
            liked=[p for p in by_weight if p.positive],
            disliked=[p for p in by_weight if not p.positive],
            year_min=self.year_min,
            year_max=self.year_max,
            seen=list(self.seen),
            rejected=list(self.rejected),
        )

    # ---- writing ---------------------------------------------------------------------------
    def begin_turn(self, message: str) -> None:
        """Advance the turn: decay soft preferences and remember the message."""
        self.turn += 1
        kept = []
        for p in self.prefs:
            if not p.hard and not (p.kind == "item" and p.positive):
                p.weight *= DECAY
            elif p.kind == "item" and p.positive:
                p.weight *= 0.93
            if p.hard or p.weight >= MIN_WEIGHT:
                kept.append(p)
        self.prefs = kept
        if message.strip():
            self.recent_messages = (self.recent_messages + [message[:500]])[-3:]

    def apply(self, delta: GroundedDelta) -> None:
        """Fold one grounded delta into the state (forget, replace, then likes/dislikes, feedback)."""
        for kind, value in delta.forget:
            if kind == "all":
                self.prefs = []
                self.year_min = self.year_max = None
                self.year_soft = False
                self.recent_messages = []
                self.liked_items = []
                continue
            self.prefs = [p for p in self.prefs if p.key != (kind, value.lower())]
            if kind == "item":
                self.liked_items = [i for i in self.liked_items if i != value]
        if delta.replace and (delta.likes or delta.year_min or delta.year_max):
            self.prefs = [p for p in self.prefs if not p.positive]
            self.recent_messages = self.recent_messages[-1:]
        for pref in delta.likes + delta.dislikes:
            self._upsert(pref.model_copy(update={"turn": self.turn}))
        if delta.year_min is not None or delta.year_max is not None:
            if not (delta.year_soft and not self.year_soft and (self.year_min or self.year_max)):
                self.year_min, self.year_max, self.year_soft = delta.year_min, delta.year_max, delta.year_soft
        for item_id in delta.mentioned_items:
            if item_id not in self.mentioned:
                self.mentioned.append(item_id)
        for fb in delta.feedback:
            self.apply_feedback(fb.item_id, fb.kind)

    def apply_feedback(self, item_id: str, kind: str, *, label: str | None = None) -> None:
        """Record a 👍 / 👎 / seen on an item; a like or dislike also becomes an item preference."""
        if kind == "seen":
            _add(self.seen, item_id)
            return
        if kind == "liked":
            _add(self.liked_items, item_id)
            self.rejected = [i for i in self.rejected if i != item_id]
            self._upsert(Preference(kind="item", value=item_id, label=label or item_id, positive=True, turn=self.turn, weight=1.0))
        elif kind == "disliked":
            _add(self.rejected, item_id)
            self.liked_items = [i for i in self.liked_items if i != item_id]
            self._upsert(Preference(kind="item", value=item_id, label=label or item_id, positive=False, turn=self.turn, weight=0.7))
        else:
            raise ValueError(f"feedback kind must be liked, disliked or seen, not {kind!r}")

    def remove(self, label: str) -> bool:
        """Remove a preference or constraint by its label (the UI's remove button)."""
        before = len(self.prefs)
        self.prefs = [p for p in self.prefs if p.label.lower() != label.lower()]
        if label.startswith(("from ", "up to ")):
            self.year_min = self.year_max = None
            self.year_soft = False
            return True
        return len(self.prefs) != before

    def record_shown(self, item_ids: list[str]) -> None:
        """Remember the picks on screen; cold-start picks (nothing known yet) stay eligible later."""
        self.last_shown = list(item_ids)
        if self.is_empty():
            return
        for item_id in item_ids:
            _add(self.shown, item_id)

    def _upsert(self, pref: Preference) -> None:
        for i, existing in enumerate(self.prefs):
            if existing.key == pref.key:
                # an explicit statement overrides, whatever the polarity was
                self.prefs[i] = pref.model_copy(update={"weight": max(pref.weight, existing.weight if existing.positive == pref.positive else 0)})
                return
        self.prefs.append(pref)


def _add(values: list[str], value: str) -> None:
    if value not in values:
        values.append(value)
