"""Benchmark the collaborative signal: build times, query latency, and a quick quality figure.

Run from the repo root:  .venv/bin/python benchmarks/bench_collab.py [--grid] [--shared ../shared/data]

Prints
- build time of the bundled statistics (ReDial train text + dev_c, the files the bundle uses),
- build time from the MovieLens ratings (ratings.csv + links.csv onto the bundled catalog),
- build time on 100k synthetic baskets (scale check),
- neighbours / score_candidates latency,
- quality on dev_a_901 (raw ReDial, never used for the statistics): for every recommender turn
  that mentions movies, one sample per mentioned movie; rank all catalog items by co-occurrence
  with the movies mentioned earlier in the dialogue + a popularity prior, the context movies
  excluded; Recall@10/@50 on "new" targets (not mentioned earlier), plus popularity alone.
  `--grid` searches similarity / shrinkage / alpha / popularity weight / seed recency on dev_a
  (the tuning split) and prints the best; dev_b is not touched.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from chatrec.catalog import load_bundled_catalog  # noqa: E402
from chatrec.collab.cooccurrence import ItemItemModel  # noqa: E402
from chatrec.collab.interactions import ItemResolver, load_ratings, load_redial_dialogues, load_redial_text  # noqa: E402

_MENTION = re.compile(r"@(\d+)")
BUNDLED_SOURCES = ("redial_train_text/train_text_8604.jsonl", "redial_dev/dev_c_869_turnmerged.jsonl")


def dialogue_samples(path: Path) -> list[tuple[list[str], list[str]]]:
    """[(context ids in order of mention, target ids of one recommender turn)] for raw ReDial."""
    samples = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            dialogue = json.loads(line)
            recommender = dialogue.get("respondentWorkerId")
            turns: list[tuple[int, list[str]]] = []
            for message in dialogue["messages"]:
                ids = _MENTION.findall(message.get("text") or "")
                if turns and turns[-1][0] == message["senderWorkerId"]:
                    turns[-1][1].extend(ids)
                else:
                    turns.append((message["senderWorkerId"], list(ids)))
            context: list[str] = []
            for sender, ids in turns:
                ids = list(dict.fromkeys(ids))
                if sender == recommender and ids:
                    samples.append((list(context), ids))
                for iid in ids:
                    if iid not in context:
                        context.append(iid)
    return samples


def evaluate(model: ItemItemModel, samples, *, pop_weight: float, decay: float = 1.0, mean: bool = False,
             cooc: bool = True, ks=(10, 50)) -> dict[str, float]:
    """Recall@k over all and "new" targets; a target the model never saw counts as a miss."""
    pop = model.popularity_vector()
    hits = {("all", k): 0 for k in ks} | {("new", k): 0 for k in ks}
    n_all = n_new = 0
    kmax = max(ks)
    for context, targets in samples:
        seeds = [s for s in context if s in model.index]
        if cooc and seeds:
            weights = [decay ** (len(seeds) - 1 - p) for p in range(len(seeds))]
            if mean:
                total = sum(weights)
                weights = [w / total for w in weights]
            scores = model.score_vector(seeds, weights) + pop_weight * pop
        else:
            scores = pop.copy()
        banned = [model.index[s] for s in seeds]
        scores[banned] = -np.inf
        top = np.argpartition(-scores, kmax)[:kmax]
        top = top[np.argsort(-scores[top], kind="stable")]
        ranks = {model.ids[i]: r for r, i in enumerate(top)}
        for target in targets:
            is_new = target not in context
            n_all += 1
            n_new += is_new
            r = ranks.get(target)
            for k in ks:
                hit = r is not None and r < k
                hits[("all", k)] += hit
                hits[("new", k)] += hit and is_new
    out = {f"R@{k} {kind}": hits[(kind, k)] / (n_new if kind == "new" else n_all) for kind, k in hits}
    out["n_all"], out["n_new"] = n_all, n_new
    return out


def fmt(result: dict[str, float]) -> str:
    return (f"new R@10 {result['R@10 new']:.4f}  R@50 {result['R@50 new']:.4f}   "
            f"all R@10 {result['R@10 all']:.4f}  R@50 {result['R@50 all']:.4f}   "
            f"(n new {result['n_new']:,}, all {result['n_all']:,})")


def timed(fn, repeat: int = 1):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return value, best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--grid", action="store_true", help="tune the blend on dev_a (takes about a minute)")
    args = parser.parse_args(argv)
    shared = args.shared
    if not shared.is_dir():
        print(f"shared data folder {shared} is missing: nothing to benchmark")
        return 1

    catalog = load_bundled_catalog()
    resolver = ItemResolver(catalog)
    bundled_meta = json.loads((REPO / "data" / "collab" / "redial_comentions.json").read_text())["meta"] \
        if (REPO / "data" / "collab" / "redial_comentions.json").exists() else {}
    params = {k: v for k, v in bundled_meta.get("build_params", {}).items()}
    blend = bundled_meta.get("blend", {"pop_weight": 0.05, "decay": 1.0, "mean": False})

    # --- build times --------------------------------------------------------------------------
    (train, dev_c), load_s = timed(lambda: (load_redial_text(shared / BUNDLED_SOURCES[0], resolver),
                                            load_redial_dialogues(shared / BUNDLED_SOURCES[1], resolver)))
    model, build_s = timed(lambda: ItemItemModel.from_interactions(train, dev_c, **params), repeat=3)
    print(f"bundled statistics: load {load_s:.2f} s, build {build_s:.3f} s "
          f"({model.n_baskets:,} baskets, {len(model):,} items, {model._cocounts.nnz:,} pairs, params {model.params})")

    ml = shared / "movielens_small"
    ratings, ml_load_s = timed(lambda: load_ratings(ml / "ratings.csv", resolver, links=ml / "links.csv",
                                                    titles=ml / "movies.csv"))
    ml_model, ml_build_s = timed(lambda: ItemItemModel.from_interactions(ratings, **params))
    print(f"MovieLens ratings: load+map {ml_load_s:.2f} s ({ratings.report}); build {ml_build_s:.2f} s "
          f"({ml_model.n_baskets} baskets, {len(ml_model):,} items, {ml_model._cocounts.nnz:,} pairs)")
    windowed = load_ratings(ml / "ratings.csv", resolver, links=ml / "links.csv", titles=ml / "movies.csv",
                            window_seconds=30 * 86400)
    ml_w, ml_w_s = timed(lambda: ItemItemModel.from_interactions(windowed, **params))
    print(f"MovieLens ratings, 30-day windows: build {ml_w_s:.2f} s ({ml_w.n_baskets:,} baskets, {ml_w._cocounts.nnz:,} pairs)")

    rng = np.random.default_rng(0)
    ids = np.array(catalog.ids)
    weights = 1.0 / np.arange(1, len(ids) + 1) ** 0.8
    weights /= weights.sum()
    synthetic = [list(ids[rng.choice(len(ids), size=int(rng.integers(2, 12)), replace=False, p=weights)])
                 for _ in range(100_000)]
    syn_model, syn_s = timed(lambda: ItemItemModel.build(synthetic, **params))
    print(f"synthetic 100k baskets (2-11 items, Zipf): build {syn_s:.2f} s ({syn_model._cocounts.nnz:,} pairs)")

    # --- latency ------------------------------------------------------------------------------
    probe = [i for i, _ in model.top_popular(200)]
    start = time.perf_counter()
    for iid in probe:
        model.neighbors(iid, 20)
    nbr_us = (time.perf_counter() - start) / len(probe) * 1e6
    start = time.perf_counter()
    for p in range(len(probe) - 5):
        model.score_candidates(probe[p:p + 5])
    cand_us = (time.perf_counter() - start) / (len(probe) - 5) * 1e6
    start = time.perf_counter()
    for p in range(len(probe) - 5):
        model.support(probe[p], probe[p + 1])
    sup_us = (time.perf_counter() - start) / (len(probe) - 5) * 1e6
    saved = model.save(Path("/tmp") / f"bench_collab_{os.getpid()}")
    loaded, load_model_s = timed(lambda: ItemItemModel.load(saved[0]))
    for p in saved:
        p.unlink()
    print(f"latency: neighbors(k=20) {nbr_us:.1f} µs, score_candidates(5 seeds) {cand_us:.1f} µs, "
          f"support {sup_us:.1f} µs, load from disk {load_model_s * 1000:.1f} ms")

    # --- quality on dev_a ---------------------------------------------------------------------
    samples = dialogue_samples(shared / "redial_dev" / "dev_a_901.jsonl")
    print(f"\ndev_a_901: {len(samples):,} recommender turns with mentions")
    print(f"  popularity alone                  {fmt(evaluate(model, samples, pop_weight=1.0, cooc=False))}")
    print(f"  co-occurrence alone (cosine s=10) {fmt(evaluate(model.rebuild(similarity='cosine', shrink=10.0, alpha=0.5), samples, pop_weight=0.0))}")
    print(f"  chosen blend {model.params['similarity']} shrink={model.params['shrink']} alpha={model.params['alpha']} "
          f"pop_weight={blend['pop_weight']} decay={blend['decay']} mean={blend['mean']}")
    print(f"                                    {fmt(evaluate(model, samples, **blend))}")

    if args.grid:
        print("\ngrid on dev_a (new R@10, then new R@50):")
        results = []
        configs = [dict(similarity="cosine", shrink=s, alpha=a) for s, a in
                   itertools.product((0.0, 2.0, 5.0, 10.0, 20.0, 50.0), (0.3, 0.5, 0.7))]
        configs += [dict(similarity=kind, shrink=s) for kind in ("jaccard", "conditional", "pmi") for s in (0.0, 2.0, 10.0)]
        for config in configs:
            variant = model.rebuild(**{"alpha": 0.5, **config})
            for pop_weight, decay, mean in itertools.product((0.0, 0.01, 0.03, 0.1, 0.3), (1.0, 0.7), (False, True)):
                r = evaluate(variant, samples, pop_weight=pop_weight, decay=decay, mean=mean)
                results.append((r["R@10 new"], r["R@50 new"], config, pop_weight, decay, mean))
        results.sort(key=lambda x: (x[0], x[1]), reverse=True)
        for r10, r50, config, pop_weight, decay, mean in results[:12]:
            print(f"  {r10:.4f} {r50:.4f}  {config} pop_weight={pop_weight} decay={decay} mean={mean}")
        best = {}
        for r10, r50, config, *_ in results:
            best.setdefault(config["similarity"], (r10, r50, config))
        print("best per similarity:", {k: (round(v[0], 4), round(v[1], 4)) for k, v in best.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
