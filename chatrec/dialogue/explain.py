"""Explanations: one sentence per pick, written by the LLM from the item's facts, then checked.

The checker rejects a sentence that names a genre, person, year or title that is not among the
item's facts (or the user's matched interests), names something the user dislikes, or carries a
capitalised name found nowhere in the facts. A rejected or missing sentence is replaced by a
template built from the matched features, so no ungrounded sentence reaches the user.
"""

from __future__ import annotations

import functools
import re
import time
from collections import Counter
from dataclasses import dataclass

from chatrec.catalog import Item
from chatrec.dialogue.grounding import Vocabulary, normalize
from chatrec.dialogue.state import InterestState
from chatrec.errors import LLMError
from chatrec.llm.base import LLM
from chatrec.prompts import load_prompt
from chatrec.sessions import redact

_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)s?\b")
_CAP_RUN = re.compile(r"\b([A-Z][a-zA-Z'’.-]+(?:\s+(?:[A-Z][a-zA-Z'’.-]+|of|the|and|de|van|von))*\s+[A-Z][a-zA-Z'’.-]+)")


@functools.lru_cache(maxsize=1)
def _prompt_ngrams() -> frozenset[str]:
    """Every run of five words in the prompt files' fixed text (a sentence quoting them leaks them)."""
    grams: set[str] = set()
    for name in ("explain", "extract"):
        prompt = load_prompt(name)
        # the instructions only: example inputs are item facts, example answers are phrasing to imitate
        texts = [prompt.system] + ([prompt.user] if name == "explain" else [])
        for text in texts:
            words = normalize(re.sub(r"\{\{.*?\}\}", " ", text)).split()
            grams.update(" ".join(words[i:i + 5]) for i in range(len(words) - 4))
    return frozenset(grams)


@dataclass
class CheckResult:
    ok: bool
    reason: str = ""


def item_facts(item: Item, max_plot: int = 200) -> str:
    """The only facts the LLM is given about an item."""
    lines = [f"Title: {item.title}"]
    if item.year:
        lines.append(f"Year: {item.year}")
    if item.genres:
        lines.append("Genres: " + ", ".join(item.genres))
    directors = item.people_with("director")
    if directors:
        lines.append("Director: " + ", ".join(directors[:2]))
    stars = item.people_with("star") or item.people_with("cast")
    if stars:
        lines.append("Starring: " + ", ".join(stars[:3]))
    if item.description:
        lines.append("Plot: " + item.description[:max_plot])
    return "\n".join(lines)


class ExplanationChecker:
    """Checks one sentence against one item's facts and the user's state."""

    def __init__(self, vocab: Vocabulary):
        self.vocab = vocab

    def check(self, sentence: str, item: Item, state: InterestState, matched: list[str]) -> CheckResult:
        text = sentence.strip()
        if not text:
            return CheckResult(False, "empty")
        if len(text) > 400:
            return CheckResult(False, "too long")
        if re.search(r"[{}<>\[\]]|```|https?://", text):
            return CheckResult(False, "markup or links")
        if redact(text) != text:
            return CheckResult(False, "contact data")
        words = normalize(text).split()
        if any(" ".join(words[i:i + 5]) in _prompt_ngrams() for i in range(len(words) - 4)):
            return CheckResult(False, "quotes the instructions")
        allowed_text = normalize(" ".join([item.title, item.description, " ".join(item.genres),
                                            " ".join(p.name for p in item.people), " ".join(matched)]))
        item_genres = set(item.genres)
        matched_norm = {normalize(m) for m in matched}
        for genre, _, _, phrase in self.vocab.genres_in(text):
            if genre not in item_genres and normalize(phrase) not in allowed_text:
                return CheckResult(False, f"names genre {genre!r} the item does not have")
        matched_text = " ".join(matched)
        for year in _YEAR.findall(text):
            if (item.year is None or str(item.year) != year[:4]) and year[:4] not in matched_text:
                return CheckResult(False, f"names year {year}")
        item_people = self.vocab.item_people(item)
        for person in self.vocab.people_in(text):
            if " " not in person.span.strip() and re.search(rf"\b{re.escape(normalize(person.span))}\b", allowed_text):
                continue  # "Scott" of the item's own plot (a character), not Ridley Scott
            if normalize(person.name) not in item_people and normalize(person.name) not in matched_norm:
                return CheckResult(False, f"names {person.name}, not credited on the item")
        for title in self.vocab.titles_in(text):
            if title.item_id != item.id and normalize(self.vocab.catalog[title.item_id].title) not in matched_norm \
                    and normalize(title.span) not in allowed_text:
                return CheckResult(False, f"names another title {title.span!r}")
        for run in _CAP_RUN.findall(text):
            for name in re.split(r"\s+(?:and|of|the)\s+", run.strip(" .,'’")):
                name = name.strip(" .,'’")
                if len(name.split()) < 2:
                    continue
                if normalize(name) not in allowed_text and not all(normalize(w) in allowed_text for w in name.split()[1:]):
                    return CheckResult(False, f"names {name!r}, not in the item's facts")
        for pref in state.dislikes():
            value = normalize(pref.label)
            if value and re.search(rf"\b{re.escape(value)}\b", normalize(text)):
                return CheckResult(False, f"mentions {pref.label!r}, which the user dislikes")
        return CheckResult(True)

    def drop_stray_genres(self, sentence: str, item: Item) -> str:
        """"a sci-fi thriller" -> "a sci-fi film" when the item is sci-fi but not a thriller: a genre word
        right after one of the item's own genres is cut (the sentence is checked again afterwards)."""
        def alternatives(phrases) -> str:  # synonyms are stored normalised ("sci fi"): match "sci-fi" too
            return "|".join(r"[\s-]+".join(map(re.escape, p.split())) for p in sorted(phrases, key=len, reverse=True))

        synonyms = self.vocab.genre_synonyms
        own = alternatives(p for p, genres in synonyms.items() if set(genres) & set(item.genres))
        stray = alternatives(p for p, genres in synonyms.items() if not set(genres) & set(item.genres))
        if not own or not stray:
            return sentence
        pattern = re.compile(rf"\b({own})(\s+|-)({stray})\b(\s+(film|movie|story|adventure|tale)\b)?", re.IGNORECASE)
        return pattern.sub(lambda m: m.group(1) + (m.group(4) or ("" if m.group(2) == "-" else " film")), sentence)


def template_explanation(item: Item, matched: list[str], parts: dict[str, float]) -> str:
    """A grounded sentence from the matched features alone."""
    bits = []
    genres = ", ".join(item.genres[:3])
    directors = item.people_with("director")
    stars = item.people_with("star") or item.people_with("cast")
    if matched:
        bits.append("Matches your interest in " + _join(matched[:3]))
    elif "collab" in parts:
        bits.append("Often mentioned together with films you brought up")
    elif "popularity" in parts and len(parts) == 1:
        bits.append("A well-known pick")
    else:
        bits.append("Close to what you described")
    facts = []
    if genres:
        facts.append(f"{_article(genres)} {genres} film" if not item.year else f"a {item.year} {genres} film")
    elif item.year:
        facts.append(f"from {item.year}")
    if directors:
        facts.append(f"directed by {directors[0]}")
    if stars:
        facts.append(f"starring {_join(stars[:2])}")
    sentence = bits[0]
    if facts:
        sentence += ": " + ", ".join(facts)
    return sentence if sentence.endswith(".") else sentence + "."


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _join(values: list[str]) -> str:
    values = [v.rstrip(".") if v.endswith(".") and not v.endswith("Jr.") else v for v in values]
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


class Explainer:
    """Writes (or templates) and checks the explanation for each pick."""

    def __init__(self, llm: LLM, vocab: Vocabulary, *, use_llm: bool = True):
        self.llm = llm
        self.checker = ExplanationChecker(vocab)
        self.use_llm = use_llm and not llm.is_null
        self.rejected = 0
        self.accepted = 0
        self.edited = 0
        """Accepted sentences that passed only after a stray genre word was cut ("a sci-fi thriller" -> "a sci-fi film")."""
        self.reasons: Counter[str] = Counter()
        self.last_call_failed = False
        self.last_timed_out = False
        self.timed_out = 0
        self.expected_seconds = 0.0
        """Running estimate of how long one LLM sentence takes: a sentence that would not finish
        before the deadline is not started (its pick gets the template at once)."""

    def explain(self, item: Item, state: InterestState, matched: list[str], parts: dict[str, float],
                *, allow_llm: bool = True, deadline: float | None = None) -> tuple[str, str]:
        """(sentence, source) where source is "llm" or "template".

        `deadline` (a `time.monotonic()` value) stops the LLM mid-sentence: an unfinished sentence
        is dropped for the template.
        """
        self.last_call_failed = False
        self.last_timed_out = False
        now = time.monotonic()
        if self.use_llm and allow_llm and (deadline is None or now + self.expected_seconds < deadline):
            sentence = self._llm_sentence(item, state, matched, deadline)
            if sentence and not self.last_timed_out:
                self.expected_seconds = 0.7 * self.expected_seconds + 0.3 * (time.monotonic() - now)
            if sentence:
                verdict = self.checker.check(sentence, item, state, matched)
                if not verdict.ok and verdict.reason.startswith("names genre"):
                    edited = self.checker.drop_stray_genres(sentence, item)
                    if edited != sentence and self.checker.check(edited, item, state, matched).ok:
                        self.edited += 1
                        sentence, verdict = edited, CheckResult(True)
                if verdict.ok:
                    self.accepted += 1
                    return sentence, "llm"
                self.rejected += 1
                self.reasons[" ".join(verdict.reason.split()[:2])] += 1
        return template_explanation(item, matched, parts), "template"

    def warm(self, item: Item, state: InterestState) -> None:
        """Read the explanation prompt's fixed part once (the model keeps it), counting nothing."""
        counts = (self.timed_out, self.last_timed_out)
        self._llm_sentence(item, state, [], time.monotonic() + 30)
        self.timed_out, self.last_timed_out = counts

    def _llm_sentence(self, item: Item, state: InterestState, matched: list[str],
                      deadline: float | None = None) -> str | None:
        """The LLM's first sentence, streamed: generation stops at the sentence's end or the deadline."""
        prompt = load_prompt("explain")
        interests = ", ".join(matched) if matched else ", ".join(state.summary().likes[:3]) or "not stated yet"
        messages = prompt.messages(facts=item_facts(item), interests=interests)
        text = ""
        pieces = self.llm.stream(messages, max_tokens=60, temperature=0.0)
        try:
            for piece in pieces:
                text += piece
                if _SENTENCE_END.search(text.strip().strip('"')):
                    break
                if deadline is not None and time.monotonic() > deadline:
                    self.last_timed_out = True
                    self.timed_out += 1
                    return None
        except LLMError:
            self.last_call_failed = True
            return None
        finally:
            close = getattr(pieces, "close", None)
            if close:
                close()
        return _first_sentence(text)


_SENTENCE_END = re.compile(r"[.!?](\s|$)")


def _first_sentence(text: str) -> str:
    text = " ".join(text.strip().strip('"').split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    sentence = match.group(1) if match else text
    return sentence[:300]
