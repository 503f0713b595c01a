"""The evaluation harness: the ReDial protocol, metrics, baselines, simulated users, the report."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from chatrec.eval.redial import (ChatRecSystem, evaluate, iter_samples, metrics_for_ranks, parse_dialogue,
                                 rank_of, read_dialogues)

FIXTURES = Path(__file__).parent / "fixtures"
LABELS = {"1": "Alien (1979)", "2": "Aliens (1986)", "3": "Heat (1995)", "4": "Up (2009)"}


def _msg(i, sender, text):
    return {"messageId": i, "timeOffset": i, "senderWorkerId": sender, "text": text}


DIALOGUES = [
    {"conversationId": 1, "initiatorWorkerId": 1, "respondentWorkerId": 2,
     "movieMentions": {"1": "Alien (1979)", "2": "Aliens (1986)", "3": "Heat (1995)", "99": "Unknown Film  (2000)"},
     "messages": [_msg(1, 1, "hi"), _msg(2, 1, "I love @1"), _msg(3, 2, "have you seen @2 ?"), _msg(4, 2, "or @1"),
                  _msg(5, 1, "yes @2 is great"), _msg(6, 2, "then try @3 and @99")]},
    {"conversationId": 2, "initiatorWorkerId": 10, "respondentWorkerId": 20, "movieMentions": {"4": "Up (2009)"},
     "messages": [_msg(7, 20, "hello, what do you like?"), _msg(8, 10, "comedies"), _msg(9, 20, "@4 is fun")]},
]


@pytest.fixture
def redial_file(tmp_path):
    path = tmp_path / "tiny_redial.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in DIALOGUES) + "\n", encoding="utf-8")
    return path


class StubSystem:
    """Always the same ranking; records what the harness shows it."""

    def __init__(self, name="stub", ranking=("3", "2", "4", "1")):
        self.name = name
        self.ranking = list(ranking)
        self.log = []

    def begin(self, dialogue_id):
        self.log.append(("begin", dialogue_id))

    def seeker(self, text, item_ids):
        self.log.append(("seeker", text, list(item_ids)))

    def recommender(self, text, item_ids):
        self.log.append(("recommender", text, list(item_ids)))

    def rank(self, context, history, k):
        self.log.append(("rank", list(context), len(history)))
        return self.ranking

    def end(self):
        self.log.append(("end",))


# ---------------------------------------------------------------------------- protocol

def test_turns_are_merged_and_mentions_replaced(redial_file):
    records = read_dialogues(redial_file)
    d = parse_dialogue(records[0], LABELS)
    assert [t.role for t in d.turns] == ["seeker", "recommender", "seeker", "recommender"]
    assert d.turns[0].text == "hi I love Alien (1979)"
    assert d.turns[1].text == "have you seen Aliens (1986) ? or Alien (1979)"
    assert d.turns[1].item_ids == ["2", "1"]
    assert d.turns[3].text == "then try Heat (1995) and Unknown Film (2000)"  # unknown id: the mention's name
    assert d.turns[3].item_ids == ["3"] and d.unknown_mentions == 1
    samples = [s for _, group in iter_samples(d) for s in group]
    assert [(s.target, s.new, s.context) for s in samples] == [
        ("2", True, ["1"]), ("1", False, ["1"]), ("3", True, ["1", "2"])]


def test_read_dialogues_limit_and_errors(redial_file, tmp_path):
    assert len(read_dialogues(redial_file, limit=1)) == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": []}\n{oops\n')
    with pytest.raises(Exception, match="line 1"):
        read_dialogues(bad)  # no initiatorWorkerId
    with pytest.raises(Exception, match="does not exist"):
        read_dialogues(tmp_path / "missing.jsonl")


def test_exact_counts_and_metrics_from_a_stub_ranking(redial_file):
    stub = StubSystem()
    result = evaluate(read_dialogues(redial_file), [stub], labels=LABELS)
    assert result["n_dialogues"] == 2 and result["n_turns_scored"] == 3 and result["unknown_mentions"] == 1
    all_, new = result["conditions"]["all"], result["conditions"]["new"]
    assert all_["n"] == 4 and new["n"] == 3
    # ranks: target 2 -> 1, target 1 -> 3, target 3 -> 0, target 4 -> 2
    assert all_["recall@1"] == pytest.approx(1 / 4)
    assert all_["recall@5"] == all_["recall@10"] == all_["recall@20"] == pytest.approx(1.0)
    assert all_["ndcg@10"] == pytest.approx((1 / math.log2(3) + 1 / math.log2(5) + 1 + 1 / math.log2(4)) / 4)
    assert all_["mrr"] == pytest.approx((1 / 2 + 1 / 4 + 1 + 1 / 3) / 4)
    assert new["recall@1"] == pytest.approx(1 / 3)
    assert new["ndcg@10"] == pytest.approx((1 / math.log2(3) + 1 + 1 / 2) / 3)
    assert new["mrr"] == pytest.approx((1 / 2 + 1 + 1 / 3) / 3)
    # the system saw the dialogue before each scored turn, and only that
    log = stub.log
    assert log[:4] == [("begin", "1"), ("seeker", "hi I love Alien (1979)", ["1"]), ("rank", ["1"], 1),
                       ("recommender", "have you seen Aliens (1986) ? or Alien (1979)", ["2", "1"])]
    assert ("rank", ["1", "2"], 3) in log
    assert log[-5:] == [("recommender", "hello, what do you like?", []), ("seeker", "comedies", []),
                        ("rank", [], 2), ("recommender", "Up (2009) is fun", ["4"]), ("end",)]


def test_all_systems_scored_on_the_same_samples(redial_file):
    a, b = StubSystem("a"), StubSystem("b", ranking=["9"] * 20)
    result = evaluate(read_dialogues(redial_file), [a, b], labels=LABELS)
    assert result["systems"]["a"]["conditions"]["all"]["n"] == result["systems"]["b"]["conditions"]["all"]["n"] == 4
    assert result["systems"]["b"]["conditions"]["all"]["recall@20"] == 0.0
    assert result["conditions"] == result["systems"]["a"]["conditions"]


def test_metrics_maths():
    assert rank_of("x", ["a", "x"]) == 1 and rank_of("x", ["a"] * 20 + ["x"]) is None
    m = metrics_for_ranks([0, 4, 9, 19, None])
    assert m["n"] == 5
    assert m["recall@1"] == pytest.approx(0.2) and m["recall@5"] == pytest.approx(0.4)
    assert m["recall@10"] == pytest.approx(0.6) and m["recall@20"] == pytest.approx(0.8)
    assert m["ndcg@10"] == pytest.approx((1 + 1 / math.log2(6) + 1 / math.log2(11)) / 5)
    assert m["mrr"] == pytest.approx((1 + 1 / 5 + 1 / 10 + 1 / 20) / 5)
    assert metrics_for_ranks([])["recall@10"] == 0.0


# ---------------------------------------------------------------------------- baselines

def test_baselines_leave_out_context_and_are_seeded():
    from chatrec.collab.cooccurrence import ItemItemModel
    from chatrec.eval.baselines import CoMentionBaseline, PopularityBaseline, RandomBaseline

    model = ItemItemModel.build([["a", "b"], ["a", "b"], ["a", "c"], ["d"], ["b", "c"]])
    assert PopularityBaseline(model).rank(["a"], [], 2) == ["b", "c"]
    co = CoMentionBaseline(model, pop_weight=0.0, decay=1.0)
    assert co.rank(["a"], [], 3)[0] == "b" and "a" not in co.rank(["a"], [], 3)
    r1 = RandomBaseline(list("abcdefgh"), seed=3).rank(["a"], [], 5)
    assert r1 == RandomBaseline(list("abcdefgh"), seed=3).rank(["a"], [], 5) and "a" not in r1 and len(r1) == 5


# ---------------------------------------------------------------------------- chatrec, simulate, report

@pytest.fixture(scope="module")
def fixture_bot(tmp_path_factory):
    from chatrec.testing.bots import make_bot

    return make_bot(catalog=FIXTURES / "movies_300.jsonl", embedder="hash", collab=None, explain=False, top_k=10,
                    home=tmp_path_factory.mktemp("evalbot"))


def test_chatrec_system_on_the_fixture_catalog(fixture_bot, tmp_path):
    ids = fixture_bot.catalog.ids[:3]
    dialogue = {"conversationId": 5, "initiatorWorkerId": 1, "respondentWorkerId": 2, "movieMentions": {},
                "messages": [_msg(1, 1, "I want an action movie like @%s" % ids[0]), _msg(2, 2, "try @%s" % ids[1]),
                             _msg(3, 1, "seen it, something else"), _msg(4, 2, "then @%s" % ids[2])]}
    labels = {i.id: i.label for i in fixture_bot.catalog}
    system = ChatRecSystem(fixture_bot)
    seen_rankings = []
    result = evaluate([dialogue], [system, StubSystem()], labels=labels,
                      on_sample=lambda d, i, s, r: seen_rankings.append(r["chatrec"]))
    assert result["conditions"]["all"]["n"] == 2 and result["conditions"]["new"]["n"] == 2
    assert len(seen_rankings) == 2 and all(len(r) == 20 for r in seen_rankings)
    assert ids[0] not in seen_rankings[0] and not set(ids[:2]) & set(seen_rankings[1])  # mentioned: never re-ranked


def test_simulated_users_on_the_fixture_catalog(fixture_bot):
    from chatrec.eval.simulate import make_users, simulate

    users = make_users(fixture_bot.catalog, 6, seed=1, turns=3)
    assert len(users) == 6 and all(u.attributes for u in users)
    assert users[0].message(0).startswith("I'm looking for")
    assert users[0].message(1).startswith("Not that one, something")
    sim = simulate(fixture_bot, users, turns=3)
    assert sim["n"] == 6 and set(sim["by_turn"]) == {"success@1", "success@5", "success@10"}
    for values in sim["by_turn"].values():
        assert len(values) == 3 and all(0.0 <= v <= 1.0 for v in values) and values == sorted(values)
    assert sim["by_turn"]["success@1"][-1] <= sim["by_turn"]["success@10"][-1]


def test_report_files_written(redial_file, tmp_path):
    from chatrec.eval.report import redial_table, write_report

    result = evaluate(read_dialogues(redial_file), [StubSystem("chatrec"), StubSystem("random", ["9"])], labels=LABELS)
    result["simulation"] = {"n": 2, "turns": 2, "by_turn": {"success@1": [0.0, 0.5], "success@5": [0.5, 1.0]}}
    out = tmp_path / "res.json"
    out.write_text(json.dumps(result))
    files = write_report(result, out)
    assert files["markdown"] == tmp_path / "res.md" and files["png"] == tmp_path / "res.png"
    text = files["markdown"].read_text()
    assert "| chatrec | new | 3 |" in text and "Simulated users" in text and "res.png" in text
    assert files["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "recall@10" in redial_table(result, markdown_table=False)


def test_simulate_cli_on_any_catalog(tmp_path):
    from chatrec.eval_cli import main

    out = tmp_path / "sim.json"
    code = main(["simulate", "--catalog", str(FIXTURES / "movies_300.jsonl"), "--embedder", "hash", "--n", "3",
                 "--turns", "2", "--out", str(out), "--home", str(tmp_path / "home"), "--quiet"])
    assert code == 0
    data = json.loads(out.read_text())
    assert data["simulation"]["n"] == 3 and len(data["simulation"]["by_turn"]["success@10"]) == 2
    assert (tmp_path / "sim.md").exists() and (tmp_path / "sim.png").exists()
