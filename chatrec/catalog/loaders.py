"""Load a catalog from JSONL, CSV or JSON (an array, or an id -> object map) with a field mapping.

A mapping names, for each chatrec field, the source field to read: `{"title": "name",
"description": "plot", "people.director": "director"}`. Fields not mapped are looked up under
common names (title/name, plot/overview/extract, genre/genres, ...). Every error names the file,
the line or record, and the field. Does not guess at nested objects beyond one level of dict keys.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any, Iterator, Mapping

from chatrec.catalog.item import Catalog, Item, Person
from chatrec.errors import CatalogError

DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "item_id", "itemId", "movieId", "movie_id", "imdb_id", "isbn", "sku"),
    "title": ("title", "name", "movie_title", "product_name"),
    "year": ("year", "release_year", "published", "date"),
    "genres": ("genres", "genre", "categories", "category", "tags"),
    "description": ("description", "plot", "overview", "summary", "extract", "synopsis", "text"),
}
DEFAULT_PEOPLE_FIELDS: dict[str, tuple[str, ...]] = {
    "director": ("director", "directors"),
    "writer": ("writer", "writers"),
    "star": ("star", "stars", "cast", "actors"),
    "author": ("author", "authors"),
    "artist": ("artist", "artists"),
    "brand": ("brand",),
}
_TITLE_YEAR = re.compile(r"^(?P<title>.*?)\s*\((?P<year>\d{4})\)\s*$")
_YEAR = re.compile(r"(1[89]\d\d|20\d\d)")
CORE_FIELDS = {"id", "title", "year", "genres", "description"}


def parse_mapping(pairs: list[str] | None) -> dict[str, str]:
    """Turn CLI `FIELD=SOURCE` pairs into a mapping, with a clear error on a malformed pair."""
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise CatalogError(f"--map expects FIELD=SOURCE (for example title=name), got {pair!r}")
        field, source = (s.strip() for s in pair.split("=", 1))
        if not field or not source:
            raise CatalogError(f"--map expects FIELD=SOURCE with both sides filled, got {pair!r}")
        if field not in CORE_FIELDS and not field.startswith(("people.", "metadata.")):
            raise CatalogError(
                f"--map field {field!r} is unknown: use one of {sorted(CORE_FIELDS)}, "
                "people.ROLE (for example people.director) or metadata.NAME"
            )
        mapping[field] = source
    return mapping


def split_title_year(name: str) -> tuple[str, int | None]:
    """"Back to the Future (1985)" -> ("Back to the Future", 1985); no year -> (name, None)."""
    match = _TITLE_YEAR.match(name.strip())
    if match and match["title"].strip():
        return " ".join(match["title"].split()), int(match["year"])
    if match:  # the name is only a year, as in two ReDial records: keep it whole
        return name.strip(), int(match["year"])
    return " ".join(name.split()), None


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value)
    for sep in ("|", ";"):
        if sep in text:
            return [s.strip() for s in text.split(sep) if s.strip()]
    return [s.strip() for s in text.split(",") if s.strip()]


def _lookup(record: Mapping[str, Any], field: str, mapping: Mapping[str, str], defaults) -> tuple[str | None, Any]:
    """(source field name, value) for a chatrec field, honouring the mapping first."""
    if field in mapping:
        source = mapping[field]
        return source, record.get(source)
    for name in defaults:
        if name in record and record[name] not in (None, ""):
            return name, record[name]
    return None, None


def record_to_item(record: Mapping[str, Any], mapping: Mapping[str, str], *, where: str, fallback_id: str | None = None) -> Item:
    """Build one `Item` from a source record; `where` says where the record came from for errors."""
    if not isinstance(record, Mapping):
        raise CatalogError(f"{where}: expected an object with fields, got {type(record).__name__}")
    if fallback_id is not None and "id" not in mapping:
        raw_id = fallback_id  # an id -> object map: the key is the id
    else:
        _, raw_id = _lookup(record, "id", mapping, DEFAULT_FIELDS["id"])
    if raw_id in (None, ""):
        named = f"'{mapping['id']}'" if "id" in mapping else "one of " + ", ".join(DEFAULT_FIELDS["id"][:5])
        raise CatalogError(f"{where}: field 'id' is missing (looked for {named}; map it with --map id=FIELD)")
    title_source, raw_title = _lookup(record, "title", mapping, DEFAULT_FIELDS["title"])
    if raw_title in (None, "") or not str(raw_title).strip():
        raise CatalogError(f"{where} (id {raw_id}): field 'title' is missing or empty (source {title_source or 'title/name'!r})")
    title, year_in_title = split_title_year(str(raw_title))
    year_source, raw_year = _lookup(record, "year", mapping, DEFAULT_FIELDS["year"])
    year = year_in_title
    if raw_year not in (None, ""):
        if isinstance(raw_year, bool):
            raw_year = str(raw_year)
        match = _YEAR.search(str(raw_year))
        if isinstance(raw_year, (int, float)) and 1000 <= raw_year <= 2999:
            year = int(raw_year)
        elif match:
            year = int(match.group(1))
        else:
            raise CatalogError(f"{where} (id {raw_id}): field 'year' (source {year_source!r}) is not a year: {raw_year!r}")
    _, raw_genres = _lookup(record, "genres", mapping, DEFAULT_FIELDS["genres"])
    _, raw_desc = _lookup(record, "description", mapping, DEFAULT_FIELDS["description"])
    people: list[Person] = []
    mapped_roles = {k.split(".", 1)[1]: v for k, v in mapping.items() if k.startswith("people.")}
    roles = mapped_roles or {role: None for role in DEFAULT_PEOPLE_FIELDS}
    for role, source in roles.items():
        names = DEFAULT_PEOPLE_FIELDS.get(role, ()) if source is None else (source,)
        for name in names:
            for person in _as_list(record.get(name)):
                people.append(Person(name=person, role=role))
            if record.get(name):
                break
    metadata = {k.split(".", 1)[1]: record.get(v) for k, v in mapping.items() if k.startswith("metadata.")}
    for key in ("imdb_id", "href", "url", "thumbnail"):
        if key in record and key not in metadata and isinstance(record[key], (str, int, float)):
            metadata[key] = record[key]
    return Item(
        id=str(raw_id).strip(),
        title=title,
        year=year,
        genres=[g.lower() for g in _as_list(raw_genres)],
        people=people,
        description=" ".join(str(raw_desc or "").split()),
        metadata={k: v if isinstance(v, (str, int, float, bool)) or v is None else str(v) for k, v in metadata.items()},
    )


def _iter_jsonl(path: Path) -> Iterator[tuple[str, dict, str | None]]:
    with path.open(encoding="utf-8-sig") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CatalogError(f"{path} line {lineno}: invalid JSON ({exc.msg} at column {exc.colno})") from None
            except RecursionError:
                raise CatalogError(f"{path} line {lineno}: JSON nested too deeply") from None
            yield f"{path} line {lineno}", record, None


def _iter_csv(path: Path) -> Iterator[tuple[str, dict, str | None]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise CatalogError(f"{path}: the CSV file has no header row")
        for record in reader:
            if None in record:
                raise CatalogError(f"{path} line {reader.line_num}: more values than header columns")
            yield f"{path} line {reader.line_num}", record, None


def _iter_json(path: Path) -> Iterator[tuple[str, dict, str | None]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path} line {exc.lineno}: invalid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise CatalogError(f"{path}: JSON nested too deeply") from None
    if isinstance(data, list):
        for index, record in enumerate(data):
            yield f"{path} record {index}", record, None
    elif isinstance(data, dict):
        for key, record in data.items():
            yield f"{path} record {key!r}", record, str(key)
    else:
        raise CatalogError(f"{path}: expected a JSON array of objects or an object of id -> object")


def iter_records(path: Path) -> Iterator[tuple[str, dict, str | None]]:
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson"}:
        return _iter_jsonl(path)
    if suffix in {".csv", ".tsv"}:
        return _iter_csv(path)
    if suffix == ".json":
        return _iter_json(path)
    raise CatalogError(f"{path}: unknown catalog format {suffix!r}; use .jsonl, .csv or .json")


ID_POLICIES = ("strict", "derive")


def load_catalog(paths: str | Path | list[str | Path], mapping: Mapping[str, str] | None = None, *,
                 name: str | None = None, ids: str = "strict") -> Catalog:
    """Load one or more catalog files into a `Catalog`.

    `ids="strict"` (the default): every record needs an id and duplicate ids are an error.
    `ids="derive"`, for sources without clean ids (the Wikipedia film lists): a record without an
    id gets "Title (Year)"; a record repeating an earlier record exactly is dropped; a different
    record under an id already taken gets the id with "#2", "#3", ... The catalog's `load_notes`
    count each case, so nothing happens silently.
    """
    if ids not in ID_POLICIES:
        raise CatalogError(f"unknown id policy {ids!r}; use one of {', '.join(ID_POLICIES)}")
    path_list = [Path(p) for p in (paths if isinstance(paths, list) else [paths])]
    mapping = dict(mapping or {})
    items: list[Item] = []
    first_seen: dict[str, str] = {}
    by_id: dict[str, Item] = {}
    notes = {"derived_ids": 0, "exact_duplicates_dropped": 0, "suffixed_ids": 0}
    for path in path_list:
        if not path.exists():
            raise CatalogError(f"catalog file {path} does not exist")
        if not path.is_file():
            raise CatalogError(f"catalog {path} is not a file")
        try:
            for where, record, fallback_id in iter_records(path):
                if ids == "derive":
                    item = _item_with_derived_id(record, mapping, where, fallback_id, notes)
                    if item.id in by_id and by_id[item.id].content_hash() == item.content_hash():
                        notes["exact_duplicates_dropped"] += 1
                        continue
                    if item.id in by_id:
                        n = 2
                        while f"{item.id}#{n}" in by_id:
                            n += 1
                        item = item.model_copy(update={"id": f"{item.id}#{n}"})
                        notes["suffixed_ids"] += 1
                else:
                    item = record_to_item(record, mapping, where=where, fallback_id=fallback_id)
                if item.id in first_seen:
                    raise CatalogError(f"{where}: duplicate id {item.id!r} (first seen at {first_seen[item.id]}); "
                                       "with --ids derive later duplicates get '#2', '#3', ...")
                first_seen[item.id] = where
                by_id[item.id] = item
                items.append(item)
        except UnicodeDecodeError as exc:
            raise CatalogError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
        except OSError as exc:
            raise CatalogError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not items:
        raise CatalogError(f"{', '.join(map(str, path_list))}: the catalog holds no items")
    catalog = Catalog(items, name=name or path_list[0].stem, source=", ".join(map(str, path_list)))
    catalog.load_notes = notes if ids == "derive" else {}
    return catalog


def _item_with_derived_id(record, mapping: Mapping[str, str], where: str, fallback_id: str | None, notes: dict) -> Item:
    """`record_to_item`, with "Title (Year)" as the id of a record that has none."""
    try:
        return record_to_item(record, mapping, where=where, fallback_id=fallback_id)
    except CatalogError as exc:
        if "field 'id' is missing" not in str(exc):
            raise
    probe = dict(record)
    probe["\0derived"] = "pending"
    item = record_to_item(probe, {**mapping, "id": "\0derived"}, where=where)
    notes["derived_ids"] += 1
    return item.model_copy(update={"id": f"{item.title} ({item.year})" if item.year else item.title})


def load_bundled_catalog() -> Catalog:
    """The 6.6k-movie catalog shipped in `data/movies.jsonl` (see data/README.md for source and license)."""
    from chatrec.resources import bundled_file

    return load_catalog(bundled_file("data", "movies.jsonl"), name="movies")
