"""A film listed twice in a catalog (once without a year) is recommended once, and templates read well."""

from __future__ import annotations

import numpy as np

from chatrec.catalog import Item
from chatrec.dialogue.explain import template_explanation
from chatrec.dialogue.recommend import Scored, mmr, same_film


def _scored(item_id: str, title: str, year: int | None, score: float) -> Scored:
    vector = np.zeros(4, dtype=np.float32)
    vector[int(item_id) % 4] = 1.0
    return Scored(item=Item(id=item_id, title=title, year=year, genres=["sci-fi"]), score=score, parts={}, vector=vector)


def test_same_film_needs_the_same_title_and_no_conflicting_year():
    dated, undated = Item(id="1", title="2001: A Space Odyssey", year=1968), Item(id="2", title="2001: a space odyssey")
    assert same_film(dated, undated)
    assert not same_film(Item(id="3", title="Heat", year=1995), Item(id="4", title="Heat", year=2013))
    assert not same_film(dated, Item(id="5", title="2010: The Year We Make Contact", year=1984))


def test_mmr_keeps_one_entry_of_a_film():
    pool = [_scored("1", "2001: A Space Odyssey", 1968, 0.9), _scored("2", "2001: A Space Odyssey", None, 0.89),
            _scored("3", "Moon", 2009, 0.5), _scored("4", "Heat", 1995, 0.4), _scored("5", "Heat", 2013, 0.3)]
    picks = [s.item.id for s in mmr(pool, k=4, lam=0.0)]
    assert picks == ["1", "3", "4", "5"]


def test_template_article_for_an_undated_item():
    item = Item(id="9", title="Some Film", genres=["adventure", "sci-fi"])
    assert "an adventure, sci-fi film" in template_explanation(item, ["sci-fi"], {"genre": 0.3})
    dated = Item(id="10", title="Other", year=1999, genres=["adventure"])
    assert "a 1999 adventure film" in template_explanation(dated, [], {"popularity": 1.0})
