"""Shared helpers for the index tests: the fixture catalog and a fresh local index on it."""

from __future__ import annotations

from pathlib import Path

from chatrec.catalog import Catalog, load_catalog
from chatrec.embeddings import HashEmbedder
from chatrec.store import VectorIndex, make_client

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINI_MOVIES = FIXTURES / "mini_movies.jsonl"


def mini_catalog() -> Catalog:
    """The 34 real movies of tests/fixtures/mini_movies.jsonl (taken from data/movies.jsonl)."""
    return load_catalog(MINI_MOVIES)


def local_index(folder: Path, catalog: Catalog, embedder=None) -> VectorIndex:
    """A VectorIndex in a PersistentClient folder, with the fast HashEmbedder unless told otherwise."""
    client = make_client(url=None, path=folder)
    return VectorIndex(client, catalog, embedder or HashEmbedder())


def titles(catalog: Catalog, item_ids) -> list[str]:
    return [catalog[i].title for i in item_ids]
