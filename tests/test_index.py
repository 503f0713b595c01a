"""The vector index with the fast HashEmbedder: incremental sync, filters, Candidate wrapping."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_index import local_index, mini_catalog, titles

from chatrec.catalog import Catalog
from chatrec.embeddings import HashEmbedder
from chatrec.store import Candidate, Filters, VectorIndex


class CountingEmbedder(HashEmbedder):
    """A HashEmbedder that remembers which texts it embedded."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []

    def embed(self, texts):
        self.texts.extend(texts)
        return super().embed(texts)


@pytest.fixture
def catalog() -> Catalog:
    return mini_catalog()


@pytest.fixture
def index(tmp_path, catalog) -> VectorIndex:
    idx = local_index(tmp_path / "chroma", catalog)
    idx.sync()
    return idx


def query_text(index: VectorIndex, text: str, **kwargs) -> list[Candidate]:
    return index.query(index.embedder.embed([text])[0], **kwargs)


def test_first_sync_embeds_everything_second_nothing(tmp_path, catalog):
    embedder = CountingEmbedder()
    index = local_index(tmp_path / "chroma", catalog, embedder)
    calls: list[tuple[int, int]] = []
    first = index.sync(progress=lambda done, total: calls.append((done, total)))
    assert (first.items, first.embedded, first.unchanged, first.removed) == (len(catalog), len(catalog), 0, 0)
    assert calls[-1] == (len(catalog), len(catalog))
    assert index.count() == len(catalog)
    embedder.texts.clear()
    second = index.sync()
    assert (second.embedded, second.unchanged, second.removed) == (0, len(catalog), 0)
    assert embedder.texts == []


def test_reopened_index_remembers_what_it_embedded(tmp_path, catalog):
    local_index(tmp_path / "chroma", catalog).sync()
    embedder = CountingEmbedder()
    report = local_index(tmp_path / "chroma", mini_catalog(), embedder).sync()
    assert report.embedded == 0 and embedder.texts == []


def test_changed_item_is_re_embedded_and_removed_item_deleted(tmp_path, catalog):
    local_index(tmp_path / "chroma", catalog).sync()
    items = list(catalog)
    alien = next(i for i in items if i.title == "Alien")
    jaws = next(i for i in items if i.title == "Jaws")
    changed = alien.model_copy(update={"description": "A lonely robot tends a garden on Mars."})
    new_items = [changed if i.id == alien.id else i for i in items if i.id != jaws.id]
    embedder = CountingEmbedder()
    index = local_index(tmp_path / "chroma", Catalog(new_items, name=catalog.name), embedder)
    report = index.sync()
    assert (report.embedded, report.removed, report.unchanged) == (1, 1, len(items) - 2)
    assert len(embedder.texts) == 1 and "robot" in embedder.texts[0]
    assert index.count() == len(items) - 1
    assert index.vectors([jaws.id]) == {}
    stored = index.vectors([alien.id])[alien.id]
    np.testing.assert_allclose(stored, embedder.embed([changed.embedding_text()])[0], atol=1e-6)


def test_a_metadata_only_change_is_re_embedded(tmp_path, catalog):
    local_index(tmp_path / "chroma", catalog).sync()
    items = [i.model_copy(update={"year": 1980}) if i.title == "Alien" else i for i in catalog]
    index = local_index(tmp_path / "chroma", Catalog(items, name=catalog.name))
    assert index.sync().embedded == 1
    hits = query_text(index, "Alien", k=5, filters=Filters(year_min=1980, year_max=1980))
    assert sorted(titles(catalog, [c.item_id for c in hits])) == ["Alien", "The Shining"]


def test_candidates_wrap_chroma_results(index, catalog):
    hits = query_text(index, "Alien 1979 Ridley Scott creature on a spaceship", k=5)
    assert len(hits) == 5
    assert all(isinstance(c, Candidate) for c in hits)
    assert catalog[hits[0].item_id].title == "Alien"
    sims = [c.similarity for c in hits]
    assert sims == sorted(sims, reverse=True) and all(-1.0 <= s <= 1.0001 for s in sims)
    top = hits[0]
    assert top.vector.dtype == np.float32 and top.vector.shape == (index.embedder.dim,)
    expected = index.embedder.embed([catalog[top.item_id].embedding_text()])[0]
    np.testing.assert_allclose(top.vector, expected, atol=1e-6)


def test_exclude_drops_ids_but_keeps_k(index):
    hits = query_text(index, "space", k=5)
    rest = query_text(index, "space", k=5, exclude=[hits[0].item_id])
    assert hits[0].item_id not in {c.item_id for c in rest}
    assert len(rest) == 5


def test_k_larger_than_the_catalog(index, catalog):
    assert len(query_text(index, "movie", k=500)) == len(catalog)


def test_filter_by_year_range(index, catalog):
    hits = query_text(index, "a movie", k=50, filters=Filters(year_min=1990, year_max=1999))
    years = {catalog[c.item_id].year for c in hits}
    expected = {i.id for i in catalog if i.year and 1990 <= i.year <= 1999}
    assert {c.item_id for c in hits} == expected and years <= set(range(1990, 2000))


def test_filter_by_genre_any_and_none(index, catalog):
    horror = query_text(index, "a movie", k=50, filters=Filters(genres_any=("Horror",)))
    assert {c.item_id for c in horror} == {i.id for i in catalog if "horror" in i.genres}
    either = query_text(index, "a movie", k=50, filters=Filters(genres_any=("horror", "sci-fi")))
    assert {c.item_id for c in either} == {i.id for i in catalog if {"horror", "sci-fi"} & set(i.genres)}
    no_horror = query_text(index, "a movie", k=50, filters=Filters(genres_none=("horror",)))
    assert {c.item_id for c in no_horror} == {i.id for i in catalog if "horror" not in i.genres}


def test_filter_by_person(index, catalog):
    hits = query_text(index, "a movie", k=50, filters=Filters(person="Ridley Scott"))
    expected = {i.id for i in catalog if "Ridley Scott" in {p.name for p in i.people}}
    assert {c.item_id for c in hits} == expected
    assert {"Alien", "Blade Runner", "The Martian"} <= set(titles(catalog, expected))


def test_combined_filters(index, catalog):
    hits = query_text(index, "a movie", k=50, filters=Filters(genres_any=("sci-fi",), year_min=2010,
                                                              genres_none=("horror",)))
    expected = {i.id for i in catalog if "sci-fi" in i.genres and "horror" not in i.genres and i.year >= 2010}
    assert {c.item_id for c in hits} == expected and expected


def test_no_filter_means_no_where_clause():
    assert Filters().to_where() is None
    assert Filters(year_min=2000).to_where() == {"year": {"$gte": 2000}}


def test_all_vectors_pages_through_everything(index, catalog):
    ids, matrix = index.all_vectors()
    assert sorted(ids) == sorted(catalog.ids) and matrix.shape == (len(catalog), index.embedder.dim)


def test_two_catalogs_use_two_collections(tmp_path, catalog):
    other = Catalog(list(catalog)[:3], name="three")
    a = local_index(tmp_path / "chroma", catalog)
    b = local_index(tmp_path / "chroma", other)
    a.sync()
    b.sync()
    assert a.name != b.name and (a.count(), b.count()) == (len(catalog), 3)


FILTER_CASES = [
    Filters(genres_any=("horror",)),
    Filters(year_min=1990, year_max=2010),
    Filters(genres_any=("sci-fi", "comedy"), genres_none=("horror",), year_min=1970),
    Filters(person="Ridley Scott"),
    Filters(genres_any=("war",)),
]


@pytest.mark.parametrize("overfetch", ["exact", "wide", "deeper", "narrow", "chroma-where"])
@pytest.mark.parametrize("filters", FILTER_CASES, ids=lambda f: str(f.to_where()))
def test_filtered_query_equals_chromas_where(index, monkeypatch, filters, overfetch):
    """Filtering the over-fetch here (or falling back on Chroma) gives what Chroma's `where` gives."""
    import chatrec.store

    if overfetch != "exact":  # small filters are answered from the items' vectors; here the Chroma paths
        monkeypatch.setattr(chatrec.store, "_EXACT_MAX", 0)
    if overfetch in ("deeper", "narrow"):  # the first k unfiltered rarely all pass: a retry is needed
        monkeypatch.setattr(chatrec.store, "_OVERFETCH", 1)
        monkeypatch.setattr(chatrec.store, "_MIN_OVERFETCH", 1)
        # "deeper": the one deeper look answers; "narrow": it does not, and Chroma's `where` answers
        monkeypatch.setattr(chatrec.store, "_DEEPER", 10_000 if overfetch == "deeper" else 1)
    if overfetch == "chroma-where":  # every filter counts as narrow: Chroma's own pre-filter answers
        monkeypatch.setattr(chatrec.store, "_MAX_OVERFETCH", 0)
    for text in ("space adventure", "a scary night", "love story", "crime family"):
        vector = index.embedder.embed([text])[0]
        ours = index.query(vector, k=3, filters=filters, exclude=["79062"])
        raw = index._collection.query(query_embeddings=vector.reshape(1, -1), n_results=4,
                                      where=filters.to_where(), include=["distances"])
        expected = [1 - d for i, d in zip(*raw["ids"], *raw["distances"]) if i != "79062"][:3]
        # the same similarities (ties between equally distant items may come in either order) ...
        np.testing.assert_allclose([c.similarity for c in ours], expected, atol=1e-5)
        # ... and every item passes the filter
        assert all(filters.matches(index._metadata_of(c.item_id)) for c in ours)
        assert "79062" not in {c.item_id for c in ours}
        assert all(c.vector.shape == (index.embedder.dim,) for c in ours)


@pytest.mark.parametrize("exact_max", [0, 5000])
def test_query_many_answers_like_separate_queries(index, monkeypatch, exact_max):
    import chatrec.store

    monkeypatch.setattr(chatrec.store, "_EXACT_MAX", exact_max)
    vector = index.embedder.embed(["space adventure"])[0]
    requests = [(None, 5), *[(f, 3) for f in FILTER_CASES]]
    together = index.query_many(vector, requests, exclude=["79062"])
    assert len(together) == len(requests)
    for (filters, k), got in zip(requests, together):
        alone = index.query(vector, k=k, filters=filters, exclude=["79062"])
        np.testing.assert_allclose([c.similarity for c in got], [c.similarity for c in alone], atol=1e-5)


def test_vectors_are_served_from_memory_after_the_first_fetch(index, catalog, monkeypatch):
    ids = [item.id for item in list(catalog)[:4]]
    first = index.vectors(ids)
    monkeypatch.setattr(index._collection, "get", lambda *a, **k: pytest.fail("went back to Chroma"))
    again = index.vectors(ids)
    assert set(first) == set(again) == set(ids)
    assert all(np.array_equal(first[i], again[i]) for i in ids)


def test_filters_match_the_stored_metadata(catalog):
    from chatrec.store import item_metadata

    alien = next(i for i in catalog if i.title == "Alien")
    meta = item_metadata(alien, "h")
    assert Filters(genres_any=("Sci-Fi",), year_max=1979, person="Ridley Scott").matches(meta)
    assert not Filters(genres_none=("horror",)).matches(meta)
    assert not Filters(year_min=1980).matches(meta)
    assert not Filters().matches(None)
