"""What flows through a turn: the LLM's proposal (`InterestDelta`), its grounded form, and the `Reply`.

`InterestDelta` is deliberately flat: a small model fills it under a JSON grammar, and grounding
(chatrec.dialogue.grounding) decides what each span really is, whatever field it was put in.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

FeedbackKind = Literal["liked", "disliked", "seen"]
PrefKind = Literal["genre", "item", "person", "keyword", "tone"]
"""A tone is a mood word that qualifies a kind ("a cozy mystery"): it weighs in the ranking and is no extraction slot."""


class FeedbackProposal(BaseModel):
    """Feedback on an earlier pick: `target` is a rank ("1", "2", "last") or a title."""

    target: str
    kind: FeedbackKind


class InterestDelta(BaseModel):
    """What one message says about the user's tastes, as the LLM (or the rules) propose it."""

    liked_titles: list[str] = Field(default_factory=list)
    """Titles the user likes or wants something like ("like Inception")."""
    disliked_titles: list[str] = Field(default_factory=list)
    liked_genres: list[str] = Field(default_factory=list)
    disliked_genres: list[str] = Field(default_factory=list)
    liked_people: list[str] = Field(default_factory=list)
    """Directors, actors, writers the user likes."""
    disliked_people: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    """Wanted themes and moods in a few words ("time travel", "feel-good")."""
    avoid_keywords: list[str] = Field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None
    forget: list[str] = Field(default_factory=list)
    """Earlier preferences the user takes back ("forget sci-fi" -> ["sci-fi"]; everything -> ["all"])."""
    replace: bool = False
    """True when the message switches to something new ("actually, documentaries now")."""
    feedback: list[FeedbackProposal] = Field(default_factory=list)


class Preference(BaseModel):
    """One grounded preference: a catalog genre, item or person, or a free keyword."""

    kind: PrefKind
    value: str
    """Canonical value: the genre name, the item id, the person's name, the keyword."""
    label: str
    """How to show it to a person ("Inception (2010)")."""
    positive: bool = True
    weight: float = 1.0
    turn: int = 0
    hard: bool = False
    """A hard preference filters (an explicit "no horror"); a soft one only weighs."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.value.lower())


class Feedback(BaseModel):
    item_id: str
    kind: FeedbackKind


class GroundedDelta(BaseModel):
    """The delta after grounding: only catalog vocabulary or declared free keywords."""

    likes: list[Preference] = Field(default_factory=list)
    dislikes: list[Preference] = Field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None
    year_soft: bool = False
    """True when the years come from vague words ("recent", "old"): they weigh instead of filtering."""
    forget: list[tuple[str, str]] = Field(default_factory=list)
    """(kind, value) pairs to drop; ("all", "all") clears everything."""
    replace: bool = False
    feedback: list[Feedback] = Field(default_factory=list)
    mentioned_items: list[str] = Field(default_factory=list)
    declined: list[tuple[str, str]] = Field(default_factory=list, exclude=True)
    """Keys (("genre", "horror")) the rules read in the message and gave no slot on purpose: a concession ("i don't
    hate action"), the loser of a choice, someone else's taste, a genre narrowed to a kind ("a slasher"), a
    qualifying adjective ("cute romcom"). An LLM's proposal does not bring them back (see extract.merge)."""

    def is_empty(self) -> bool:
        return not (self.likes or self.dislikes or self.year_min or self.year_max or self.forget
                    or self.feedback or self.replace)

    def slots(self) -> set[str]:
        """Flat labels for scoring extraction: "like:genre:sci-fi", "year_min:1990", ..."""
        out = {f"like:{p.kind}:{p.value.lower()}" for p in self.likes if p.kind != "tone"}
        out |= {f"dislike:{p.kind}:{p.value.lower()}" for p in self.dislikes if p.kind != "tone"}
        if self.year_min is not None:
            out.add(f"year_min:{self.year_min}")
        if self.year_max is not None:
            out.add(f"year_max:{self.year_max}")
        out |= {f"forget:{k}:{v.lower()}" for k, v in self.forget}
        out |= {f"feedback:{f.item_id}:{f.kind}" for f in self.feedback}
        if self.replace:
            out.add("replace")
        return out


class ScorePart(BaseModel):
    name: str
    value: float


class Recommendation(BaseModel):
    item_id: str
    title: str
    year: int | None = None
    genres: list[str] = Field(default_factory=list)
    score: float
    score_parts: dict[str, float] = Field(default_factory=dict)
    explanation: str = ""
    explanation_source: Literal["llm", "template", "pending"] = "pending"
    matched: list[str] = Field(default_factory=list)
    """Labels of the user's interests this item matches (what the explanation may cite)."""

    @property
    def label(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title


class Reply(BaseModel):
    """What `ChatRec.chat` returns: the bot's text, its picks and the interest state after the turn."""

    text: str
    recommendations: list[Recommendation] = Field(default_factory=list)
    interests: "InterestSummary"
    session: str
    turn: int
    notices: list[str] = Field(default_factory=list)
    """Short notices for the user (message truncated, LLM unavailable, ...)."""
    timings: dict[str, float] = Field(default_factory=dict)
    asks_question: bool = False
    preview: bool = False
    """True for the first picks of a streamed turn, read by the rules alone; the LLM's reading follows."""


class InterestSummary(BaseModel):
    """The interest state as a person (or a test) reads it."""

    likes: list[str] = Field(default_factory=list)
    dislikes: list[str] = Field(default_factory=list)
    constraints: list[str] = Field(default_factory=list)
    liked: list[Preference] = Field(default_factory=list)
    disliked: list[Preference] = Field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None
    seen: list[str] = Field(default_factory=list)
    rejected: list[str] = Field(default_factory=list)

    def text(self) -> str:
        parts = []
        if self.likes:
            parts.append("likes " + ", ".join(self.likes))
        if self.dislikes:
            parts.append("avoids " + ", ".join(self.dislikes))
        if self.constraints:
            parts.append(", ".join(self.constraints))
        return "; ".join(parts) if parts else "nothing known yet"


Reply.model_rebuild()
