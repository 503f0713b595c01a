"""Catalog loaders: JSONL, CSV, JSON array and JSON map; field mapping; errors that name file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatrec.catalog import load_bundled_catalog, load_catalog, parse_mapping
from chatrec.errors import CatalogError

ROWS = [
    {"id": "a1", "title": "Alien (1979)", "genre": "Horror|Sci-Fi", "plot": "A crew meets a creature.",
     "director": "Ridley Scott", "cast": "Sigourney Weaver, Tom Skerritt"},
    {"id": "a2", "title": "Heat", "year": "1995", "genre": "Crime", "plot": "A detective and a thief.",
     "director": "Michael Mann", "cast": "Al Pacino, Robert De Niro"},
]


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_csv(path: Path, rows) -> Path:
    import csv

    fields = sorted({k for r in rows for k in r})
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def check_two_movies(catalog) -> None:
    assert catalog.ids == ["a1", "a2"]
    alien, heat = catalog["a1"], catalog["a2"]
    assert (alien.title, alien.year) == ("Alien", 1979)  # year split out of the title
    assert alien.genres == ["horror", "sci-fi"]
    assert alien.people_with("director") == ["Ridley Scott"]
    assert alien.people_with("star") == ["Sigourney Weaver", "Tom Skerritt"]
    assert alien.description == "A crew meets a creature."
    assert (heat.title, heat.year, heat.genres) == ("Heat", 1995, ["crime"])


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "json-array", "json-map"])
def test_each_format_loads_the_same_items(tmp_path, fmt):
    if fmt == "jsonl":
        path = write_jsonl(tmp_path / "m.jsonl", ROWS)
    elif fmt == "csv":
        path = write_csv(tmp_path / "m.csv", ROWS)
    elif fmt == "json-array":
        path = tmp_path / "m.json"
        path.write_text(json.dumps(ROWS))
    else:
        path = tmp_path / "m.json"
        path.write_text(json.dumps({r["id"]: {k: v for k, v in r.items() if k != "id"} for r in ROWS}))
    catalog = load_catalog(path)
    check_two_movies(catalog)
    assert catalog.name == "m"


def test_field_mapping_reads_a_books_catalog(tmp_path):
    books = [{"isbn13": "978-0", "book": "Dune", "published": "1965-08-01", "subjects": "science fiction;classic",
              "writer_name": "Frank Herbert", "blurb": "Desert planet.", "pages": 412}]
    path = write_jsonl(tmp_path / "books.jsonl", books)
    mapping = parse_mapping(["id=isbn13", "title=book", "genres=subjects", "description=blurb",
                             "people.author=writer_name", "metadata.pages=pages"])
    item = load_catalog(path, mapping)["978-0"]
    assert (item.title, item.year, item.genres) == ("Dune", 1965, ["science fiction", "classic"])
    assert item.people_with("author") == ["Frank Herbert"]
    assert item.description == "Desert planet."
    assert item.metadata["pages"] == 412


def test_several_files_make_one_catalog(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", ROWS[:1])
    b = write_csv(tmp_path / "b.csv", ROWS[1:])
    assert load_catalog([a, b]).ids == ["a1", "a2"]


def test_the_bundled_catalog_loads():
    catalog = load_bundled_catalog()
    assert len(catalog) > 6000
    assert any(item.title == "Back to the Future" for item in catalog)


# ------------------------------------------------------------------ bad files

def error_of(path, mapping=None) -> str:
    with pytest.raises(CatalogError) as info:
        load_catalog(path, mapping)
    return str(info.value)


def test_invalid_json_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n\n" + '{"id": "x", "title": "Broken",\n')
    message = error_of(path)
    assert str(path) in message and "line 3" in message and "invalid JSON" in message


def test_invalid_json_array_names_the_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[\n  {"id": "1", "title": "A"},\n  {"id": "2" "title": "B"}\n]')
    message = error_of(path)
    assert str(path) in message and "line 3" in message


def test_missing_title_names_line_and_field(tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", [ROWS[0], {"id": "z9", "plot": "No title here."}])
    message = error_of(path)
    assert str(path) in message and "line 2" in message and "'title'" in message and "z9" in message


def test_missing_id_suggests_a_mapping(tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", [{"name": "Untitled"}])
    message = error_of(path)
    assert "line 1" in message and "'id'" in message and "--map id=" in message


def test_mapped_id_field_missing_names_the_source(tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", [{"title": "A", "href": None}])
    message = error_of(path, {"id": "href"})
    assert "line 1" in message and "'href'" in message


def test_bad_year_names_record_field_and_value(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps([ROWS[0], {**ROWS[1], "year": "nineteen"}]))
    message = error_of(path)
    assert str(path) in message and "record 1" in message and "'year'" in message and "nineteen" in message


def test_bad_year_in_csv_names_the_line(tmp_path):
    path = write_csv(tmp_path / "m.csv", [ROWS[1], {**ROWS[1], "id": "a3", "year": "soon"}])
    message = error_of(path)
    assert "line 3" in message and "'year'" in message


def test_duplicate_id_names_both_places(tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", [ROWS[0], ROWS[1], {**ROWS[0], "title": "Alien again"}])
    message = error_of(path)
    assert "line 3" in message and "duplicate id 'a1'" in message and "line 1" in message


def test_duplicate_id_across_files(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", ROWS)
    b = write_jsonl(tmp_path / "b.jsonl", ROWS[1:])
    with pytest.raises(CatalogError, match=r"b\.jsonl line 1: duplicate id 'a2' \(first seen at .*a\.jsonl line 2\)"):
        load_catalog([a, b])


def test_unknown_format(tmp_path):
    path = tmp_path / "m.xml"
    path.write_text("<movies/>")
    message = error_of(path)
    assert str(path) in message and "unknown catalog format '.xml'" in message


@pytest.mark.parametrize("name,content", [("m.jsonl", ""), ("m.jsonl", "\n\n"), ("m.json", "[]"), ("m.json", "{}")])
def test_empty_file_is_an_error(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content)
    assert "holds no items" in error_of(path)


def test_empty_csv_has_no_header(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("")
    assert "no header row" in error_of(path)


def test_csv_row_with_too_many_values(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("id,title\n1,Alien\n2,Heat,extra\n")
    message = error_of(path)
    assert "line 3" in message and "more values than header columns" in message


def test_json_that_is_not_records(tmp_path):
    path = tmp_path / "m.json"
    path.write_text('"just a string"')
    assert "expected a JSON array" in error_of(path)
    path.write_text('[1, 2]')
    message = error_of(path)
    assert "record 0" in message and "expected an object" in message


def test_missing_file(tmp_path):
    assert "does not exist" in error_of(tmp_path / "nope.jsonl")


@pytest.mark.parametrize("pair,fragment", [("title", "FIELD=SOURCE"), ("=name", "both sides"),
                                           ("rating=stars", "unknown")])
def test_bad_mapping_pairs(pair, fragment):
    with pytest.raises(CatalogError, match=fragment):
        parse_mapping([pair])


# ---- the "derive" id policy (sources without clean ids, like the Wikipedia film lists) ----------
def test_derive_policy_makes_missing_ids_suffixes_repeats_and_drops_exact_copies(tmp_path):
    records = [
        {"href": "Alien_(film)", "title": "Alien", "year": 1979, "genres": ["Horror"]},
        {"title": "Nameless", "year": 1950},                                    # no id
        {"href": "Alien_(film)", "title": "Alien", "year": 1979, "genres": ["Horror"]},   # exact repeat
        {"href": "Alien_(film)", "title": "Alien 3", "year": 1992},             # another film, same href
        {"href": "Alien_(film)", "title": "Alien 4", "year": 1997},
        {"title": "Untitled"},                                                   # no id, no year
    ]
    path = tmp_path / "films.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    with pytest.raises(CatalogError, match="field 'id' is missing"):
        load_catalog(path, {"id": "href"})
    catalog = load_catalog(path, {"id": "href"}, ids="derive")
    assert [i.id for i in catalog] == ["Alien_(film)", "Nameless (1950)", "Alien_(film)#2", "Alien_(film)#3", "Untitled"]
    assert catalog["Alien_(film)#2"].title == "Alien 3"
    assert catalog.load_notes == {"derived_ids": 2, "exact_duplicates_dropped": 1, "suffixed_ids": 2}


def test_strict_policy_names_the_derive_option_on_duplicates(tmp_path):
    path = tmp_path / "films.jsonl"
    path.write_text('{"id": "1", "title": "A"}\n{"id": "1", "title": "B"}\n', encoding="utf-8")
    with pytest.raises(CatalogError, match=r"line 2: duplicate id '1'.*--ids derive"):
        load_catalog(path)


def test_unknown_id_policy_is_a_clear_error(tmp_path):
    path = tmp_path / "films.jsonl"
    path.write_text('{"id": "1", "title": "A"}\n', encoding="utf-8")
    with pytest.raises(CatalogError, match="unknown id policy 'loose'"):
        load_catalog(path, ids="loose")


def test_the_wikipedia_lists_load_with_derived_ids():
    wiki = Path(__file__).resolve().parents[2] / "shared" / "data" / "movies_wikipedia" / "movies-1900s.json"
    assert wiki.exists(), "../shared/data/movies_wikipedia must sit next to the repo"
    with pytest.raises(CatalogError, match="field 'id' is missing"):
        load_catalog(wiki, {"id": "href", "description": "extract"})
    catalog = load_catalog(wiki, {"id": "href", "description": "extract"}, ids="derive")
    assert len(catalog) > 100 and catalog.load_notes["derived_ids"] > 0
    assert len({item.id for item in catalog}) == len(catalog)
