"""Tune chatrec's ranking weights (RankWeights) on dev_a with the ReDial harness, llm="none".

    .venv/bin/python scripts/tune_weights.py [--data ../shared/data/redial_dev/dev_a_901.jsonl]
        [--limit 300] [--rounds 2] [--out data/rank_weights.json] [--dry-run]

Cost control: the dialogues are replayed once (pass 1, default weights, baselines beside); the
interest state at every scored recommender turn is cached, and every candidate weight setting
then only re-ranks the cached states (the extraction, which no weight touches, is not repeated).
Chroma answers are memoised, so only settings that move the interest vector (message_weight) or
the pool (pool_size) query again. The search is coordinate-wise: for each weight in turn, try a
few values around the current one, keep the best by "new" Recall@10 (ties: NDCG@10, then
Recall@20); repeat for `--rounds`. The search starts from the shipped weights (`--start bundled`)
or the built-in defaults; "defaults" in the figures are the starting point's.

Writes `{"weights": {...}, "tuned_on": "dev_a_901", "figures": {...}}` (figures = dev_a "new"
and "all" metrics of the defaults, the chosen weights and the baselines on the same samples,
plus the time taken). dev_b is not touched here; check it with `chatrec eval redial`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from chatrec.dialogue.recommend import RankWeights  # noqa: E402
from chatrec.eval.redial import metrics_for_ranks, rank_of  # noqa: E402

GRID = {  # kept small on purpose: each setting re-ranks every cached turn (~0.05 s a turn on 2 shared cores)
    "seed_decay": [0.5, 0.7, 0.85],
    "collab_prior": [0.0, 0.05, 0.1, 0.2],
    "popularity_cold": [0.5, 1.0, 2.0],
    "cold_pool": [0, 15, 30, 50],
    "mmr_lambda": [0.0, 0.05, 0.15],
    "collab": [0.3, 1.0, 1.6],
    "popularity": [0.1, 0.5],
    "similarity": [0.5, 1.5],
    "item_similarity": [0.25, 1.0],
    "genre": [0.15, 0.7],
    "message_weight": [0.3, 1.0],
}
ORDER = ["cold_pool", "popularity_cold", "seed_decay", "collab_prior", "mmr_lambda", "collab", "popularity",
         "similarity", "item_similarity", "genre", "message_weight"]


def replay(data: Path, limit: int | None, home: Path | None):
    """Pass 1: replay the dialogues once; cache (state, samples) at every scored turn."""
    import torch

    torch.set_num_threads(1)
    from chatrec.eval.redial import ChatRecSystem, evaluate, read_dialogues
    from chatrec.eval_cli import build_redial_run

    systems, catalog, bot = build_redial_run(llm="none", collab=True, baselines=True, home=home,
                                             weights=RankWeights())
    bot.recommender.index._memo = {}  # build_redial_run put a CachedIndex in front; memoise Chroma answers from here on (tuning re-ranks the same states)
    chat = next(s for s in systems if isinstance(s, ChatRecSystem))
    cache: list[tuple[object, list[tuple[str, bool]]]] = []

    def keep(dialogue, i, samples, rankings):
        cache.append((chat.state().model_copy(deep=True), [(s.target, s.new) for s in samples],
                      list(samples[0].context) if samples else []))

    records = read_dialogues(data, limit=limit)
    labels = {item.id: item.label for item in catalog}
    result = evaluate(records, systems, labels=labels, on_sample=keep)
    return result, cache, bot


def save_cache(path: Path, result: dict, cache) -> None:
    payload = {"result": result, "turns": [{"state": st.model_dump(mode="json"), "samples": smp, "context": ctx}
                                           for st, smp, ctx in cache]}
    path.write_text(json.dumps(payload), encoding="utf-8")


def load_cache(path: Path, home: Path | None):
    """Pass 1 from a file written by `save_cache` (and a fresh bot to re-rank with)."""
    import torch

    torch.set_num_threads(1)
    from chatrec.dialogue.state import InterestState
    from chatrec.eval_cli import build_redial_run

    payload = json.loads(path.read_text(encoding="utf-8"))
    _, _, bot = build_redial_run(llm="none", collab=True, baselines=False, home=home, weights=RankWeights())
    bot.recommender.index._memo = {}
    cache = [(InterestState.model_validate(t["state"]), [tuple(x) for x in t["samples"]], t.get("context", []))
             for t in payload["turns"]]
    return payload["result"], cache, bot


def score(bot, cache, weights: RankWeights) -> dict:
    rec = bot.recommender
    rec.weights = weights
    ranks = {"all": [], "new": []}
    for state, samples, _ in cache:
        ranking = [p.item.id for p in rec.rank(state, k=20)]
        for target, new in samples:
            r = rank_of(target, ranking)
            ranks["all"].append(r)
            if new:
                ranks["new"].append(r)
    return {cond: metrics_for_ranks(r) for cond, r in ranks.items()}


def key(m: dict) -> tuple:
    new = m["new"]
    return (round(new["recall@10"], 6), round(new["ndcg@10"], 6), round(new["recall@20"], 6))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "redial_dev" / "dev_a_901.jsonl")
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--out", type=Path, default=REPO / "data" / "rank_weights.json")
    parser.add_argument("--dry-run", action="store_true", help="print, do not write --out")
    parser.add_argument("--only", nargs="*", help="tune only these weights")
    parser.add_argument("--start", default="bundled", choices=("bundled", "defaults"),
                        help="start the search from data/rank_weights.json (default) or the built-in defaults")
    parser.add_argument("--cache", type=Path, help="save pass 1 (states, samples, baseline figures) here, or reuse it if it exists")
    args = parser.parse_args(argv)
    if "holdout" in str(args.data):
        raise SystemExit("refusing to tune on held-out data")

    started = time.perf_counter()
    if args.cache and args.cache.exists():
        result, cache, bot = load_cache(args.cache, args.home)
        replay_s = result.get("replay_seconds", 0.0)
    else:
        result, cache, bot = replay(args.data, args.limit, args.home)
        replay_s = result["replay_seconds"] = time.perf_counter() - started
        if args.cache:
            save_cache(args.cache, result, cache)
    print(f"pass 1: {result['n_dialogues']} dialogues, {len(cache)} scored turns in {replay_s:.0f} s", flush=True)
    for name, sysres in result["systems"].items():
        m = sysres["conditions"]
        print(f"  {name:12} new R@10 {m['new']['recall@10']:.4f} (n {m['new']['n']})  all R@10 {m['all']['recall@10']:.4f}")

    best_w = RankWeights.bundled() if args.start == "bundled" else RankWeights()
    t = time.perf_counter()
    best = score(bot, cache, best_w)
    print(f"{args.start} weights re-ranked from the cache: new R@10 {best['new']['recall@10']:.4f} "
          f"({time.perf_counter() - t:.0f} s)", flush=True)
    defaults = best
    tried = 1
    order = [n for n in ORDER if not args.only or n in args.only]
    for rnd in range(args.rounds):
        improved = False
        for name in order:
            for value in GRID[name]:
                if value == getattr(best_w, name):
                    continue
                cand = best_w.model_copy(update={name: value})
                t = time.perf_counter()
                m = score(bot, cache, cand)
                tried += 1
                mark = ""
                if key(m) > key(best):
                    best, best_w, improved, mark = m, cand, True, "  *"
                print(f"  round {rnd + 1} {name}={value}: new R@10 {m['new']['recall@10']:.4f} "
                      f"ndcg@10 {m['new']['ndcg@10']:.4f} R@20 {m['new']['recall@20']:.4f} "
                      f"({time.perf_counter() - t:.0f} s){mark}", flush=True)
        if not improved:
            break
    seconds = time.perf_counter() - started
    print(f"\nchosen: {best_w.model_dump()}")
    print(f"dev new R@10 {defaults['new']['recall@10']:.4f} -> {best['new']['recall@10']:.4f}; "
          f"{tried} settings in {seconds:.0f} s total")
    figures = {
        "data": args.data.name, "limit": args.limit, "n_dialogues": result["n_dialogues"],
        "scored_turns": len(cache), "llm": "none", "collab": "bundled",
        "objective": "new recall@10 (ties: ndcg@10, recall@20)",
        "start": args.start, "defaults": defaults, "chosen": best,
        "baselines": {name: s["conditions"] for name, s in result["systems"].items() if name != "chatrec"},
        "settings_tried": tried, "seconds": round(seconds, 1), "replay_seconds": round(replay_s, 1),
    }
    payload = {"weights": best_w.model_dump(), "tuned_on": args.data.stem, "figures": figures}
    if args.dry_run:
        print(json.dumps(payload, indent=2))
    else:
        args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
