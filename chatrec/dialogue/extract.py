"""Extraction: message -> grounded delta. The LLM proposes, grounding decides, rules check polarity.

With the `none` backend the rule extractor alone is used. With an LLM, its `InterestDelta` is
grounded span by span against the catalog (whatever field a span was put in), spans that do not
occur in the message are dropped, polarity is re-checked against the negation in the message, and
the result is merged with the rules' own reading.
"""

from __future__ import annotations

import logging
import re

import numpy as np

from rapidfuzz import fuzz

from chatrec.dialogue.grounding import _COMMON_WORDS, KEYWORD_PHRASES, NOT_GENRE, Vocabulary, bare_title, normalize
from chatrec.dialogue.rules import (
    _DECADE_WORDS,
    _ORDINALS,
    _FORGET,
    _FORGET_AFTER,
    _INJECTION,
    _MOVIE_TALK,
    _RESET_ALL,
    _QUALIFIERS,
    RuleExtractor,
    _feedback_kind,
    asks_to_replace,
    canonical_keyword,
    negative_at,
    split_clauses,
    taken_back_group,
    verdict_valence,
)
from chatrec.dialogue.schema import Feedback, GroundedDelta, InterestDelta, Preference
from chatrec.dialogue.verdict import VerdictModel
from chatrec.embeddings import Embedder
from chatrec.errors import LLMError
from chatrec.llm.base import LLM
from chatrec.prompts import load_prompt

log = logging.getLogger(__name__)
GENRE_SIMILARITY_MIN = 0.72


_TOPIC_AROUND = re.compile(r"\b(about|involving|featuring|with|set in|on|of)\s+(an?\s+|the\s+|some\s+)?$", re.I)
_TOPIC_AFTER = re.compile(r"^\s*(movies?|films?|flicks?|stor(y|ies)|stuff|themed|plots?|ones?)\b", re.I)
"""A free keyword the LLM proposes counts only where the message uses it as a topic: "revenge story",
"shark movies", "set in space" -- not any word of an off-topic message ("walmart", "homework")."""

_VAGUE_THEME_WORDS = {"actual", "real", "proper", "some", "idea", "ideas", "substance", "depth", "heart", "soul", "brains",
                      "meaning", "point", "plot", "story"}
"""Words that ask for quality, not for a theme ("a sci fi flick with some actual ideas in it")."""

_ERA_WORDS = set(_DECADE_WORDS) | {"decade", "era", "older", "newer", "modern", "vintage", "classic", "recent", "s",
                                    "60s", "70s", "80s", "90s", "2000s", "black", "white", "silent", "color", "colour"}

_GENERIC_WORDS = {"movie", "movies", "film", "films", "flick", "flicks", "stuff", "something", "anything", "one", "ones",
                  "show", "shows", "genre", "genres", "kind", "type", "please", "thing", "things"}
"""Words an LLM may put in a genre field that name no genre ("movies" is not the genre closest to it)."""

_AMBIGUOUS_GENRE_WORDS = NOT_GENRE | {"kids", "children", "childrens", "humor", "humour"}
"""Genre words that are as often ordinary words ("my kids", "the whole family", "his humor")."""

_REFERS = re.compile(
    r"\b(it|its|that|this|those|these|them|one|ones|first|second|third|fourth|fifth|last|previous|above|"
    r"seen|watched|saw|pick|picks|suggestions?|recommendations?|\d)\b", re.IGNORECASE)
"""Words by which a message may point at earlier picks ("seen it", "the second one")."""


class Extractor:
    """Turns one user message into a `GroundedDelta` with the configured LLM (or rules only)."""

    def __init__(self, llm: LLM, vocab: Vocabulary, *, embedder: Embedder | None = None):
        self.llm = llm
        self.vocab = vocab
        self.rules = RuleExtractor(vocab, verdict=VerdictModel.for_embedder(embedder))
        self.embedder = embedder
        self._genre_matrix: tuple[list[str], np.ndarray] | None = None
        self.last_call_failed = False

    def uses_llm(self, message: str) -> bool:
        """Whether `extract` will ask the LLM about this message (not in "none" mode, nor for injections)."""
        return not self.llm.is_null and not _INJECTION.search(message)

    def extract(self, message: str, *, shown: list[str] | None = None, turn: int = 0,
                ruled: GroundedDelta | None = None) -> tuple[GroundedDelta, list[str]]:
        """(delta, notices); an LLM failure falls back on the rules with a short notice.

        `ruled` is the rules' reading of the same message when the caller already has it.
        """
        shown = list(shown or [])
        self.last_call_failed = False
        if ruled is None:
            ruled = self.rules.extract(message, shown=shown, turn=turn)
        if not self.uses_llm(message):
            return ruled, []
        try:
            refers = bool(ruled.feedback) or bool(_REFERS.search(message))
            proposal = self.llm.complete(self._messages(message, shown if refers else []), schema=InterestDelta,
                                         max_tokens=200)
        except LLMError as exc:
            self.last_call_failed = True
            log.info("extraction fell back on rules (%s)", type(exc).__name__)
            return ruled, ["The language model did not answer, so I read your message with simple rules."]
        grounded = self.ground(proposal, message, shown=shown, turn=turn, ruled=ruled)
        return merge(ruled, grounded), []

    def _messages(self, message: str, shown: list[str]):
        """The prompt; earlier picks are listed only when the message may refer to them (fewer tokens to read)."""
        shown_text = "; ".join(f"{i + 1}. {self.vocab.catalog[s].label}" for i, s in enumerate(shown[:5]) if s in self.vocab.catalog) or "none"
        return load_prompt("extract").messages(message=message.replace('"', "'")[:1500], shown=shown_text)

    # ---- grounding an LLM proposal ----------------------------------------------------------
    def ground(self, proposal: InterestDelta, message: str, *, shown: list[str], turn: int,
               ruled: GroundedDelta | None = None) -> GroundedDelta:
        """Link every proposed span to the catalog; drop spans the message does not contain.

        Precision first: a title must be one the message names as a title (not "thriller" or
        "zombie" read as a film of that name), a genre must be named or be the closest genre to a
        span the LLM put in a genre field, and a free keyword must stand as a topic in the message.
        """
        delta = GroundedDelta()
        norm_message = normalize(message)
        titled = {m.item_id for m in self.vocab.titles_in(message)}
        people_named = frozenset(m.name for m in self.vocab.people_in(message))
        movie_talk = bool(_MOVIE_TALK.search(message))  # "my cat is sick": no theme, whatever the model says
        ruled_text = " ".join(normalize(p.label) for p in (ruled.likes + ruled.dislikes if ruled else []))
        ruled_genres = {p.value for p in (ruled.likes + ruled.dislikes if ruled else []) if p.kind == "genre"}
        fields = [
            (proposal.liked_titles, True, "title"), (proposal.liked_genres, True, "genre"),
            (proposal.liked_people, True, "person"), (proposal.keywords, True, "keyword"),
            (proposal.disliked_titles, False, "title"), (proposal.disliked_genres, False, "genre"),
            (proposal.disliked_people, False, "person"), (proposal.avoid_keywords, False, "keyword"),
        ]
        for spans, positive, field in fields:
            for span in spans[:8]:
                pref = self._ground_span(span, norm_message, turn, similar_genre=field == "genre",
                                         people_named=people_named)
                if pref is None:
                    continue
                if pref.kind == "item" and pref.value not in titled and not self._typed_title(span, norm_message):
                    continue
                if pref.kind == "keyword" and not (movie_talk and self._topic(normalize(span), message, ruled_text, ruled=ruled)):
                    continue
                if pref.kind == "genre" and pref.value not in ruled_genres and _genre_word(span) in _AMBIGUOUS_GENRE_WORDS:
                    continue  # "the whole family loved it", "war", "history": genres only where the rules read one
                position = _find(normalize(span), message)
                liked = positive if position is None else self._polarity_at(message, position, positive)
                pref.positive = liked
                pref.hard = not liked and pref.kind == "genre"
                (delta.likes if liked else delta.dislikes).append(pref)
                if pref.kind == "item":
                    delta.mentioned_items.append(pref.value)
        taken_back = _taken_back(message)
        for span in proposal.forget[:8]:
            if normalize(span) in {"all", "everything"}:
                if _RESET_ALL.search(message):
                    delta.forget.append(("all", "all"))
                continue
            pref = self._ground_span(span, norm_message, turn, people_named=people_named)
            if pref is not None and pref.kind == "item" and pref.value not in titled:
                # "forget comedy" takes back the genre, not a film called "Comedy"
                pref = self._ground_span(span, norm_message, turn, people_named=people_named, items=False)
            if pref is not None and _find_span(normalize(span), taken_back) is not None:
                delta.forget.append((pref.kind, pref.value))
        disliked_here = bool(delta.dislikes or (ruled and ruled.dislikes))
        delta.replace = proposal.replace and bool(asks_to_replace(message, disliked_here=disliked_here)
                                                  or re.search(r"\bnow\b", message, re.I)) \
            and bool(delta.likes or (ruled and ruled.likes))
        said = _feedback_kind(message.lower())
        # "burn it all down and begin fresh": starting over points at no pick (the rules still read "seen all, start over")
        for fb in proposal.feedback[:5] if not _RESET_ALL.search(message) else []:
            item_id = self._feedback_target(fb.target, shown)
            if item_id and (said is None or said == fb.kind) and self._pick_named(item_id, shown, message):
                delta.feedback.append(Feedback(item_id=item_id, kind=fb.kind))
        return delta

    def _typed_title(self, span: str, norm_message: str) -> bool:
        """A title of two or more words, not all common ones, typed (maybe misspelt) in the message."""
        key = normalize(span)
        words = key.split()
        if len(words) < 2 or self.vocab.person(span) is not None:
            return False  # "emma stone" is the actress, not a film of that name
        if all(w in _COMMON_WORDS or w in self.vocab.plain_words or len(w) <= 2 for w in words):
            return False  # "date night": ordinary words, not a title the message names
        return key in norm_message or fuzz.partial_ratio(key, norm_message) >= 90

    def _topic(self, keyword: str, message: str, ruled_text: str, *, ruled: GroundedDelta | None = None) -> bool:
        """Whether a free keyword stands as a topic in the message and is not part of a span already read."""
        words = keyword.split()
        read = set(ruled_text.split())
        if keyword in ruled_text or any(w in read for w in words if len(w) > 3):
            return False  # part of a span already read: "arrival type" after the title Arrival
        if all(w in _VAGUE_THEME_WORDS or w in _COMMON_WORDS for w in words):
            return False  # "a sci fi flick with some actual ideas": what the film should have, no theme
        if ruled is not None and keyword in _QUALIFIERS:
            return False  # "the weird experimental ones", "weird niche but ...": a mood word the rules read in context
        if len(keyword) >= 6 and self.vocab.genres_in(keyword, typos=True):
            return False  # "advenchure": a genre misspelt (the rules read it), not a theme
        if all(w in _COMMON_WORDS or w in _ERA_WORDS or w in {"and", "or", "of"} or re.fullmatch(r"\d+s?", w) or verdict_valence(w) > 0
               for w in words):
            return False  # "good", "favorite", "nineties", "1940s", "black and white": evaluations and eras, not themes
        if normalize(keyword) in KEYWORD_PHRASES:  # the rules' own theme words
            return True
        found = _find_span(keyword, message)
        if found is None:
            return False
        start, end = found
        if ruled is not None and any(p.kind == "person" for p in ruled.likes + ruled.dislikes) \
                and re.match(r"\s*(?:ones?|stuff)\b", message[end:], re.I):
            return False  # "soderbergh ... even the weird experimental ones": the person's films described
        return bool(_TOPIC_AROUND.search(message[max(0, start - 20):start]) or _TOPIC_AFTER.search(message[end:]))

    def _ground_span(self, span: str, norm_message: str, turn: int, *, similar_genre: bool = True,
                     people_named: frozenset[str] = frozenset(), items: bool = True) -> Preference | None:
        key = normalize(span)
        if not key or len(key) > 80:
            return None
        in_message = re.search(rf"\b{re.escape(key)}\b", norm_message) is not None
        item_id = self.vocab.title(span) if items else None
        if item_id and (in_message or _fuzzy_in(key, norm_message)):
            item = self.vocab.catalog[item_id]
            return Preference(kind="item", value=item.id, label=item.label, turn=turn)
        person = self.vocab.person(span) if " " in key or key in self.vocab.surnames else None
        if person and " " not in key and person not in people_named:
            person = None  # a bare surname counts where the rules read a person ("white" is not Michael Jai White)
        if person and (in_message or _fuzzy_in(key, norm_message)):
            return Preference(kind="person", value=person, label=person, turn=turn)
        genres = self.vocab.genre(span)
        if genres and (in_message or any(re.search(rf"\b{re.escape(p)}\b", norm_message)
                                         for p, g in self.vocab.genre_synonyms.items() if g == genres)):
            return Preference(kind="genre", value=genres[0], label=genres[0], turn=turn)
        if not in_message:
            return None
        generic = all(w in _COMMON_WORDS or w in _GENERIC_WORDS for w in key.split())
        themed = key in KEYWORD_PHRASES  # "space", "violence": the rules' theme words stay themes
        similar = self._similar_genre(key) if similar_genre and not generic and not themed else None
        if similar:
            return Preference(kind="genre", value=similar, label=similar, turn=turn)
        if len(key.split()) <= 3 and len(key) >= 3:
            keyword = canonical_keyword(key)
            return Preference(kind="keyword", value=keyword, label=keyword, turn=turn, weight=0.8)
        return None

    def _similar_genre(self, key: str) -> str | None:
        if self.embedder is None:
            return None
        if self._genre_matrix is None:
            genres = sorted(self.vocab.genres)
            self._genre_matrix = (genres, self.embedder.embed([f"{g} movies" for g in genres]))
        genres, matrix = self._genre_matrix
        sims = matrix @ self.embedder.embed([f"{key} movies"])[0]
        best = int(np.argmax(sims))
        return genres[best] if sims[best] >= GENRE_SIMILARITY_MIN else None

    def _polarity_at(self, message: str, position: int, proposed: bool) -> bool:
        for offset, clause in split_clauses(message):
            if offset <= position < offset + len(clause):
                return not negative_at(clause, position - offset)
        return proposed

    def _pick_named(self, item_id: str, shown: list[str], message: str) -> bool:
        """Whether the message points at this pick: by its title, its place in the list, or all of them at once.

        The embedded model copies feedback from its examples ("1 seen, 2 disliked") onto messages that
        give none ("scratch that, i'm in a comedy mood now")."""
        low = message.lower()
        if re.search(r"\b(?:all|these|those|them|em|both|every|each|none|neither|the (?:other|rest))\b", low):
            return True
        title = bare_title(self.vocab.catalog[item_id].title) if item_id in self.vocab.catalog else ""
        if title and re.search(rf"\b{re.escape(title)}\b", normalize(message)):
            return True
        rank = shown.index(item_id) + 1
        # the rules' ordinal words; a bare "one"/"two" only after "number" ("that one", "the other two" name no place)
        at_rank = {w for w, r in _ORDINALS.items() if r == rank or (r == -1 and rank == len(shown))}
        counted = {w for w in at_rank if w in _COUNT_WORDS}
        places = sorted(at_rank - counted) + [f"number {w}" for w in sorted(counted)] + [rf"#\s?{rank}", rf"no\.? ?{rank}", str(rank)]
        return bool(re.search(rf"(?<!\w)(?:{'|'.join(places)})\b", low))

    def _feedback_target(self, target: str, shown: list[str]) -> str | None:
        if not shown:
            return None
        t = normalize(target)
        ordinals = {"1": 0, "first": 0, "2": 1, "second": 1, "3": 2, "third": 2, "4": 3, "fourth": 3, "5": 4, "fifth": 4}
        if t in ordinals and ordinals[t] < len(shown):
            return shown[ordinals[t]]
        if t in {"last", "final"}:
            return shown[-1]
        for item_id in shown:
            if item_id in self.vocab.catalog and normalize(self.vocab.catalog[item_id].title) == t:
                return item_id
        return None


_COUNT_WORDS = {"one", "two", "three", "four", "five"}


def merge(ruled: GroundedDelta, proposed: GroundedDelta) -> GroundedDelta:
    """Union of both readings; where they disagree on polarity, the rules (which read negation) win, and what
    the rules declined on purpose ("i don't hate action", "carpenter over craven", a title the message gives
    feedback on) stays declined."""
    out = ruled.model_copy(deep=True)
    rule_keys = {p.key: p.positive for p in ruled.likes + ruled.dislikes}
    declined = set(ruled.declined) | {("item", f.item_id) for f in ruled.feedback}
    for pref in proposed.likes + proposed.dislikes:
        if pref.key in rule_keys or pref.key in declined:
            continue
        (out.likes if pref.positive else out.dislikes).append(pref)
        if pref.kind == "item" and pref.value not in out.mentioned_items:
            out.mentioned_items.append(pref.value)
    for pair in proposed.forget if not ruled.forget else ():  # the rules read "forget X" well; the LLM adds
        if pair not in out.forget:                              # only where they found nothing to take back
            out.forget.append(pair)
    out.replace = ruled.replace or proposed.replace
    if not ruled.feedback:
        out.feedback = proposed.feedback
    forget_keys = {(k, v.lower()) for k, v in out.forget}
    out.likes = [p for p in out.likes if p.key not in forget_keys]
    out.dislikes = [p for p in out.dislikes if p.key not in forget_keys]
    return out


def _genre_word(span: str) -> str:
    """The genre word of a span ("war movies" -> "war")."""
    return re.sub(r"\s*\b(movies?|films?|flicks?|ones?|stuff)\b\s*", " ", normalize(span)).strip()


def _taken_back(message: str) -> str:
    """The parts of a message that follow (or precede) a word for taking something back.

    An LLM's `forget` counts only there: the embedded model copies "forget" from its examples
    onto any message ("something funny with Jim Carrey" -> forget Jim Carrey).
    """
    spans = [m.group("what") for m in _FORGET.finditer(message)]
    spans += [m.group(taken_back_group(m)) for m in _FORGET_AFTER.finditer(message)]
    return " | ".join(s for s in spans if s)


def _find_span(key: str, message: str) -> tuple[int, int] | None:
    """(start, end) in `message` of a normalised span (approximately), or None."""
    if not key:
        return None
    pattern = r"[\W_]*".join(re.escape(w) for w in key.split())
    match = re.search(pattern, message, re.I)
    return (match.start(), match.end()) if match else None


def _find(key: str, message: str) -> int | None:
    """Offset in `message` where the normalised span starts (approximately), or None."""
    found = _find_span(key, message)
    return found[0] if found else None


def _fuzzy_in(key: str, norm_message: str) -> bool:
    return fuzz.partial_ratio(key, norm_message) >= 88
