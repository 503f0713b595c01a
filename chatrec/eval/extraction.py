"""Score a message -> slots extractor against a labelled set (tests/data/extraction_cases.yaml).

A case is one user message, the ids of the picks shown just before it (for feedback such as
"seen it"), the expected slots in the flat form of `GroundedDelta.slots()` and some tags. An
extractor is any callable `extract_fn(message, shown) -> set[str]`; `score` runs it on every
case and reports micro precision / recall / F1 over slots, the exact-match rate per case, the
same numbers per tag, and the worst cases (missing and extra slots) for debugging.

    cases = load_cases("tests/data/extraction_cases.yaml")
    result = score(cases, lambda message, shown: agent.extract(message, shown).slots())
    print(format_report(result))

Conventions: slots are compared after stripping whitespace and lower-casing (values are
lower-case by definition). Where a ratio has a zero denominator it is 1.0 when nothing was
expected and nothing predicted, else 0.0 (an extractor that predicts nothing has precision 0
on a set that expects something, not a vacuous 1.0). An exception from `extract_fn` counts as
an empty prediction and is recorded on the case.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chatrec.errors import ChatRecError

__all__ = [
    "CaseResult",
    "ExtractionCase",
    "ExtractionCaseError",
    "ExtractionScore",
    "SlotCounts",
    "format_report",
    "load_cases",
    "score",
    "slot_kind",
]

ExtractFn = Callable[[str, list[str]], Iterable[str]]

_SLOT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("like", re.compile(r"^like:(genre|item|person|keyword):\S.*$")),
    ("dislike", re.compile(r"^dislike:(genre|item|person|keyword):\S.*$")),
    ("year_min", re.compile(r"^year_min:\d{4}$")),
    ("year_max", re.compile(r"^year_max:\d{4}$")),
    ("forget", re.compile(r"^forget:((genre|item|person|keyword):\S.*|all:all)$")),
    ("feedback", re.compile(r"^feedback:[^:\s]+:(liked|disliked|seen)$")),
    ("replace", re.compile(r"^replace$")),
)


class ExtractionCaseError(ChatRecError, ValueError):
    """The labelled cases file is malformed: names the file, the case (index and id) and the problem."""


def slot_kind(slot: str) -> str | None:
    """The slot family ("like", "dislike", "year_min", "forget", "feedback", ...), None if malformed."""
    for name, pattern in _SLOT_PATTERNS:
        if pattern.match(slot):
            return name
    return None


def _normalise(slot: str) -> str:
    return str(slot).strip().lower()


class ExtractionCase(BaseModel):
    """One labelled user message."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    message: str
    shown: list[str] = Field(default_factory=list)
    """Ids of the picks shown before this message, in rank order (for feedback targets)."""
    expected: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)

    @field_validator("id", "message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("shown", mode="before")
    @classmethod
    def _ids_as_strings(cls, value: Any) -> Any:
        # YAML reads an unquoted 85036 as an int; ids are strings everywhere else.
        if isinstance(value, list):
            return [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
        return value

    @field_validator("expected")
    @classmethod
    def _valid_slots(cls, value: list[str]) -> list[str]:
        out: list[str] = []
        for slot in value:
            if slot != slot.strip() or slot != slot.lower():
                raise ValueError(f"slot {slot!r} must be lower-case without surrounding spaces")
            if slot_kind(slot) is None:
                raise ValueError(
                    f"slot {slot!r} is not a known slot form (like:/dislike:<genre|item|person|keyword>:<value>, "
                    "year_min:<YYYY>, year_max:<YYYY>, forget:<kind>:<value> or forget:all:all, "
                    "feedback:<item id>:<liked|disliked|seen>, replace)"
                )
            if slot in out:
                raise ValueError(f"slot {slot!r} is listed twice")
            out.append(slot)
        return out

    @property
    def expected_set(self) -> frozenset[str]:
        return frozenset(self.expected)


def load_cases(path: str | Path) -> list[ExtractionCase]:
    """Read a cases file: a YAML mapping with a `cases` list (a bare list is accepted too).

    Raises `ExtractionCaseError` naming the file and the case (position and id) on anything
    malformed: unknown fields, missing message, slots that are not a known form, duplicate ids.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExtractionCaseError(f"{path}: no such cases file") from None
    except yaml.YAMLError as exc:
        raise ExtractionCaseError(f"{path}: not valid YAML: {exc}") from None
    if isinstance(raw, dict):
        if "cases" not in raw:
            raise ExtractionCaseError(f"{path}: expected a top-level `cases:` list")
        entries = raw["cases"]
    else:
        entries = raw
    if not isinstance(entries, list):
        raise ExtractionCaseError(f"{path}: `cases` must be a list, got {type(entries).__name__}")

    cases: list[ExtractionCase] = []
    seen_ids: dict[str, int] = {}
    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise ExtractionCaseError(f"{path}: case #{index} must be a mapping, got {type(entry).__name__}")
        case_id = entry.get("id")
        label = f"case #{index} (id {case_id!r})" if case_id is not None else f"case #{index} (no id)"
        try:
            case = ExtractionCase.model_validate(entry)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'case'}: {err['msg']}" for err in exc.errors()
            )
            raise ExtractionCaseError(f"{path}: {label}: {problems}") from None
        if case.id in seen_ids:
            raise ExtractionCaseError(
                f"{path}: {label}: duplicate id, already used by case #{seen_ids[case.id]}"
            )
        seen_ids[case.id] = index
        cases.append(case)
    return cases


class SlotCounts(BaseModel):
    """Micro counts over slots and cases, with the ratios derived from them."""

    cases: int = 0
    exact: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        if self.tp + self.fp == 0:
            return 1.0 if self.fn == 0 else 0.0
        return self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float:
        if self.tp + self.fn == 0:
            return 1.0 if self.fp == 0 else 0.0
        return self.tp / (self.tp + self.fn)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 0.0 if p + r == 0 else 2 * p * r / (p + r)

    @property
    def exact_match(self) -> float:
        return self.exact / self.cases if self.cases else 0.0

    def add(self, result: CaseResult) -> None:
        self.cases += 1
        self.exact += int(result.exact)
        self.tp += len(result.correct)
        self.fp += len(result.extra)
        self.fn += len(result.missing)


class CaseResult(BaseModel):
    """What the extractor predicted on one case and how it compares."""

    id: str
    message: str
    shown: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    expected: list[str]
    predicted: list[str]
    correct: list[str]
    missing: list[str]
    """Expected but not predicted (false negatives)."""
    extra: list[str]
    """Predicted but not expected (false positives)."""
    error: str | None = None
    """The exception `extract_fn` raised, if any (the prediction then counts as empty)."""
    seconds: float = 0.0

    @property
    def exact(self) -> bool:
        return not self.missing and not self.extra and self.error is None

    @property
    def n_errors(self) -> int:
        return len(self.missing) + len(self.extra)


class ExtractionScore(BaseModel):
    """The result of `score`: overall and per-tag counts, every case result, and the worst cases."""

    overall: SlotCounts
    per_tag: dict[str, SlotCounts]
    results: list[CaseResult]
    worst: list[CaseResult]
    """Non-exact cases, most wrong slots first (then errors, then file order)."""
    errors: int = 0
    """Cases where `extract_fn` raised."""
    seconds: float = 0.0

    # Shortcuts for the overall numbers.
    @property
    def precision(self) -> float:
        return self.overall.precision

    @property
    def recall(self) -> float:
        return self.overall.recall

    @property
    def f1(self) -> float:
        return self.overall.f1

    @property
    def exact_match(self) -> float:
        return self.overall.exact_match

    def case(self, case_id: str) -> CaseResult:
        for result in self.results:
            if result.id == case_id:
                return result
        raise KeyError(case_id)


def score(cases: Iterable[ExtractionCase], extract_fn: ExtractFn, *, worst: int = 20) -> ExtractionScore:
    """Run `extract_fn(message, shown)` on every case and compare its slots with the labels.

    `worst` caps the list of worst cases kept on the score (all results are kept in `results`).
    """
    results: list[CaseResult] = []
    overall = SlotCounts()
    per_tag: dict[str, SlotCounts] = {}
    errors = 0
    started = time.perf_counter()
    for case in cases:
        t0 = time.perf_counter()
        error: str | None = None
        try:
            raw = extract_fn(case.message, list(case.shown))
            if raw is None:
                raise TypeError("extract_fn returned None; return an empty set for no slots")
            if isinstance(raw, str):
                raise TypeError("extract_fn returned a string; return a set of slot strings")
            predicted = {_normalise(s) for s in raw} - {""}
        except Exception as exc:  # noqa: BLE001 - an extractor failure is a result, not a crash
            errors += 1
            error = f"{type(exc).__name__}: {exc}"
            predicted = set()
        seconds = time.perf_counter() - t0
        expected = set(case.expected)
        result = CaseResult(
            id=case.id,
            message=case.message,
            shown=list(case.shown),
            tags=list(case.tags),
            expected=sorted(expected),
            predicted=sorted(predicted),
            correct=sorted(expected & predicted),
            missing=sorted(expected - predicted),
            extra=sorted(predicted - expected),
            error=error,
            seconds=seconds,
        )
        results.append(result)
        overall.add(result)
        for tag in dict.fromkeys(case.tags):
            per_tag.setdefault(tag, SlotCounts()).add(result)

    order = {r.id: i for i, r in enumerate(results)}
    bad = [r for r in results if not r.exact]
    bad.sort(key=lambda r: (-r.n_errors, r.error is None, order[r.id]))
    return ExtractionScore(
        overall=overall,
        per_tag=dict(sorted(per_tag.items())),
        results=results,
        worst=bad[: max(worst, 0)],
        errors=errors,
        seconds=time.perf_counter() - started,
    )


def _row(name: str, counts: SlotCounts, width: int) -> str:
    return (
        f"{name:<{width}}  {counts.cases:>5}  {counts.exact_match:>6.1%}  {counts.precision:>6.3f}  "
        f"{counts.recall:>6.3f}  {counts.f1:>6.3f}  {counts.tp:>4}  {counts.fp:>4}  {counts.fn:>4}"
    )


def format_report(result: ExtractionScore, *, worst: int | None = None) -> str:
    """A plain-text report: overall numbers, a per-tag table and the worst cases."""
    names = ["overall", *result.per_tag]
    width = max(len(n) for n in names)
    header = (
        f"{'tag':<{width}}  {'cases':>5}  {'exact':>6}  {'prec':>6}  {'recall':>6}  {'f1':>6}  "
        f"{'tp':>4}  {'fp':>4}  {'fn':>4}"
    )
    lines = [
        f"extraction: {result.overall.cases} cases, exact {result.exact_match:.1%}, "
        f"P {result.precision:.3f} R {result.recall:.3f} F1 {result.f1:.3f}"
        + (f", {result.errors} extractor errors" if result.errors else "")
        + f" ({result.seconds:.1f}s)",
        "",
        header,
        "-" * len(header),
        _row("overall", result.overall, width),
    ]
    lines += [_row(tag, counts, width) for tag, counts in result.per_tag.items()]
    shown_worst = result.worst if worst is None else result.worst[:worst]
    if shown_worst:
        lines += ["", f"worst cases ({len(shown_worst)} of {sum(not r.exact for r in result.results)} not exact):"]
        for r in shown_worst:
            lines.append(f"- {r.id}: {r.message!r}" + (f"  shown={r.shown}" if r.shown else ""))
            if r.error:
                lines.append(f"    error:   {r.error}")
            if r.missing:
                lines.append(f"    missing: {', '.join(r.missing)}")
            if r.extra:
                lines.append(f"    extra:   {', '.join(r.extra)}")
    return "\n".join(lines)
