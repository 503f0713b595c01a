"""The collaborative signal: interaction loaders, the item–item model's maths, persistence, bundle."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from chatrec.catalog import Catalog, Item, load_bundled_catalog, load_catalog
from chatrec.collab.cooccurrence import CollabModelError, ItemItemModel
from chatrec.collab.interactions import (
    InteractionsError,
    ItemResolver,
    imdb_number,
    load_baskets,
    load_interactions,
    load_ratings,
    load_redial_dialogues,
    load_redial_text,
    normalize_title,
    sniff_format,
)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
BUNDLED = REPO / "data" / "collab" / "redial_comentions"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    items = [
        Item(id="1", title="Back to the Future", year=1985, metadata={"imdb_id": "tt0088763"}),
        Item(id="2", title="The Matrix", year=1999, metadata={"imdb_id": "tt0133093"}),
        Item(id="3", title="Amélie", year=2001, metadata={"imdb_id": "tt0211915"}),
        Item(id="4", title="Love & Basketball", year=2000),
        Item(id="5", title="Alien", year=1979, metadata={"imdb_id": "tt0078748"}),
        Item(id="6", title="Alien", year=1992),  # not the same film: a title alone is ambiguous
        Item(id="7", title="Heat", year=1995, metadata={"imdb_id": "tt0113277"}),
    ]
    return Catalog(items, name="tiny")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ matching


def test_normalize_title_and_imdb_numbers():
    assert normalize_title("Matrix, The") == normalize_title("the matrix") == "the matrix"
    assert normalize_title("Amelie") == normalize_title("Amélie")
    assert normalize_title("Love and Basketball") == normalize_title("Love & Basketball")
    assert imdb_number("tt0088763") == imdb_number("0088763") == imdb_number("88763") == imdb_number(88763) == 88763
    assert imdb_number("88763.0") == 88763 and imdb_number("n/a") is None and imdb_number(None) is None


def test_resolver_titles_years_and_ambiguity(catalog):
    r = ItemResolver(catalog)
    assert r.resolve("2") == "2"
    assert r.resolve("Matrix, The (1999)") == "2"
    assert r.resolve("the matrix") == "2"  # unique title, no year needed
    assert r.resolve("Amelie (2001)") == "3"
    assert r.resolve("Love and Basketball (2000)") == "4"
    assert r.resolve("Back to the Future (1986)") == "1"  # a year off by one, single candidate
    assert r.resolve("Alien (1979)") == "5"
    assert r.resolve("Alien") is None  # two Aliens: do not guess
    assert r.resolve("Heat (1985)") is None  # wrong year
    assert r.resolve({"title": "Heat", "year": 1995}) == "7"
    assert r.by_imdb("113277") == "7"


# ------------------------------------------------------------------ baskets


def test_load_baskets_keys_titles_and_report(tmp_path, catalog):
    path = write(tmp_path, "b.jsonl", "\n".join([
        json.dumps({"items": ["1", "The Matrix (1999)", "1"]}),
        json.dumps({"basket": [2, "Unknown Film (2020)"]}),
        "",
        json.dumps({"session": ["Nope", "Nope either"]}),
        json.dumps(["Heat (1995)", "Alien (1979)"]),
    ]) + "\n")
    inter = load_baskets(path, catalog)
    assert inter.baskets == [["1", "2"], ["2"], ["7", "5"]]
    rep = inter.report
    assert (rep.total, rep.mapped, rep.unmapped) == (9, 6, 3)  # references, duplicates included
    assert rep.examples_unmapped[0] in {"Unknown Film (2020)", "Nope", "Nope either"}
    assert set(rep.examples_unmapped) == {"Unknown Film (2020)", "Nope", "Nope either"}
    assert rep.baskets == 3 and rep.empty_baskets == 1
    assert "6 of 9" in rep.summary()
    assert sniff_format(path) == "baskets"
    assert load_interactions(path, catalog).baskets == inter.baskets


@pytest.mark.parametrize("content, message", [
    ('{"items": ["1"]}\n{"items": ["2"\n', "line 2: invalid JSON"),
    ('{"items": ["1"]}\n{"things": ["2"]}\n', "line 2: no basket found"),
    ('{"items": "1, 2"}\n', "line 1: 'items' must be a list"),
    ('"just a string"\n', "line 1: expected an object"),
])
def test_load_baskets_errors_name_file_and_line(tmp_path, catalog, content, message):
    path = write(tmp_path, "bad.jsonl", content)
    with pytest.raises(InteractionsError) as info:
        load_baskets(path, catalog)
    assert str(path) in str(info.value) and message in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path, catalog):
    with pytest.raises(InteractionsError, match="does not exist"):
        load_interactions(tmp_path / "nope.jsonl", catalog)


# ------------------------------------------------------------------ ratings


RATINGS = """userId,movieId,rating,timestamp
u1,10,5.0,100
u1,20,4.0,200
u1,30,2.0,300
u1,99,4.5,400
u2,20,4.0,100
u2,30,4.0,5000000
u2,40,3.5,5000100
u3,10,1.0,100
"""
LINKS = """movieId,imdbId,tmdbId
10,0088763,105
20,0133093,603
30,211915,194
40,0113277,949
99,9999999,1
"""


def test_load_ratings_with_links_threshold_and_windows(tmp_path, catalog):
    ratings = write(tmp_path, "ratings.csv", RATINGS)
    links = write(tmp_path, "links.csv", LINKS)
    inter = load_ratings(ratings, catalog, links=links)
    assert sorted(inter.baskets) == [["1", "2"], ["2", "3"]]
    rep = inter.report
    assert rep.skipped_rows == 3  # 2.0, 3.5, 1.0 are below 4.0
    assert (rep.total, rep.mapped, rep.unmapped) == (5, 4, 1)
    assert rep.examples_unmapped == ["99 (imdb 9999999)"]
    assert rep.empty_baskets == 0 and rep.baskets == 2  # u3 had no positive at all
    # a threshold of None makes every row a positive event
    assert sorted(load_ratings(ratings, catalog, links=links, threshold=None).baskets) == [["1"], ["1", "2", "3"], ["2", "3", "7"]]
    # one-day windows split u2's positives: 100 and 5,000,000 seconds are far apart
    windowed = load_ratings(ratings, catalog, links=links, window_seconds=86400)
    assert sorted(windowed.baskets) == [["1", "2"], ["2"], ["3"]]
    assert load_interactions(ratings, catalog, links=links).baskets == inter.baskets


def test_load_ratings_without_links_matches_ids_and_titles(tmp_path, catalog):
    path = write(tmp_path, "events.csv", "user,item\na,1\na,The Matrix (1999)\nb,Heat (1995)\nb,Zzz\n")
    inter = load_ratings(path, catalog)  # no rating column: every row is a positive event
    assert sorted(inter.baskets) == [["1", "2"], ["7"]]
    assert inter.report.examples_unmapped == ["Zzz"]


@pytest.mark.parametrize("content, message", [
    ("userId,movieId,rating\nu1,10,five\n", "line 2: rating 'five'"),
    ("userId,movieId,rating\nu1,10,4.0,77,88\n", "line 2: more values than header columns"),
    ("userId,movieId,rating\n,10,4.0\n", "line 2: empty user value"),
    ("who,what,rating\nu1,10,4.0\n", "no user column found"),
    ("", "no header row"),
])
def test_load_ratings_errors(tmp_path, catalog, content, message):
    path = write(tmp_path, "r.csv", content)
    with pytest.raises(InteractionsError) as info:
        load_ratings(path, catalog)
    assert str(path) in str(info.value) and message in str(info.value)


# ------------------------------------------------------------------ ReDial


def test_load_redial_dialogues_raw_and_turn_merged(tmp_path, catalog):
    raw = {"conversationId": 1, "movieMentions": {"2": "The Matrix (1999)", "777": "Alien (1979)", "888": "Nothing (2001)"},
           "messages": [{"text": "hi, seen @777 ?", "senderWorkerId": 1, "messageId": 1},
                        {"text": "yes, and @2 and @1", "senderWorkerId": 2, "messageId": 2},
                        {"text": "@2 again, and @888", "senderWorkerId": 1, "messageId": 3}]}
    merged = {"conversationId": 2, "movieMentions": {"7": "Heat (1995)"},
              "messages": [{"text": "try @7", "senderWorkerId": 5, "turn_id": 0}]}
    path = write(tmp_path, "d.jsonl", json.dumps(raw) + "\n" + json.dumps(merged) + "\n")
    inter = load_redial_dialogues(path, catalog)
    # order of first mention; 777 is not a catalog id but its title maps; 888 maps to nothing
    assert inter.baskets == [["5", "2", "1"], ["7"]]
    assert inter.report.examples_unmapped == ["@888 Nothing (2001)"]
    assert sniff_format(path) == "redial"
    bad = write(tmp_path, "bad.jsonl", json.dumps(raw) + "\n" + json.dumps({"text": "no messages"}) + "\n")
    with pytest.raises(InteractionsError, match=r"bad\.jsonl line 2: not a ReDial dialogue"):
        load_redial_dialogues(bad, catalog)


def test_load_redial_text(tmp_path, catalog):
    rows = [{"text": "...", "movie_ids_recovered": ["1", "555"], "movie_names_recovered": ["x", "Heat (1995)"]},
            {"text": "...", "movie_ids_recovered": ["2", "556"], "movie_names_recovered": ["The Matrix (1999)"]}]
    path = write(tmp_path, "t.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    inter = load_redial_text(path, catalog)
    # names are used only when they line up with the ids (the second row drops one)
    assert inter.baskets == [["1", "7"], ["2"]]
    assert inter.report.unmapped == 1
    assert sniff_format(path) == "redial_text"


# ------------------------------------------------------------------ model maths

# a:4 baskets, b:3, c:2, d:1;  c_ab=2, c_ac=2, c_bc=1, c_bd=1, c_ad=0
TINY = [["a", "b", "c"], ["a", "b"], ["a", "c"], ["a"], ["b", "d"]]


def test_counts_popularity_and_support():
    m = ItemItemModel.build(TINY, shrink=0.0)
    assert len(m) == 4 and m.n_baskets == 5
    assert [m.count(x) for x in "abcd"] == [4, 3, 2, 1]
    assert m.support("a", "b") == m.support("b", "a") == 2
    assert m.support("a", "c") == 2 and m.support("b", "c") == 1 and m.support("b", "d") == 1
    assert m.support("a", "d") == 0 and m.support("a", "a") == 0 and m.support("a", "zz") == 0
    assert m.popularity("a") == 1.0
    assert m.popularity("d") == pytest.approx(math.log(2) / math.log(5))
    assert m.popularity("zz") == 0.0
    assert [i for i, _ in m.top_popular(2)] == ["a", "b"]
    assert [i for i, _ in m.top_popular(2, exclude=["a"])] == ["b", "c"]


def test_cosine_with_shrinkage_exact_values():
    m = ItemItemModel.build(TINY, shrink=1.0)
    # s_ab = 2 / (sqrt(4*3) + 1), s_ac = 2 / (sqrt(8) + 1), s_bc = 1 / (sqrt(6) + 1), s_bd = 1 / (sqrt(3) + 1)
    s_ab, s_ac = 2 / (math.sqrt(12) + 1), 2 / (math.sqrt(8) + 1)
    s_bc, s_bd = 1 / (math.sqrt(6) + 1), 1 / (math.sqrt(3) + 1)
    assert m.neighbors("a", 10) == [("c", pytest.approx(s_ac)), ("b", pytest.approx(s_ab))]
    assert m.neighbors("b", 10) == [("a", pytest.approx(s_ab)), ("d", pytest.approx(s_bd)), ("c", pytest.approx(s_bc))]
    assert m.neighbors("b", 1) == [("a", pytest.approx(s_ab))]
    assert m.neighbors("d", 10) == [("b", pytest.approx(s_bd))]
    assert m.neighbors("zz", 5) == []
    scores = m.score_candidates(["a", "d"], [1.0, 0.5])
    assert scores == {"b": pytest.approx(s_ab + 0.5 * s_bd), "c": pytest.approx(s_ac)}
    assert m.score_candidates(["a", "b"], [1.0, -1.0]) == {"c": pytest.approx(s_ac - s_bc), "d": pytest.approx(-s_bd)}
    with_seeds = m.score_candidates(["a", "b"], exclude_seeds=False)
    assert with_seeds["a"] == pytest.approx(s_ab) and with_seeds["b"] == pytest.approx(s_ab)
    assert m.score_candidates(["unknown"]) == {}
    # recommend: co-occurrence + popularity prior, seeds and exclusions left out
    rec = m.recommend(["b"], 2, pop_weight=1.0)
    assert [i for i, _ in rec] == ["a", "c"]
    assert rec[0][1] == pytest.approx(s_ab + 1.0)
    assert [i for i, _ in m.recommend([], 2)] == ["a", "b"]  # cold start: popularity order


def test_other_similarities_and_top_n_and_min_support():
    m = ItemItemModel.build(TINY, shrink=0.0, top_n=1)
    assert m.neighbors("a", 10) == [("c", pytest.approx(2 / math.sqrt(8)))]
    assert m.support("b", "a") == 2  # pruning the neighbours keeps the raw counts
    j = m.rebuild(similarity="jaccard", top_n=100)
    assert dict(j.neighbors("a", 10)) == {"b": pytest.approx(2 / 5), "c": pytest.approx(2 / 4)}
    cond = m.rebuild(similarity="conditional", top_n=100, shrink=1.0)
    assert dict(cond.neighbors("c", 10)) == {"a": pytest.approx(2 / 3), "b": pytest.approx(1 / 3)}
    asym = m.rebuild(alpha=1.0, top_n=100)  # c_ij / n_i
    assert dict(asym.neighbors("d", 10)) == {"b": pytest.approx(1.0)}
    pmi = m.rebuild(similarity="pmi", top_n=100, shrink=0.0)
    assert dict(pmi.neighbors("d", 10)) == {"b": pytest.approx(math.log(5 / 3))}
    assert "a" not in dict(pmi.neighbors("b", 10))  # PMI(a, b) = log(10/12) < 0: dropped
    strict = m.rebuild(min_support=2, top_n=100)
    assert dict(strict.neighbors("b", 10)).keys() == {"a"}
    with pytest.raises(CollabModelError, match="similarity"):
        ItemItemModel.build(TINY, similarity="magic")
    with pytest.raises(CollabModelError, match="no baskets"):
        ItemItemModel.build([[], []])


def same_neighbours(a, b) -> bool:
    return [i for i, _ in a] == [i for i, _ in b] and [s for _, s in a] == pytest.approx([s for _, s in b])


def test_merge_equals_building_from_all_baskets():
    left, right = TINY[:2], TINY[2:] + [["e", "a"]]
    merged = ItemItemModel.build(left, shrink=1.0).merge(ItemItemModel.build(right, shrink=1.0))
    whole = ItemItemModel.build(left + right, shrink=1.0)
    assert merged.n_baskets == whole.n_baskets == 6
    for x in whole.ids:
        assert merged.count(x) == whole.count(x)
        assert same_neighbours(merged.neighbors(x, 10), whole.neighbors(x, 10))
    assert merged.support("a", "e") == 1


def test_save_load_round_trip(tmp_path):
    m = ItemItemModel.build(TINY, shrink=1.0, alpha=0.4)
    npz, js = m.save(tmp_path / "model", meta={"note": "tiny"})
    assert npz.name == "model.npz" and js.name == "model.json"
    header = json.loads(js.read_text())
    assert header["ids"] == m.ids and header["params"]["alpha"] == 0.4
    with np.load(npz, allow_pickle=False) as data:  # plain arrays, no pickled objects
        assert all(data[k].dtype != object for k in data.files)
    for path in (tmp_path / "model", npz, js):
        back = ItemItemModel.load(path)
        assert len(back) == len(m) and back.params == m.params and back.meta == {"note": "tiny"}
        for x in m.ids:
            assert same_neighbours(back.neighbors(x, 10), m.neighbors(x, 10))
            assert back.popularity(x) == pytest.approx(m.popularity(x))
            for y in m.ids:
                assert back.support(x, y) == m.support(x, y)
    # without the co-counts: smaller, support still exact for kept neighbour pairs, no merge
    m.save(tmp_path / "slim", full_counts=False)
    slim = ItemItemModel.load(tmp_path / "slim")
    assert slim.support("a", "b") == 2 and slim.support("a", "d") == 0
    with pytest.raises(CollabModelError, match="co-counts"):
        slim.merge(m)
    with pytest.raises(CollabModelError, match="does not exist"):
        ItemItemModel.load(tmp_path / "absent")
    (tmp_path / "broken.json").write_text('{"format": "something else", "version": 1}')
    (tmp_path / "broken.npz").write_bytes(npz.read_bytes())
    with pytest.raises(CollabModelError, match="not a chatrec co-occurrence model"):
        ItemItemModel.load(tmp_path / "broken")


# ------------------------------------------------------------------ the bundled model


@pytest.fixture(scope="module")
def bundled_catalog() -> Catalog:
    return load_bundled_catalog()


def test_bundled_model_loads_and_has_sensible_neighbours(bundled_catalog):
    model = ItemItemModel.load(BUNDLED)
    assert len(model) > 5000 and model.n_baskets > 9000
    assert (BUNDLED.with_suffix(".npz").stat().st_size + BUNDLED.with_suffix(".json").stat().st_size) < 5_000_000
    assert all(iid in bundled_catalog for iid in model.ids)
    sources = " ".join(model.sources)
    assert "train_text_8604" in sources and "dev_c_869" in sources
    assert "dev_a" not in sources and "dev_b" not in sources
    assert {"pop_weight", "decay"} <= set(model.meta["blend"])
    shining = "202190"  # The Shining (1980)
    assert bundled_catalog[shining].title == "The Shining"
    neighbours = [bundled_catalog[i] for i, _ in model.neighbors(shining, 10)]
    assert sum("horror" in item.genres for item in neighbours) >= 7
    best = neighbours[0].id
    assert model.support(shining, best) >= 10
    top = [bundled_catalog[i].title for i, _ in model.top_popular(30)]
    assert len(set(top)) >= 25


# ------------------------------------------------------------------ MovieLens end to end


@pytest.mark.skipif(not (SHARED / "movielens_small").is_dir(),
                    reason=f"shared MovieLens data not found at {SHARED / 'movielens_small'}")
def test_movielens_ratings_onto_bundled_catalog(bundled_catalog):
    ml = SHARED / "movielens_small"
    inter = load_ratings(ml / "ratings.csv", bundled_catalog, links=ml / "links.csv")
    rep = inter.report
    assert rep.total + rep.skipped_rows == 100_836
    assert rep.mapped / rep.total > 0.8 and rep.baskets > 600
    assert rep.unmapped > 0 and rep.examples_unmapped
    model = ItemItemModel.from_interactions(inter)
    toy_story = ItemResolver(bundled_catalog).by_imdb("tt0114709")
    assert bundled_catalog[toy_story].title == "Toy Story"
    labels = [bundled_catalog[i].title for i, _ in model.neighbors(toy_story, 20)]
    assert "Toy Story 2" in labels
    assert model.support(toy_story, ItemResolver(bundled_catalog).by_imdb("tt0120363")) >= 20  # Toy Story 2


# ------------------------------------------------------------------ the collaborative signal in the ranking


@pytest.fixture(scope="module")
def collab_bot(tmp_path_factory):
    """The 300-movie fixture catalog, the hash embedder and a small seeded co-occurrence model over it."""
    from chatrec.testing.bots import make_bot

    cat = load_catalog(REPO / "tests" / "fixtures" / "movies_300.jsonl")
    ids = cat.ids
    rng = np.random.default_rng(7)
    baskets = [list(rng.choice(ids[:120], size=int(rng.integers(2, 7)), replace=False)) for _ in range(400)]
    model = ItemItemModel.build(baskets)
    return make_bot(catalog=cat, embedder="hash", collab=model, explain=False, top_k=10,
                    home=tmp_path_factory.mktemp("collabbot"))


def _rank(bot, state, k=10, **weights):
    from chatrec.dialogue.recommend import RankWeights

    bot.recommender.weights = RankWeights(**weights)
    return bot.recommender.rank(state, k=k)


def test_ranking_can_reproduce_the_comention_baseline(collab_bot):
    """With the content parts off, the collab part (seed_decay, collab_prior = the baseline's blend) is
    the co-mention baseline's own score: same top 10 in the same order."""
    from chatrec.dialogue.state import InterestState
    from chatrec.eval.baselines import CoMentionBaseline

    model = collab_bot.recommender.collab
    ctx = [model.ids[i] for i in (3, 11, 27)]
    state = InterestState(mentioned=ctx, recent_messages=["something fun to watch tonight"])
    off = dict(similarity=0, genre=0, person=0, item_similarity=0, keyword=0, popularity=0, mmr_lambda=0)
    picks = _rank(collab_bot, state, seed_decay=0.7, collab_prior=0.1, collab=1.0, **off)
    baseline = CoMentionBaseline(model, pop_weight=0.1, decay=0.7, catalog=collab_bot.catalog).rank(ctx, [], 10)
    assert [p.item.id for p in picks] == baseline
    assert picks[0].parts["collab"] == pytest.approx(1.0, abs=1e-3)


def test_seedless_turns_pool_the_popular_items_of_liked_genres(collab_bot):
    """No co-occurrence seed yet (text only): `cold_pool` puts the best-known items of the liked genre
    in the pool and `popularity_cold` weighs their popularity."""
    from chatrec.dialogue.schema import Preference
    from chatrec.dialogue.state import InterestState

    model = collab_bot.recommender.collab
    genre = collab_bot.catalog[model.top_popular(1)[0][0]].genres[0]
    popular = [i for i, _ in model.top_popular(len(model)) if genre in collab_bot.catalog[i].genres][:3]
    state = InterestState(prefs=[Preference(kind="genre", value=genre, label=genre)], recent_messages=[f"a {genre} movie"])
    picks = _rank(collab_bot, state, cold_pool=10, popularity_cold=5.0, popularity=0.25, mmr_lambda=0.0)
    assert [model.popularity(p.item.id) for p in picks[:3]] == pytest.approx([model.popularity(i) for i in popular])
    assert picks[0].item.id == popular[0]
    signals = len(state.prefs)
    assert picks[0].parts["popularity"] == pytest.approx(5.0 * model.popularity(popular[0]) / (1 + 0.3 * signals), abs=1e-3)
    assert "collab" not in picks[0].parts
    # popularity_cold only applies without seeds: with a known seed the usual popularity weight is back
    seeded = InterestState(prefs=state.prefs, recent_messages=state.recent_messages, mentioned=[model.ids[5]])
    pick = next(p for p in _rank(collab_bot, seeded, k=40, cold_pool=10, popularity_cold=5.0, popularity=0.25)
                if "popularity" in p.parts)
    expected = 0.25 * model.popularity(pick.item.id) / (1 + 0.3 * (len(seeded.prefs) + 1))
    assert pick.parts["popularity"] == pytest.approx(expected, abs=1e-3)


def test_seedless_popularity_counts_only_among_items_with_a_liked_theme(collab_bot):
    """"a heist flick" with no seed yet: the cold popularity weight goes to items that have the theme, as it goes
    to items of a liked genre; a famous film without it keeps the usual small prior (found in the Python API:
    "It" and "Black Panther" were the first heist picks)."""
    from chatrec.dialogue.schema import Preference
    from chatrec.dialogue.state import InterestState

    model = collab_bot.recommender.collab
    state = InterestState(prefs=[Preference(kind="keyword", value="zombie", label="zombie", weight=0.8)],
                          recent_messages=["something with zombies"])
    picks = _rank(collab_bot, state, k=40, cold_pool=10, popularity_cold=5.0, popularity=0.25, mmr_lambda=0.0)
    signals = len(state.prefs)
    themed = [p for p in picks if "keyword" in p.parts and model.popularity(p.item.id) > 0]
    plain = [p for p in picks if "keyword" not in p.parts and model.popularity(p.item.id) > 0]
    assert themed and plain
    for p in themed:
        assert p.parts["popularity"] == pytest.approx(5.0 * model.popularity(p.item.id) / (1 + 0.3 * signals), abs=1e-3)
    for p in plain:
        assert p.parts["popularity"] == pytest.approx(0.25 * model.popularity(p.item.id) / (1 + 0.3 * signals), abs=1e-3)
    assert "keyword" in picks[0].parts
