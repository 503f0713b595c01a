"""Load interaction data (which items go together) and map it onto a catalog's ids.

Shapes read, each into `Interactions(baskets, report)` — one basket is a list of catalog ids that
occurred together (a dialogue, an order, a playlist, one user's liked items):

- **baskets / sessions JSONL**: `{"items": [id or title, ...]}` per line (the key may also be
  `basket` or `session`; a bare JSON array per line works too);
- **ratings / events CSV**: `user,item,rating[,timestamp]` (MovieLens: `userId,movieId,rating,
  timestamp`); ratings >= `threshold` are positives, each user's positives form a basket
  (optionally split into time windows). Without a rating column every row is a positive event.
  An optional link file (MovieLens `links.csv`) maps the file's item ids to IMDb ids, which are
  matched to the catalog's `metadata["imdb_id"]` ("tt0088763"; "88763" and "0088763" match too);
- **ReDial dialogues JSONL** (raw or turn-merged): `@<id>` in message text and `movieMentions`,
  one basket per dialogue, in order of first mention;
- **ReDial train text JSONL**: `movie_ids_recovered` (names as a fallback), one basket per line.

An item reference is matched to the catalog by id first, then by normalised "title (year)"
(case, accents, punctuation, "The"/", The" and "&"/"and" do not matter; a year off by one or a
missing year matches only when that leaves a single candidate). Whatever does not map is counted
in the `MappingReport`, with examples. Errors name the file and line.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from chatrec.catalog.item import Catalog
from chatrec.errors import ChatRecError

__all__ = [
    "InteractionsError",
    "MappingReport",
    "Interactions",
    "ItemResolver",
    "normalize_title",
    "load_baskets",
    "load_ratings",
    "load_links",
    "load_redial_dialogues",
    "load_redial_text",
    "load_interactions",
    "FORMATS",
]

FORMATS = ("baskets", "ratings", "redial", "redial_text")
MAX_EXAMPLES = 10


class InteractionsError(ChatRecError):
    """An interaction file cannot be read: names the file, the line and what is wrong."""


# --------------------------------------------------------------------------------------------
# report and result


@dataclass
class MappingReport:
    """How many item references were read (`total`), matched a catalog item (`mapped`) or not."""

    total: int = 0
    mapped: int = 0
    unmapped: int = 0
    examples_unmapped: list[str] = field(default_factory=list)
    """Up to 10 distinct references that did not map, most frequent first."""
    distinct_unmapped: int = 0
    baskets: int = 0
    """Baskets kept (at least one mapped item)."""
    empty_baskets: int = 0
    """Baskets dropped because none of their items mapped."""
    skipped_rows: int = 0
    """Rows read but not used as positives (rating below the threshold)."""

    @property
    def mapped_fraction(self) -> float:
        return self.mapped / self.total if self.total else 0.0

    def summary(self) -> str:
        text = (f"{self.mapped:,} of {self.total:,} item references mapped to the catalog "
                f"({100 * self.mapped_fraction:.1f}%), {self.baskets:,} baskets")
        if self.empty_baskets:
            text += f", {self.empty_baskets:,} baskets dropped (nothing mapped)"
        if self.skipped_rows:
            text += f", {self.skipped_rows:,} rows below the rating threshold"
        if self.unmapped:
            text += (f"; {self.unmapped:,} unmapped ({self.distinct_unmapped:,} distinct), e.g. "
                     + ", ".join(repr(e) for e in self.examples_unmapped[:5]))
        return text

    def __str__(self) -> str:
        return self.summary()

    def merged(self, other: "MappingReport") -> "MappingReport":
        examples = list(dict.fromkeys(self.examples_unmapped + other.examples_unmapped))[:MAX_EXAMPLES]
        return MappingReport(
            total=self.total + other.total, mapped=self.mapped + other.mapped,
            unmapped=self.unmapped + other.unmapped, examples_unmapped=examples,
            distinct_unmapped=self.distinct_unmapped + other.distinct_unmapped,
            baskets=self.baskets + other.baskets, empty_baskets=self.empty_baskets + other.empty_baskets,
            skipped_rows=self.skipped_rows + other.skipped_rows,
        )


@dataclass
class Interactions:
    """Baskets of catalog ids plus the report of what did not map."""

    baskets: list[list[str]]
    report: MappingReport
    source: str = ""

    def __len__(self) -> int:
        return len(self.baskets)

    def __add__(self, other: "Interactions") -> "Interactions":
        source = ", ".join(s for s in (self.source, other.source) if s)
        return Interactions(self.baskets + other.baskets, self.report.merged(other.report), source)


class _Tally:
    """Collects mapping outcomes while a loader runs."""

    def __init__(self) -> None:
        self.total = 0
        self.mapped = 0
        self.unmapped: Counter[str] = Counter()
        self.baskets = 0
        self.empty = 0
        self.skipped = 0

    def hit(self) -> None:
        self.total += 1
        self.mapped += 1

    def miss(self, ref: str) -> None:
        self.total += 1
        self.unmapped[ref] += 1

    def report(self) -> MappingReport:
        return MappingReport(
            total=self.total, mapped=self.mapped, unmapped=sum(self.unmapped.values()),
            examples_unmapped=[ref for ref, _ in self.unmapped.most_common(MAX_EXAMPLES)],
            distinct_unmapped=len(self.unmapped), baskets=self.baskets, empty_baskets=self.empty,
            skipped_rows=self.skipped,
        )


# --------------------------------------------------------------------------------------------
# matching references to catalog ids

_YEAR_SUFFIX = re.compile(r"^(?P<title>.*?)\s*\(\s*(?P<year>\d{4})\s*\)\s*$")
_ARTICLE_SUFFIX = re.compile(r"^(?P<title>.*),\s*(?P<article>the|a|an|le|la|les|l'|il|el|die|der|das)$", re.I)
_NON_WORD = re.compile(r"[^\w]+")


def normalize_title(title: str) -> str:
    """A comparison key for a title without its year: "Matrix, The" and "the matrix" -> "the matrix"."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).strip()
    match = _ARTICLE_SUFFIX.match(text)
    if match:
        text = f"{match['article']} {match['title']}"
    text = text.lower().replace("&", " and ")
    return " ".join(_NON_WORD.sub(" ", text).replace("_", " ").split())


def _split_year(text: str) -> tuple[str, int | None]:
    match = _YEAR_SUFFIX.match(text)
    if match and match["title"].strip():
        return match["title"], int(match["year"])
    return text, None


def imdb_number(value: Any) -> int | None:
    """"tt0088763", "0088763", "88763", 88763 -> 88763; anything else -> None."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if text.startswith("tt"):
        text = text[2:]
    if text.endswith(".0"):  # a spreadsheet turned the column into floats
        text = text[:-2]
    return int(text) if text.isdigit() else None


class ItemResolver:
    """Maps ids, titles ("Title (Year)") and IMDb ids onto one catalog's item ids."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self._by_key: dict[tuple[str, int | None], list[str]] = defaultdict(list)
        self._by_title: dict[str, list[tuple[int | None, str]]] = defaultdict(list)
        self._by_imdb: dict[int, list[str]] = defaultdict(list)
        for item in catalog:
            title, year = item.title, item.year
            if year is None:  # titles that still carry a year in the text
                title, year = _split_year(title)
            norm = normalize_title(title)
            self._by_key[(norm, year)].append(item.id)
            self._by_title[norm].append((year, item.id))
            number = imdb_number(item.metadata.get("imdb_id"))
            if number is not None:
                self._by_imdb[number].append(item.id)
        for ids in self._by_imdb.values():  # duplicates (ReDial has ~190): items with a year first
            ids.sort(key=lambda iid: self.catalog[iid].year is None)

    def by_id(self, ref: Any) -> str | None:
        key = str(ref).strip()
        return key if key in self.catalog else None

    def by_imdb(self, ref: Any, title_hint: str | None = None) -> str | None:
        """The catalog item with this IMDb id; among duplicates the one whose title matches
        `title_hint` ("Title (Year)"), else the first with a year."""
        number = imdb_number(ref)
        ids = self._by_imdb.get(number, []) if number is not None else []
        if len(ids) > 1 and title_hint:
            by_title = self.by_title(title_hint)
            if by_title in ids:
                return by_title
            hint = normalize_title(_split_year(title_hint)[0])
            same = [iid for iid in ids if normalize_title(self.catalog[iid].title) == hint]
            if same:
                return same[0]
        return ids[0] if ids else None

    def by_title(self, text: str) -> str | None:
        title, year = _split_year(str(text).strip())
        norm = normalize_title(title)
        if not norm:
            return None
        exact = self._by_key.get((norm, year))
        if exact and len(exact) == 1:
            return exact[0]
        if exact:  # two catalog items with the same title and year: do not guess
            return None
        candidates = self._by_title.get(norm, [])
        if year is None:
            return candidates[0][1] if len(candidates) == 1 else None
        near = [iid for y, iid in candidates if y is None or abs(y - year) <= 1]
        return near[0] if len(near) == 1 else None

    def resolve(self, ref: Any) -> str | None:
        """An id in the catalog, else a "Title (Year)" match; None when neither."""
        if ref is None:
            return None
        if isinstance(ref, Mapping):  # {"id": ...} or {"title": ..., "year": ...}
            if ref.get("id") is not None and self.by_id(ref["id"]):
                return self.by_id(ref["id"])
            if ref.get("imdb_id") is not None and self.by_imdb(ref["imdb_id"]):
                return self.by_imdb(ref["imdb_id"])
            title = ref.get("title") or ref.get("name")
            if title:
                year = ref.get("year")
                return self.by_title(f"{title} ({year})" if year else str(title))
            return None
        found = self.by_id(ref)
        if found:
            return found
        if isinstance(ref, str):
            return self.by_title(ref)
        return None


def _describe(ref: Any) -> str:
    if isinstance(ref, Mapping):
        return json.dumps(ref, ensure_ascii=False, sort_keys=True)[:120]
    return str(ref)[:120]


def _dedupe(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _catalog_resolver(catalog: Catalog | ItemResolver) -> ItemResolver:
    return catalog if isinstance(catalog, ItemResolver) else ItemResolver(catalog)


def _check_file(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise InteractionsError(f"interaction file {path} does not exist")
    if path.is_dir():
        raise InteractionsError(f"interaction file {path} is a folder, not a file")
    return path


def _iter_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as exc:
                raise InteractionsError(f"{path} line {lineno}: invalid JSON ({exc.msg} at column {exc.colno})") from None


# --------------------------------------------------------------------------------------------
# (a) baskets / sessions

BASKET_KEYS = ("items", "basket", "session")


def load_baskets(path: str | Path, catalog: Catalog | ItemResolver) -> Interactions:
    """`{"items": [id or title, ...]}` per line (or `basket` / `session`, or a bare array)."""
    path = _check_file(path)
    resolver = _catalog_resolver(catalog)
    tally = _Tally()
    baskets: list[list[str]] = []
    for lineno, record in _iter_jsonl(path):
        if isinstance(record, list):
            refs = record
        elif isinstance(record, dict):
            key = next((k for k in BASKET_KEYS if k in record), None)
            if key is None:
                raise InteractionsError(
                    f"{path} line {lineno}: no basket found; expected a key {' / '.join(map(repr, BASKET_KEYS))} "
                    f"holding a list of item ids or titles (keys present: {sorted(record)[:8]})")
            refs = record[key]
            if not isinstance(refs, list):
                raise InteractionsError(f"{path} line {lineno}: {key!r} must be a list of item ids or titles, "
                                        f"got {type(refs).__name__}")
        else:
            raise InteractionsError(f"{path} line {lineno}: expected an object like {{\"items\": [...]}}, "
                                    f"got {type(record).__name__}")
        ids = []
        for ref in refs:
            if ref is None or (isinstance(ref, str) and not ref.strip()):
                continue
            if not isinstance(ref, (str, int, dict)) or isinstance(ref, bool):
                raise InteractionsError(f"{path} line {lineno}: basket entries must be ids or titles, got {ref!r}")
            found = resolver.resolve(ref)
            if found:
                tally.hit()
                ids.append(found)
            else:
                tally.miss(_describe(ref))
        _keep(baskets, ids, tally)
    return Interactions(baskets, tally.report(), str(path))


def _keep(baskets: list[list[str]], ids: list[str], tally: _Tally) -> None:
    ids = _dedupe(ids)
    if ids:
        baskets.append(ids)
        tally.baskets += 1
    else:
        tally.empty += 1


# --------------------------------------------------------------------------------------------
# (b) ratings / events CSV

USER_COLUMNS = ("user", "userid", "user_id", "customer", "customer_id", "session", "session_id")
ITEM_COLUMNS = ("item", "itemid", "item_id", "movieid", "movie_id", "product_id", "productid", "id", "title")
RATING_COLUMNS = ("rating", "score", "value", "stars")
TIME_COLUMNS = ("timestamp", "time", "ts", "datetime", "date")
LINK_TARGET_COLUMNS = ("imdbid", "imdb_id", "imdb")


def _pick(fieldnames: list[str], wanted: str | None, names: tuple[str, ...], what: str, path: Path, required: bool) -> str | None:
    lower = {f.strip().lower(): f for f in fieldnames}
    if wanted is not None:
        if wanted in fieldnames:
            return wanted
        if wanted.lower() in lower:
            return lower[wanted.lower()]
        raise InteractionsError(f"{path}: column {wanted!r} for the {what} is not in the header {fieldnames}")
    for name in names:
        if name in lower:
            return lower[name]
    if required:
        raise InteractionsError(f"{path}: no {what} column found in the header {fieldnames} "
                                f"(looked for {', '.join(names[:5])}); name it explicitly")
    return None


def _dialect(path: Path) -> str:
    return "\t" if path.suffix.lower() == ".tsv" else ","


def load_links(path: str | Path, *, item_column: str | None = None, target_column: str | None = None) -> dict[str, str]:
    """A link file (MovieLens `links.csv`: movieId,imdbId,tmdbId) as {item id: IMDb id (or target)}."""
    path = _check_file(path)
    links: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=_dialect(path))
        if not reader.fieldnames:
            raise InteractionsError(f"{path}: the link file has no header row")
        src = _pick(reader.fieldnames, item_column, ITEM_COLUMNS, "item id", path, True)
        dst = _pick(reader.fieldnames, target_column, LINK_TARGET_COLUMNS, "IMDb id", path, True)
        for row in reader:
            if None in row:
                raise InteractionsError(f"{path} line {reader.line_num}: more values than header columns")
            key, value = (row.get(src) or "").strip(), (row.get(dst) or "").strip()
            if key and value:
                links[key] = value
    return links


def load_ratings(
    path: str | Path,
    catalog: Catalog | ItemResolver,
    *,
    threshold: float | None = 4.0,
    links: str | Path | Mapping[str, str] | None = None,
    titles: str | Path | Mapping[str, str] | None = None,
    user_column: str | None = None,
    item_column: str | None = None,
    rating_column: str | None = None,
    time_column: str | None = None,
    window_seconds: float | None = None,
    min_basket: int = 1,
) -> Interactions:
    """User–item ratings or events -> one basket of positives per user (or per user and time window).

    `threshold`: ratings >= it are positives (None: every row is). `links`: a link file or a dict
    mapping the file's item ids to IMDb ids (matched against `metadata["imdb_id"]`); without it an
    item value is matched as a catalog id, then as a "Title (Year)". `titles`: a file or dict of
    item id -> "Title (Year)" (MovieLens `movies.csv`), tried when the id or link does not match.
    `window_seconds` splits a
    user's positives (sorted by time) into baskets that each span at most that long.
    """
    path = _check_file(path)
    resolver = _catalog_resolver(catalog)
    link_map = load_links(links) if isinstance(links, (str, Path)) else dict(links or {})
    title_map = (load_links(titles, target_column="title") if isinstance(titles, (str, Path))
                 else dict(titles or {}))
    tally = _Tally()
    per_user: dict[str, list[tuple[float, int, str]]] = defaultdict(list)
    cache: dict[str, str | None] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=_dialect(path))
        if not reader.fieldnames:
            raise InteractionsError(f"{path}: the ratings file has no header row (expected user,item,rating[,timestamp])")
        fields = list(reader.fieldnames)
        ucol = _pick(fields, user_column, USER_COLUMNS, "user", path, True)
        icol = _pick(fields, item_column, ITEM_COLUMNS, "item", path, True)
        rcol = _pick(fields, rating_column, RATING_COLUMNS, "rating", path, False)
        tcol = _pick(fields, time_column, TIME_COLUMNS, "timestamp", path, window_seconds is not None)
        for order, row in enumerate(reader):
            where = f"{path} line {reader.line_num}"
            if None in row:
                raise InteractionsError(f"{where}: more values than header columns")
            user, ref = (row.get(ucol) or "").strip(), (row.get(icol) or "").strip()
            if not user or not ref:
                raise InteractionsError(f"{where}: empty {'user' if not user else 'item'} value")
            if rcol is not None and threshold is not None:
                raw = (row.get(rcol) or "").strip()
                try:
                    rating = float(raw)
                except ValueError:
                    raise InteractionsError(f"{where}: rating {raw!r} in column {rcol!r} is not a number") from None
                if rating < threshold:
                    tally.skipped += 1
                    continue
            stamp = 0.0
            if tcol is not None:
                raw_t = (row.get(tcol) or "").strip()
                stamp = _parse_time(raw_t, where, tcol) if raw_t else 0.0
            if ref not in cache:
                if link_map:
                    target = link_map.get(ref)
                    # an id missing from the link file stays unmapped: the file's ids and the
                    # catalog's ids are different namespaces and may collide by accident
                    cache[ref] = resolver.by_imdb(target, title_map.get(ref)) if target is not None else None
                else:
                    cache[ref] = resolver.resolve(ref)
                if cache[ref] is None and ref in title_map:
                    cache[ref] = resolver.by_title(title_map[ref])
            found = cache[ref]
            if found is None:
                label = f" (imdb {link_map[ref]})" if ref in link_map else ""
                label += f" {title_map[ref]}" if ref in title_map else ""
                tally.miss(ref + label)
                continue
            tally.hit()
            per_user[user].append((stamp, order, found))
    baskets: list[list[str]] = []
    for events in per_user.values():
        events.sort()
        groups: list[list[str]] = []
        start = None
        for stamp, _, iid in events:
            if start is None or (window_seconds is not None and stamp - start > window_seconds):
                groups.append([])
                start = stamp
            groups[-1].append(iid)
        for group in groups:
            group = _dedupe(group)
            if len(group) >= min_basket:
                baskets.append(group)
                tally.baskets += 1
            else:
                tally.empty += 1
    return Interactions(baskets, tally.report(), str(path))


def _parse_time(raw: str, where: str, column: str) -> float:
    try:
        return float(raw)
    except ValueError:
        pass
    from datetime import datetime

    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise InteractionsError(f"{where}: {column!r} value {raw!r} is neither a number nor an ISO date") from None


# --------------------------------------------------------------------------------------------
# (c) raw ReDial dialogues, (d) ReDial train text

_MENTION = re.compile(r"@(\d+)")


def redial_mentions(record: Mapping[str, Any]) -> list[str]:
    """ReDial movie ids of one dialogue in order of first mention (text first, then `movieMentions`)."""
    ids: list[str] = []
    for message in record.get("messages") or []:
        if isinstance(message, Mapping):
            ids.extend(_MENTION.findall(str(message.get("text") or "")))
    ids.extend(str(k) for k in (record.get("movieMentions") or {}))
    return _dedupe(ids)


def load_redial_dialogues(path: str | Path, catalog: Catalog | ItemResolver) -> Interactions:
    """Raw (or turn-merged) ReDial dialogues -> one basket per dialogue of the movies mentioned."""
    path = _check_file(path)
    resolver = _catalog_resolver(catalog)
    tally = _Tally()
    baskets: list[list[str]] = []
    for lineno, record in _iter_jsonl(path):
        if not isinstance(record, dict) or not isinstance(record.get("messages"), list):
            raise InteractionsError(f"{path} line {lineno}: not a ReDial dialogue (expected an object with a "
                                    "'messages' list and 'movieMentions')")
        names = record.get("movieMentions") or {}
        if not isinstance(names, dict):
            raise InteractionsError(f"{path} line {lineno}: 'movieMentions' must be an object of id -> title")
        ids = []
        for mid in redial_mentions(record):
            found = resolver.by_id(mid) or (resolver.by_title(names[mid]) if names.get(mid) else None)
            if found:
                tally.hit()
                ids.append(found)
            else:
                tally.miss(f"@{mid} {names.get(mid) or ''}".strip())
        _keep(baskets, ids, tally)
    return Interactions(baskets, tally.report(), str(path))


def load_redial_text(path: str | Path, catalog: Catalog | ItemResolver) -> Interactions:
    """ReDial train text (`movie_ids_recovered`, names as a fallback) -> one basket per line."""
    path = _check_file(path)
    resolver = _catalog_resolver(catalog)
    tally = _Tally()
    baskets: list[list[str]] = []
    for lineno, record in _iter_jsonl(path):
        if not isinstance(record, dict) or "movie_ids_recovered" not in record:
            raise InteractionsError(f"{path} line {lineno}: expected an object with 'movie_ids_recovered'")
        mids = record.get("movie_ids_recovered") or []
        names = record.get("movie_names_recovered") or []
        if not isinstance(mids, list):
            raise InteractionsError(f"{path} line {lineno}: 'movie_ids_recovered' must be a list")
        aligned = isinstance(names, list) and len(names) == len(mids)  # some lines drop a name
        ids = []
        for pos, mid in enumerate(mids):
            found = resolver.by_id(mid)
            if found is None and aligned and names[pos]:
                found = resolver.by_title(str(names[pos]))
            if found:
                tally.hit()
                ids.append(found)
            else:
                tally.miss(f"{mid}" + (f" {names[pos]}" if aligned else ""))
        _keep(baskets, ids, tally)
    return Interactions(baskets, tally.report(), str(path))


# --------------------------------------------------------------------------------------------
# one entry point


def sniff_format(path: str | Path) -> str:
    """Guess the format: .csv/.tsv -> ratings; JSONL by the first record's keys."""
    path = _check_file(path)
    if path.suffix.lower() in {".csv", ".tsv"}:
        return "ratings"
    for lineno, record in _iter_jsonl(path):
        if isinstance(record, list):
            return "baskets"
        if isinstance(record, dict):
            if "movie_ids_recovered" in record:
                return "redial_text"
            if "messages" in record and ("movieMentions" in record or "conversationId" in record):
                return "redial"
            if any(k in record for k in BASKET_KEYS):
                return "baskets"
        raise InteractionsError(
            f"{path} line {lineno}: cannot tell the format; expected {{\"items\": [...]}} baskets, ReDial "
            "dialogues (messages + movieMentions) or ReDial train text (movie_ids_recovered); or pass format=")
    raise InteractionsError(f"{path}: the file holds no records")


def load_interactions(path: str | Path, catalog: Catalog | ItemResolver, *, format: str = "auto", **options: Any) -> Interactions:
    """Load any supported shape; `format` is one of FORMATS or "auto"; options go to the loader."""
    fmt = sniff_format(path) if format == "auto" else format
    if fmt not in FORMATS:
        raise InteractionsError(f"unknown interaction format {format!r}; use one of {', '.join(FORMATS)} or auto")
    if fmt == "ratings":
        return load_ratings(path, catalog, **options)
    if options:
        raise InteractionsError(f"{path}: options {sorted(options)} only apply to ratings files")
    loader = {"baskets": load_baskets, "redial": load_redial_dialogues, "redial_text": load_redial_text}[fmt]
    return loader(path, catalog)
