"""The labelled extraction sets and their scorer (chatrec.eval.extraction).

Twenty sets get the same data checks: the development set (tests/data/extraction_cases.yaml, which the
rule-based extractor was written on) and nineteen sets written later by people who never read the
extractor (tests/data/extraction_heldout*.yaml). Each of those was measured once as held out and
then used for development (see the HISTORY line at the top of each), except the nineteenth, which is
kept sealed (unread) for the next measurement; a failure on a sealed set reports its F1 only. The data checks read
data/movies.jsonl directly, so every genre, item id and person in a label is a real catalog value;
the scorer checks use hand-made predictions with exact expected numbers. The last test runs the
rule extractor (`none` mode) over every set and keeps its F1 from falling below what it reaches now.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pytest

from chatrec.eval.extraction import (
    ExtractionCase,
    ExtractionCaseError,
    format_report,
    load_cases,
    score,
    slot_kind,
)
from chatrec.resources import bundled_file

CASES_PATH = Path(__file__).parent / "data" / "extraction_cases.yaml"
HELDOUT_PATH = Path(__file__).parent / "data" / "extraction_heldout.yaml"
HELDOUT2_PATH = Path(__file__).parent / "data" / "extraction_heldout2.yaml"
CATEGORIES = frozenset({
    "like", "dislike", "negation", "title", "typo", "person", "era", "reset",
    "feedback", "keyword", "mixed", "chitchat", "offtopic",
})
NEEDED_TAGS = ("genre", "item", "person", "keyword", "year", "forget", "replace", "feedback",
               "with-year", "no-year", "injection", "empty")


class CaseSet(NamedTuple):
    """A labelled file, the size / balance it must have, and the rules' F1 floor on it."""

    path: Path
    min_cases: int
    min_per_category: int
    prefix: str
    min_rules_f1: float
    categories: frozenset[str] = CATEGORIES
    needed_tags: tuple[str, ...] = NEEDED_TAGS


def _later_set(n: int, floor: float) -> CaseSet:
    """The n-th held-out set (100 messages, prefix hN-) with its rules F1 floor."""
    return CaseSet(Path(__file__).parent / "data" / f"extraction_heldout{n}.yaml", min_cases=100, min_per_category=3,
                   prefix=f"h{n}-", min_rules_f1=floor, categories=CATEGORIES - {"keyword", "mixed"})


CASE_SETS = {
    "dev": CaseSet(CASES_PATH, min_cases=150, min_per_category=10, prefix="", min_rules_f1=0.99),
    "heldout": CaseSet(HELDOUT_PATH, min_cases=80, min_per_category=4, prefix="ho-", min_rules_f1=0.98),
    # the later sets have no keyword / mixed categories: keywords sit inside like and dislike cases
    "heldout2": CaseSet(HELDOUT2_PATH, min_cases=100, min_per_category=5, prefix="h2-", min_rules_f1=0.94,
                        categories=CATEGORIES - {"keyword", "mixed", "offtopic"},
                        needed_tags=tuple(t for t in NEEDED_TAGS if t != "injection")),
    # held-out 3 on: no keyword / mixed categories either, and each keeps its own F1 floor
    **{f"heldout{n}": _later_set(n, floor) for n, floor in
       [(3, 0.89), (4, 0.92), (5, 0.88), (6, 0.96), (7, 0.96), (8, 0.93), (9, 0.96), (10, 0.98), (11, 0.95),
        (12, 0.96), (13, 0.98), (14, 0.98), (15, 0.96), (16, 0.96), (17, 0.98), (18, 0.98), (19, 0.55)]},
    # 19 is sealed (see its header): data checks, a floor well under any first score so far (.60-.85)
}


@pytest.fixture(scope="module", params=sorted(CASE_SETS))
def case_set(request) -> CaseSet:
    """Every data check runs once per labelled file (dev and held-out)."""
    return CASE_SETS[request.param]


@pytest.fixture(scope="module")
def cases(case_set) -> list[ExtractionCase]:
    return load_cases(case_set.path)


@pytest.fixture(scope="module")
def catalog() -> dict[str, dict]:
    movies = {}
    with bundled_file("data", "movies.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                movie = json.loads(line)
                movies[str(movie["id"])] = movie
    return movies


@pytest.fixture(scope="module")
def genres(catalog) -> set[str]:
    return {g.lower() for m in catalog.values() for g in m.get("genres") or []}


@pytest.fixture(scope="module")
def people(catalog) -> set[str]:
    return {
        p.lower() for m in catalog.values() for role in ("director", "writer", "star") for p in m.get(role) or []
    }


def _parts(case: ExtractionCase, prefix: str) -> list[str]:
    return [s[len(prefix):] for s in case.expected if s.startswith(prefix)]


# ----------------------------------------------------------------------------- the data file


def test_file_loads_with_enough_cases(cases, case_set):
    assert len(cases) >= case_set.min_cases
    assert len({c.id for c in cases}) == len(cases)
    assert len({(c.message, tuple(c.shown)) for c in cases}) == len(cases), "a message is labelled twice"


def test_every_slot_has_a_known_form(cases):
    for case in cases:
        for slot in case.expected:
            assert slot_kind(slot) is not None, (case.id, slot)


def test_genre_slots_are_catalog_genres(cases, genres):
    for case in cases:
        for prefix in ("like:genre:", "dislike:genre:", "forget:genre:"):
            for genre in _parts(case, prefix):
                assert genre in genres, f"{case.id}: {genre!r} is not a catalog genre"


def test_item_ids_exist_in_catalog(cases, catalog):
    for case in cases:
        ids = [*_parts(case, "like:item:"), *_parts(case, "dislike:item:"), *_parts(case, "forget:item:")]
        ids += [s.split(":")[1] for s in case.expected if s.startswith("feedback:")]
        ids += case.shown
        for item_id in ids:
            assert item_id in catalog, f"{case.id}: item id {item_id!r} is not in data/movies.jsonl"


def test_people_exist_in_catalog(cases, people):
    for case in cases:
        for prefix in ("like:person:", "dislike:person:", "forget:person:"):
            for name in _parts(case, prefix):
                assert name in people, f"{case.id}: {name!r} is not a catalog person"


def test_titles_in_messages_name_the_labelled_item(cases, catalog):
    """A like/dislike item label points at a film whose title (or a close typo of it) the message names."""
    from rapidfuzz import fuzz

    for case in cases:
        for item_id in [*_parts(case, "like:item:"), *_parts(case, "dislike:item:")]:
            title = catalog[item_id]["title"].lower()
            assert fuzz.partial_ratio(title, case.message.lower()) >= 80, (case.id, title, case.message)


def test_feedback_targets_are_shown_picks(cases):
    for case in cases:
        for slot in case.expected:
            if slot.startswith("feedback:"):
                assert case.shown, f"{case.id}: feedback without shown picks"
                assert slot.split(":")[1] in case.shown, f"{case.id}: {slot} targets an item not shown"
        if "feedback" in case.tags:
            assert case.shown and _parts(case, "feedback:"), case.id


def test_year_bounds_are_consistent(cases):
    for case in cases:
        lo = [int(v) for v in _parts(case, "year_min:")]
        hi = [int(v) for v in _parts(case, "year_max:")]
        assert len(lo) <= 1 and len(hi) <= 1, case.id
        for year in lo + hi:
            assert 1890 <= year <= 2030, case.id
        if lo and hi:
            assert lo[0] <= hi[0], case.id


def test_recent_convention_is_2015(cases):
    recent = [c for c in cases if "recent" in c.tags]
    assert recent
    for case in recent:
        assert "year_min:2015" in case.expected, case.id


def test_tags_cover_the_categories_in_balance(cases, case_set):
    firsts = Counter(c.tags[0] for c in cases if c.tags)
    assert set(firsts) == case_set.categories, f"categories: {sorted(firsts)}"
    assert all(c.tags and c.tags[0] in case_set.categories for c in cases)
    assert min(firsts.values()) >= case_set.min_per_category, firsts
    assert max(firsts.values()) <= 5 * min(firsts.values()), firsts
    all_tags = {t for c in cases for t in c.tags}
    for needed in case_set.needed_tags:
        assert needed in all_tags, needed


def test_empty_cases_are_chitchat_or_offtopic(cases):
    for case in cases:
        if not case.expected:
            assert case.tags[0] in {"chitchat", "offtopic"} and "empty" in case.tags, case.id
        else:
            assert case.tags[0] not in {"chitchat", "offtopic"}, case.id


def test_reset_conventions(cases):
    for case in cases:
        if "forget:all:all" in case.expected:
            assert "replace" not in case.expected, case.id
        if "replace" in case.expected:
            assert any(s.startswith("like:") for s in case.expected), case.id


def test_sets_are_separate():
    """Each later set has its own id space and shares no message with an earlier one."""
    seen_ids: set[str] = set()
    seen_messages: set[str] = set()
    for name, case_set in CASE_SETS.items():
        loaded = load_cases(case_set.path)
        assert all(c.id.startswith(case_set.prefix) for c in loaded), name
        assert not seen_ids & {c.id for c in loaded}, name
        shared = [c.id for c in loaded if c.message.strip().lower() in seen_messages]
        assert not shared, f"{name}: messages copied from an earlier set: {shared}"
        seen_ids |= {c.id for c in loaded}
        seen_messages |= {c.message.strip().lower() for c in loaded}


@pytest.fixture(scope="module")
def rule_extractor():
    from chatrec.catalog import load_bundled_catalog
    from chatrec.collab.cooccurrence import ItemItemModel
    from chatrec.collab.defaults import bundled_collab_path
    from chatrec.dialogue.grounding import Vocabulary
    from chatrec.dialogue.rules import RuleExtractor
    from chatrec.dialogue.verdict import VerdictModel
    from chatrec.embeddings import shared_embedder

    catalog = load_bundled_catalog()
    collab = ItemItemModel.load(bundled_collab_path())  # popularity picks between same-title films, as in ChatRec
    # as in ChatRec's `none` mode: the rules with the learned verdict for clauses without a cue word
    return RuleExtractor(Vocabulary(catalog, {i: collab.popularity(i) for i in catalog.ids}),
                         verdict=VerdictModel.for_embedder(shared_embedder()))


def test_rule_extractor_f1_does_not_fall(cases, case_set, rule_extractor):
    """`none` mode over the whole set: a rule change that loses what the rules read now fails here."""
    result = score(cases, lambda message, shown: rule_extractor.extract(message, shown=shown).slots())
    sealed = case_set.path.read_text(encoding="utf-8").startswith("# SEALED")
    report = f"F1 {result.f1:.3f} (sealed: aggregates only)" if sealed else format_report(result)  # a failure must not show its messages
    assert result.f1 >= case_set.min_rules_f1, report


# ----------------------------------------------------------------------------- load_cases errors


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cases.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_rejects_bad_slot_with_case_id(tmp_path):
    path = _write(tmp_path, 'cases:\n  - id: ok-1\n    message: "hi"\n    expected: []\n'
                            '  - id: bad-7\n    message: "I like horror"\n    expected: ["likes:horror"]\n')
    with pytest.raises(ExtractionCaseError) as info:
        load_cases(path)
    text = str(info.value)
    assert "bad-7" in text and "#2" in text and "likes:horror" in text and str(path) in text


def test_load_rejects_missing_message_unknown_field_and_duplicates(tmp_path):
    with pytest.raises(ExtractionCaseError, match="no-msg.*message"):
        load_cases(_write(tmp_path, "cases:\n  - id: no-msg\n    expected: []\n"))
    with pytest.raises(ExtractionCaseError, match="typo-field.*expect"):
        load_cases(_write(tmp_path, 'cases:\n  - id: typo-field\n    message: "x"\n    expect: []\n'))
    with pytest.raises(ExtractionCaseError, match="dup.*duplicate"):
        load_cases(_write(tmp_path, 'cases:\n  - {id: dup, message: "a"}\n  - {id: dup, message: "b"}\n'))
    with pytest.raises(ExtractionCaseError, match="upper.*lower-case"):
        load_cases(_write(tmp_path, 'cases:\n  - {id: upper, message: "a", expected: ["like:genre:Horror"]}\n'))
    with pytest.raises(ExtractionCaseError, match="cases"):
        load_cases(_write(tmp_path, "items: []\n"))
    with pytest.raises(ExtractionCaseError, match="no such"):
        load_cases(tmp_path / "missing.yaml")


def test_load_accepts_unquoted_ids_and_bare_list(tmp_path):
    loaded = load_cases(_write(tmp_path, '- {id: f1, message: "seen it", shown: [85036], '
                                         'expected: ["feedback:85036:seen"], tags: [feedback]}\n'))
    assert loaded[0].shown == ["85036"]


# ----------------------------------------------------------------------------- score


def _case(cid: str, expected: list[str], tags: list[str], shown: list[str] | None = None) -> ExtractionCase:
    return ExtractionCase(id=cid, message=f"message {cid}", shown=shown or [], expected=expected, tags=tags)


SMALL = [
    _case("a", ["like:genre:sci-fi", "dislike:genre:horror"], ["negation", "genre"]),
    _case("b", ["like:item:101264"], ["title", "item"]),
    _case("c", [], ["chitchat", "empty"]),
    _case("d", ["year_min:1980", "year_max:1989"], ["era", "year"]),
]


def _from_table(table: dict[str, set[str]]):
    by_message = {f"message {k}": v for k, v in table.items()}
    return lambda message, shown: by_message[message]


def test_score_perfect_predictions():
    result = score(SMALL, _from_table({c.id: set(c.expected) for c in SMALL}))
    assert (result.overall.tp, result.overall.fp, result.overall.fn) == (5, 0, 0)
    assert result.precision == result.recall == result.f1 == 1.0
    assert result.exact_match == 1.0
    assert result.worst == []
    assert set(result.per_tag) == {"negation", "genre", "title", "item", "chitchat", "empty", "era", "year"}
    assert all(t.f1 == 1.0 and t.exact_match == 1.0 for t in result.per_tag.values())


def test_score_empty_predictions():
    result = score(SMALL, lambda message, shown: set())
    assert (result.overall.tp, result.overall.fp, result.overall.fn) == (0, 0, 5)
    assert result.precision == 0.0 and result.recall == 0.0 and result.f1 == 0.0
    assert result.exact_match == 0.25  # only the chit-chat case (empty expected, empty predicted)
    chit = result.per_tag["chitchat"]
    assert (chit.cases, chit.exact, chit.precision, chit.recall, chit.f1) == (1, 1, 1.0, 1.0, 1.0)
    assert result.per_tag["negation"].recall == 0.0
    assert [r.id for r in result.worst] == ["a", "d", "b"]  # most missing slots first, then file order


def test_score_partial_predictions():
    predictions = {
        "a": {"like:genre:sci-fi", "like:genre:horror"},  # negation scope wrong: 1 tp, 1 fp, 1 fn
        "b": {"like:item:101264"},  # exact
        "c": {"like:keyword:hello"},  # 1 fp on chit-chat
        "d": {"YEAR_MIN:1980 "},  # normalised to year_min:1980: 1 tp, 1 fn
    }
    result = score(SMALL, _from_table(predictions))
    o = result.overall
    assert (o.tp, o.fp, o.fn) == (3, 2, 2)
    assert result.precision == pytest.approx(3 / 5)
    assert result.recall == pytest.approx(3 / 5)
    assert result.f1 == pytest.approx(0.6)
    assert result.exact_match == pytest.approx(1 / 4)
    a = result.case("a")
    assert a.missing == ["dislike:genre:horror"] and a.extra == ["like:genre:horror"]
    assert a.correct == ["like:genre:sci-fi"]
    chit = result.per_tag["chitchat"]
    assert (chit.tp, chit.fp, chit.fn, chit.precision, chit.recall, chit.f1) == (0, 1, 0, 0.0, 0.0, 0.0)
    neg = result.per_tag["negation"]
    assert (neg.precision, neg.recall, neg.exact_match) == (0.5, 0.5, 0.0)
    assert result.per_tag["item"].exact_match == 1.0
    assert result.per_tag["year"].recall == 0.5
    assert [r.id for r in result.worst] == ["a", "c", "d"]
    assert result.case("d").predicted == ["year_min:1980"]


def test_score_records_extractor_errors_and_passes_shown():
    calls = []

    def extract(message, shown):
        calls.append((message, shown))
        if message.endswith("b"):
            raise RuntimeError("model crashed")
        return {"feedback:85036:seen"} if shown else set()

    cases = [_case("b", ["like:item:101264"], ["title"]),
             _case("f", ["feedback:85036:seen"], ["feedback"], shown=["85036", "101264"])]
    result = score(cases, extract)
    assert calls[1] == ("message f", ["85036", "101264"])
    assert result.errors == 1
    assert result.case("b").error == "RuntimeError: model crashed" and not result.case("b").exact
    assert result.case("f").exact
    assert (result.overall.tp, result.overall.fp, result.overall.fn) == (1, 0, 1)
    assert "RuntimeError" in format_report(result)


def test_format_report_is_a_readable_table():
    predictions = {"a": {"like:genre:sci-fi", "like:genre:horror"}, "b": set(), "c": set(), "d": set()}
    text = format_report(score(SMALL, _from_table(predictions)))
    lines = text.splitlines()
    assert lines[0].startswith("extraction: 4 cases, exact 25.0%")
    assert any(line.startswith("overall") for line in lines)
    assert any(line.startswith("negation") for line in lines)
    assert "missing: dislike:genre:horror" in text and "extra:   like:genre:horror" in text
    assert "worst cases (3 of 3 not exact)" in text


def test_real_file_scores_perfectly_against_itself(cases, case_set):
    """The gold labels scored against themselves: a smoke test of the whole path on the real file."""
    gold = {(c.message, tuple(c.shown)): set(c.expected) for c in cases}
    result = score(cases, lambda message, shown: gold[(message, tuple(shown))])
    assert result.f1 == 1.0 and result.exact_match == 1.0
    assert set(result.per_tag) >= case_set.categories
