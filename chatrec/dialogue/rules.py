"""The deterministic extractor: message -> `GroundedDelta` with rules and the catalog vocabulary.

It is the whole extractor in `none` mode and the polarity/negation check behind the LLM in the
other modes. It reads clauses (split at "but", "however", sentence ends ...), decides each span's
polarity from the cues before it in its clause, and links spans through grounding. Does not
resolve references further back than the last shown recommendations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chatrec.dialogue.grounding import KEYWORD_PHRASES, Vocabulary, normalize
from chatrec.dialogue.schema import Feedback, GroundedDelta, Preference

RECENT_YEAR_MIN = 2015
OLD_YEAR_MAX = 1969
BLACK_AND_WHITE_YEAR_MAX = 1959

_NEG = re.compile(
    r"\b(not a fan|not into|not big on|not really into|anything but|other than|rather not|stay away|can'?t stand|"
    r"cannot stand|no|not|don'?t|do not|doesn'?t|didn'?t|never|hate[sd]?|hating|dislike[sd]?|can'?t stand|cannot stand|"
    r"can'?t bear|avoid|without|nothing|none|isn'?t|aren'?t|won'?t|wouldn'?t|skip|sick of|tired of|"
    r"anything but|other than|except|not a fan|not into|rather not|stay away|nope|nah|detest|loathe|"
    r"bored of|enough of|less|aversion|can'?t handle|cannot handle|scare[sd]? me|too much|bores? me|boring|"
    r"not for me|aren'?t for me|isn'?t for me|not my thing|not my cup of tea|please don'?t|no more|sick of|"
    r"never liked|did not like|didn'?t like|hated|dislike)\b", re.I)
_POSTFIX_NEG = re.compile(r"\b(bores? me|boring|aren'?t for me|isn'?t for me|not for me|not my thing|scares? me|suck|sucks|"
                          r"are the worst|is the worst|are overrated|is overrated|get on my nerves|annoy me|make me sick)\b", re.I)
_INJECTION = re.compile(r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|prompts?|rules|schema|system)\b|"
                        r"\b(system prompt|your prompt|reveal your|print your|you are now|act as|jailbreak)\b|^\s*(system|assistant)\s*:|"
                        r"\{\s*\"|\"\s*:\s*[\[{\"]|\b(liked|disliked)_(titles|genres|people)\b", re.I)
_NEG_OVERRIDE = re.compile(
    r"\b(don'?t mind|do not mind|wouldn'?t mind|not bad|never get tired|can'?t get enough|no problem with|"
    r"not only|nothing beats|nothing better than|not opposed|never say no|no matter)\b", re.I)
_POS = re.compile(r"\b(like[sd]?|love[sd]?|enjoy(ed|s)?|into|fan of|want|wanna|looking for|mood for|prefer|"
                  r"favou?rite|adore[sd]?|please|recommend|suggest|how about|what about|show me|give me|"
                  r"interested in|fond of|big on|craving|feel like|yes)\b", re.I)
_CLAUSE_SPLIT = re.compile(r"(?:[.!?;\n]+|(?<!anything )(?<!everything )(?<!all )\bbut\b|\bhowever\b|\bthough\b|\balthough\b|\bwhereas\b|\byet\b|\bexcept\b)", re.I)

_MOODS: dict[str, str] = {
    "feel good": "feel-good", "feel-good": "feel-good", "feelgood": "feel-good", "uplifting": "uplifting",
    "heartwarming": "heartwarming", "heart warming": "heartwarming", "dark": "dark", "gritty": "gritty",
    "light hearted": "lighthearted", "lighthearted": "lighthearted", "light-hearted": "lighthearted",
    "mind bending": "mind-bending", "mind-bending": "mind-bending", "mindbending": "mind-bending",
    "twist": "twist ending", "twists": "twist ending", "plot twist": "twist ending", "plot twists": "twist ending", "twist ending": "twist ending",
    "thought provoking": "thought-provoking", "thought-provoking": "thought-provoking",
    "inspiring": "inspiring", "inspirational": "inspiring", "emotional": "emotional", "sad": "sad",
    "tearjerker": "tearjerker", "tear jerker": "tearjerker", "quirky": "quirky", "weird": "weird",
    "cult": "cult", "epic": "epic", "slow burn": "slow burn", "fast paced": "fast-paced",
    "violent": "violence", "violence": "violence", "gory": "gore", "gore": "gore", "wholesome": "wholesome", "cheesy": "cheesy",
    "campy": "campy", "cozy": "cozy", "witty": "witty", "clever": "clever", "intense": "intense",
    "atmospheric": "atmospheric", "relaxing": "relaxing", "silly": "silly", "cute": "cute",
    "superhero": "superhero", "superheroes": "superhero", "super hero": "superhero", "zombie": "zombie",
    "zombies": "zombie", "vampire": "vampire", "vampires": "vampire", "alien": "alien", "aliens": "alien",
    "robot": "robot", "robots": "robot", "space": "space", "outer space": "space", "time travel": "time travel",
    "time traveling": "time travel", "time-travel": "time travel", "dinosaur": "dinosaur", "dinosaurs": "dinosaur",
    "high school": "high school", "christmas": "christmas", "holiday": "holiday", "halloween": "halloween",
    "shark": "shark", "sharks": "shark", "dragon": "dragon", "dragons": "dragon", "magic": "magic",
    "wizard": "wizard", "wizards": "wizard", "spy": "spy", "spies": "spy", "espionage": "spy",
    "martial arts": "martial arts", "kung fu": "martial arts", "car chase": "car chase", "car chases": "car chase",
    "road trip": "road trip", "post apocalyptic": "post-apocalyptic", "post-apocalyptic": "post-apocalyptic",
    "apocalypse": "apocalypse", "dystopian": "dystopian", "dystopia": "dystopian", "survival": "survival",
    "monster": "monster", "monsters": "monster", "ghost": "ghost", "ghosts": "ghost", "haunted": "haunted",
    "haunted house": "haunted house", "serial killer": "serial killer", "serial killers": "serial killer",
    "pirate": "pirate", "pirates": "pirate", "treasure": "treasure", "coming of age": "coming of age",
    "friendship": "friendship", "revenge": "revenge", "heist": "heist", "heists": "heist", "dog": "dog",
    "dogs": "dog", "cat": "cat", "cats": "cat", "cars": "car", "racing": "racing", "boxing": "boxing",
    "football": "football", "baseball": "baseball", "basketball": "basketball", "soccer": "soccer",
    "world war ii": "world war ii", "ww2": "world war ii", "wwii": "world war ii", "vietnam": "vietnam",
    "politics": "politics", "political": "politics", "courtroom": "courtroom", "prison": "prison",
    "con artist": "con artist", "hacker": "hacker", "hackers": "hacker", "artificial intelligence": "artificial intelligence",
    "ai": "artificial intelligence", "cyberpunk": "cyberpunk", "steampunk": "steampunk", "princess": "princess",
    "princesses": "princess", "fairy tale": "fairy tale", "fairy tales": "fairy tale", "mermaid": "mermaid",
    "exorcism": "exorcism", "possession": "possession", "demon": "demon", "demons": "demon",
    "werewolf": "werewolf", "werewolves": "werewolf", "witch": "witch", "witches": "witch",
    "cop": "cop", "cops": "cop", "police": "police", "buddy cop": "buddy cop", "wedding": "wedding",
    "dance": "dance", "dancing": "dance", "singing": "singing", "band": "band", "jazz": "jazz",
    "rock and roll": "rock and roll", "true story": "true story", "based on a true story": "true story",
    "surprise ending": "twist ending", "underdog": "underdog",
    "psychological": "psychological", "satire": "satire", "parody": "parody", "spoof": "parody",
    "slapstick": "slapstick", "raunchy": "raunchy", "stoner": "stoner", "disaster": "disaster",
    "found footage": "found footage", "jump scares": "jump scare", "jump scare": "jump scare", "heist movie": "heist",
    "blood": "gore", "bloody": "gore", "suspense": "suspense",
}
KEYWORD_PHRASES.update(normalize(p) for p in _MOODS)
_DECADE_WORDS = {"twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950, "sixties": 1960,
                 "seventies": 1970, "eighties": 1980, "nineties": 1990}
_ORDINALS = {"first": 1, "1st": 1, "one": 1, "top": 1, "second": 2, "2nd": 2, "two": 2, "third": 3, "3rd": 3,
             "three": 3, "fourth": 4, "4th": 4, "four": 4, "fifth": 5, "5th": 5, "five": 5, "last": -1,
             "final": -1, "bottom": -1}
_RESET_ALL = re.compile(r"\b(start over|start again|start from scratch|from scratch|reset|clear (everything|all|it all)|"
                        r"forget (everything|all|it all|all (of )?that|what i said(?! about))|new search|wipe|clean slate|start fresh|"
                        r"fresh start|clear (my|the) (preferences|likes|interests|profile|history)|from the top)\b", re.I)
_FORGET = re.compile(r"\b(?:forget(?: about)?|never ?mind(?: about)?|scratch(?: the)?|drop(?: the)?|remove(?: the)?|"
                     r"no longer (?:want|into|interested in)|not into .{0,20} anymore|take back|ignore(?: the)?)\s+(?P<what>[^.,;!?]+)", re.I)
_REPLACE = re.compile(r"\b(actually|instead|changed my mind|change of plans?|switch(?:ing)? to|now i want|"
                      r"i'?d rather|let'?s do|let'?s go with|on second thought|how about .{1,40} instead)\b", re.I)
_SEEN = re.compile(r"\b(seen|saw|watched|already watched|have watched|seen it|seen that|seen them|watched it)\b", re.I)
_NOT_SEEN = re.compile(r"\b(haven'?t|have not|never|not|didn'?t|did not|hasn'?t)\s+(yet\s+)?(seen|watched|saw)\b", re.I)
_FEEDBACK_NEG = re.compile(r"\b(not that|not this|not the|no thanks|nah|nope|don'?t like|didn'?t like|hated|boring|"
                           r"pass on|skip|not for me|not interested|no to|don'?t want|meh|not feeling|looks bad|"
                           r"not really|doesn'?t appeal|not a fan)\b", re.I)
_FEEDBACK_POS = re.compile(r"\b(looks? (good|great|interesting|fun|cool|nice|awesome|amazing)|sounds? (good|great|"
                           r"interesting|fun|cool|nice|awesome|amazing|perfect)|perfect|i'?ll (watch|try|check)|"
                           r"love (that|it|the)|like (that|it|the)|great (pick|choice|one)|yes|yeah|yep|nice one|"
                           r"that one|good one|interesting|love it|i like)\b", re.I)
_REFERS_TO_PICK = re.compile(r"\b(it|that|this|that one|this one|those|these|them|the (first|second|third|fourth|"
                             r"fifth|last|1st|2nd|3rd|4th|5th|top|bottom|final) (one|pick|movie|film|suggestion)|"
                             r"#\s?\d|number \d|no\.? ?\d)\b", re.I)


@dataclass
class _Span:
    start: int
    end: int


def split_clauses(text: str) -> list[tuple[int, str]]:
    """(offset, clause) pieces at sentence ends and contrastive words."""
    pieces = []
    last = 0
    for match in _CLAUSE_SPLIT.finditer(text):
        if match.start() > last:
            pieces.append((last, text[last:match.start()]))
        last = match.end()
    if last < len(text):
        pieces.append((last, text[last:]))
    return [(o, c) for o, c in pieces if c.strip()]


def _negative_before(clause: str, pos: int) -> bool:
    """Whether a negative cue governs the span starting at `pos` within `clause`."""
    head = clause[:pos]
    negs = list(_NEG.finditer(head))
    if not negs:
        return False
    last_neg = negs[-1]
    if _NEG_OVERRIDE.search(head[max(0, last_neg.start() - 12):]):
        return False
    # "I don't like horror and I love comedy": a positive cue after a separator resets the negation
    tail = head[last_neg.end():]
    for sep in re.finditer(r"\band\b|,|\bor\b|\bjust\b|\bonly\b|\binstead\b", tail):
        if _POS.search(tail[sep.end():]) or re.search(r"\bjust\b|\bonly\b|\binstead\b", sep.group(0)):
            return False
        if sep.group(0) == "," and re.match(r"\s*(something|maybe|rather|more|but|perhaps|instead)\b", tail[sep.end():], re.I):
            return False
    return True


class RuleExtractor:
    """Deterministic extraction grounded in one catalog's vocabulary."""

    def __init__(self, vocab: Vocabulary):
        self.vocab = vocab

    def extract(self, message: str, *, shown: list[str] | None = None, turn: int = 0) -> GroundedDelta:
        shown = list(shown or [])
        delta = GroundedDelta()
        text = message.strip()
        if not text or _INJECTION.search(text):
            return delta  # an instruction to the bot, not a statement of taste
        feedback = self._feedback(text, shown)
        delta.feedback = feedback
        feedback_ids = {f.item_id for f in feedback}
        forget, forget_spans = self._forget(text)
        delta.forget = forget
        delta.replace = bool(_REPLACE.search(text)) and not forget
        self._eras(text, delta)
        for offset, clause in split_clauses(text):
            has_positive = bool(_POS.search(clause))
            for pref, pos in self._clause_prefs(clause, turn):
                absolute = offset + pos
                if any(s.start <= absolute < s.end for s in forget_spans):
                    continue
                if pref.kind == "item" and pref.value in feedback_ids:
                    continue
                negative = _negative_before(clause, pos) or (
                    not has_positive and bool(_POSTFIX_NEG.search(clause[pos:])))
                pref.positive = not negative
                pref.hard = negative and pref.kind == "genre"
                (delta.dislikes if negative else delta.likes).append(pref)
                if pref.kind == "item":
                    delta.mentioned_items.append(pref.value)
        delta.likes = _unique(delta.likes)
        dislike_keys = {p.key for p in delta.dislikes}
        delta.likes = [p for p in delta.likes if p.key not in dislike_keys]
        delta.dislikes = _unique(delta.dislikes)
        return delta

    # ---- spans within a clause --------------------------------------------------------------
    def _clause_prefs(self, clause: str, turn: int) -> list[tuple[Preference, int]]:
        found: list[tuple[Preference, int]] = []
        taken: list[_Span] = []
        for match in self.vocab.titles_in(clause):
            item = self.vocab.catalog[match.item_id]
            found.append((Preference(kind="item", value=item.id, label=item.label, turn=turn), match.start))
            taken.append(_Span(match.start, match.end))
        for match in self.vocab.people_in(clause):
            if any(s.start <= match.start < s.end for s in taken):
                continue
            found.append((Preference(kind="person", value=match.name, label=match.name, turn=turn), match.start))
            taken.append(_Span(match.start, match.end))
        masked = _mask(clause, taken)
        norm_positions = _norm_index(masked)
        for genre, start, end, phrase in self.vocab.genres_in(masked):
            raw_start = norm_positions[min(start, len(norm_positions) - 1)] if norm_positions else 0
            if phrase in {"family"} and not re.search(r"family (movie|film|friendly|night)|for the family|whole family", masked, re.I):
                continue
            if phrase in {"music", "history", "war", "short", "sport", "period"} and not re.search(
                    rf"\b{phrase}s?\b\s*(movies?|films?|flicks?|documentar|genre|stuff|ones?)?", masked, re.I):
                continue
            found.append((Preference(kind="genre", value=genre, label=genre, turn=turn), raw_start))
        norm = normalize(masked)
        genre_phrases = {p for _, _, _, p in self.vocab.genres_in(masked)}
        for phrase in sorted(_MOODS, key=len, reverse=True):
            np_ = normalize(phrase)
            if np_ in genre_phrases:
                continue
            match = re.search(rf"\b{re.escape(np_)}\b", norm)
            if match:
                raw_start = norm_positions[min(match.start(), len(norm_positions) - 1)] if norm_positions else 0
                keyword = _MOODS[phrase]
                found.append((Preference(kind="keyword", value=keyword, label=keyword, turn=turn, weight=0.8), raw_start))
                norm = norm[:match.start()] + " " * (match.end() - match.start()) + norm[match.end():]
        if not any(p.kind == "keyword" for p, _ in found):
            topic = re.search(r"\b(?:about|involving|featuring|centered on|dealing with)\s+(?:an?\s+|the\s+|some\s+)?"
                              r"([a-z][a-z'-]+(?:\s+[a-z][a-z'-]+){0,2})", masked, re.I)
            if topic:
                words = []
                for word in topic.group(1).lower().split():
                    if word in _TOPIC_STOP:
                        break
                    words.append(word)
                keyword = _singular(" ".join(words))
                if keyword and len(keyword) >= 3 and not self.vocab.genre(keyword):
                    found.append((Preference(kind="keyword", value=keyword, label=keyword, turn=turn, weight=0.8),
                                  topic.start(1)))
        return found

    # ---- eras ---------------------------------------------------------------------------
    def _eras(self, text: str, delta: GroundedDelta) -> None:
        low = text.lower()
        self._explicit_era(low, delta)
        explicit = delta.year_min is not None or delta.year_max is not None
        self._vague_era(low, delta)
        delta.year_soft = not explicit and (delta.year_min is not None or delta.year_max is not None)

    def _explicit_era(self, low: str, delta: GroundedDelta) -> None:
        for match in re.finditer(r"\b(early|mid|late)?[ -]?(?:(19|20)?(\d)0)'?s\b|\b(?:the )?'(\d)0s\b", low):
            if match.group(4):
                digit, century = match.group(4), None
            else:
                digit, century = match.group(3), match.group(2)
            decade = int((century or ("20" if digit in "012" else "19")) + digit + "0")
            if century is None and digit in "012" and not re.search(r"20[012]0", match.group(0)):
                decade = 2000 + int(digit) * 10
                if digit == "2" and "2020" not in match.group(0):
                    decade = 1920 if "twenties" in low else 2020
            lo, hi = decade, decade + 9
            part = match.group(1)
            if part == "early":
                hi = decade + 4
            elif part == "late":
                lo = decade + 5
            elif part == "mid":
                lo, hi = decade + 3, decade + 7
            _set_range(delta, lo, hi)
        for word, decade in _DECADE_WORDS.items():
            if re.search(rf"\b{word}\b", low):
                _set_range(delta, decade, decade + 9)
        for match in re.finditer(r"(?<!nothing )(?<!no movies )\b(before|older than|pre|prior to|earlier than|until|up to)[ -](\d{4})\b", low):
            delta.year_max = int(match.group(2)) - (1 if match.group(1) in {"before", "pre", "prior to", "earlier than", "older than"} else 0)
        for match in re.finditer(r"\b(nothing|no movies?|none) (older than|before|earlier than) (\d{4})\b", low):
            delta.year_min = int(match.group(3))
        for match in re.finditer(r"\b(\d{4}) (or|and) (later|newer|after|up|onwards?)\b", low):
            delta.year_min = int(match.group(1))
        for match in re.finditer(r"\b(after|since|newer than|post|from|later than|starting)[ -](\d{4})\b", low):
            year = int(match.group(2))
            if re.search(rf"\b(nothing|none|no movies?) (older than|before|earlier than) {year}", low):
                continue
            if match.group(1) == "from" and not re.search(rf"from {year}\s*(on|onwards|onward|and later|or later|\+)", low):
                _set_range(delta, year, year)
            else:
                delta.year_min = year + (1 if match.group(1) in {"after", "newer than", "later than", "post"} else 0)
        for match in re.finditer(r"\b(in|released in|came out in|made in|of) (\d{4})\b", low):
            _set_range(delta, int(match.group(2)), int(match.group(2)))
        for match in re.finditer(r"\b(between|from) (\d{4}) (and|to|-) (\d{4})\b", low):
            _set_range(delta, int(match.group(2)), int(match.group(4)))
    def _vague_era(self, low: str, delta: GroundedDelta) -> None:
        if re.search(r"\b(recent|recently|newer|latest|modern|new releases?|came out recently|current|this decade|newish)\b", low):
            delta.year_min = RECENT_YEAR_MIN
        if re.search(r"\b(black and white|black & white|b&w|b/w|silent films?|silent movies?)\b", low):
            delta.year_max = BLACK_AND_WHITE_YEAR_MAX
        elif delta.year_max is None and re.search(r"\b(old|older|oldies|vintage|golden age|old school|old-school|classic old)\b", low) and not re.search(
                r"\b(years? old|not (too )?old|old enough|too old|older than \d{4})\b", low):
            delta.year_max = OLD_YEAR_MAX

    # ---- forget / reset --------------------------------------------------------------------
    def _forget(self, text: str) -> tuple[list[tuple[str, str]], list[_Span]]:
        reset = _RESET_ALL.search(text)
        if reset:
            return [("all", "all")], [_Span(reset.start(), reset.end())]
        forget: list[tuple[str, str]] = []
        spans: list[_Span] = []
        for match in _FORGET.finditer(text):
            what = match.group("what")
            start = match.start("what")
            hits = 0
            for t in self.vocab.titles_in(what, strict=False):
                forget.append(("item", t.item_id))
                hits += 1
            for p in self.vocab.people_in(what):
                forget.append(("person", p.name))
                hits += 1
            for genre, *_ in self.vocab.genres_in(what):
                forget.append(("genre", genre))
                hits += 1
            norm = normalize(what)
            for phrase, keyword in _MOODS.items():
                if re.search(rf"\b{re.escape(normalize(phrase))}\b", norm) and not self.vocab.genre(phrase):
                    forget.append(("keyword", keyword))
                    hits += 1
            if hits:
                spans.append(_Span(start, match.end()))
        return list(dict.fromkeys(forget)), spans

    # ---- feedback on shown picks -------------------------------------------------------------
    def _feedback(self, text: str, shown: list[str]) -> list[Feedback]:
        if not shown:
            return []
        low = text.lower()
        targets: list[str] = []
        for match in re.finditer(r"\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last|final|bottom|top)\b"
                                 r"|#\s?(\d)|\bnumber (\d)\b|\bno\.? ?(\d)\b", low):
            word = match.group(1)
            if word:
                rank = _ORDINALS[word]
            else:
                rank = int(match.group(2) or match.group(3) or match.group(4))
            index = len(shown) - 1 if rank == -1 else rank - 1
            if 0 <= index < len(shown):
                targets.append(shown[index])
        shown_titles = {item_id: normalize(self.vocab.catalog[item_id].title) for item_id in shown if item_id in self.vocab.catalog}
        norm = normalize(text)
        for item_id, title in shown_titles.items():
            if title and len(title) >= 3 and re.search(rf"\b{re.escape(title)}\b", norm):
                targets.append(item_id)
        all_of_them = re.search(r"\b(all of (them|those|these)|seen them all|all (three|five|of them)|both)\b", low)
        if all_of_them:
            targets = list(shown)
        refers = bool(_REFERS_TO_PICK.search(low))
        if not targets and refers and len(low.split()) <= 10:
            targets = [shown[0]]
        if not targets:
            return []
        clauses = [c for _, c in split_clauses(text)] if len(targets) > 1 else [text]
        out: dict[str, str] = {}
        for clause in clauses:
            clause_targets = self._feedback(clause, shown) if len(clauses) > 1 else targets
            if len(clauses) > 1:
                for fb in clause_targets:
                    out.setdefault(fb.item_id, fb.kind)
                continue
            kind = _feedback_kind(clause.lower())
            if kind is None:
                return []
            for t in targets:
                out.setdefault(t, kind)
        return [Feedback(item_id=t, kind=k) for t, k in out.items()]


_TOPIC_STOP = {"and", "or", "but", "from", "with", "in", "on", "that", "which", "who", "please", "maybe", "like",
               "movie", "movies", "film", "films", "for", "to", "of", "is", "are", "was", "it", "this", "something",
               "anything", "thing", "stuff", "the", "a", "an", "too", "very", "really", "set", "made", "by"}


def _singular(phrase: str) -> str:
    words = phrase.split()
    if words and len(words[-1]) > 4 and words[-1].endswith("s") and not words[-1].endswith(("ss", "us", "is")):
        words[-1] = words[-1][:-1]
    return " ".join(words)


def _feedback_kind(low: str) -> str | None:
    if _SEEN.search(low) and not _NOT_SEEN.search(low):
        return "seen"
    if _FEEDBACK_NEG.search(low) and not _NOT_SEEN.search(low):
        return "disliked"
    if _FEEDBACK_POS.search(low) or _POS.search(low):
        return "liked"
    return None


def _set_range(delta: GroundedDelta, lo: int, hi: int) -> None:
    delta.year_min = lo if delta.year_min is None else min(delta.year_min, lo)
    delta.year_max = hi if delta.year_max is None else max(delta.year_max, hi)


def _mask(text: str, spans: list[_Span]) -> str:
    chars = list(text)
    for span in spans:
        for i in range(span.start, min(span.end, len(chars))):
            chars[i] = " "
    return "".join(chars)


def _norm_index(text: str) -> list[int]:
    """For each character of normalize(text), an approximate offset into `text`."""
    positions: list[int] = []
    norm = normalize(text)
    j = 0
    low = text.lower()
    for ch in norm:
        while j < len(low) and low[j] != ch and not (ch == " " and not low[j].isalnum()):
            j += 1
        positions.append(min(j, max(len(text) - 1, 0)))
        j += 1
    return positions


def _unique(prefs: list[Preference]) -> list[Preference]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in prefs:
        if p.key not in seen:
            seen.add(p.key)
            out.append(p)
    return out
