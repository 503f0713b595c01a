"""Extraction quality: slot precision/recall/F1 on tests/data/extraction_cases.yaml for each LLM mode.

    python benchmarks/bench_extraction.py [--llm none local ...] [--limit N] [--worst 15] [--cases FILE]
                                          [--llm-cache FILE]

Prints one report per mode and a final JSON line with the figures. The default labelled set is the
development set the rules were written against: treat its figures as dev figures; the honest figure
is the newest held-out file in tests/data/ (see its header). `--llm-cache` answers repeated LLM
requests from a SQLite file (re-scoring after a grounding change costs no model time; the latency
figure then mixes cached and real calls).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llm", nargs="+", default=["none"], help="LLM modes (CHATREC_LLM forms)")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--worst", type=int, default=12)
    parser.add_argument("--cases", default=str(ROOT / "tests" / "data" / "extraction_cases.yaml"))
    parser.add_argument("--llm-cache", default=None, help="SQLite file of cached LLM answers")
    args = parser.parse_args()

    from chatrec.catalog import load_bundled_catalog
    from chatrec.collab.cooccurrence import ItemItemModel
    from chatrec.collab.defaults import bundled_collab_path
    from chatrec.dialogue.extract import Extractor
    from chatrec.dialogue.grounding import Vocabulary
    from chatrec.eval.extraction import format_report, load_cases, score
    from chatrec.llm.factory import make_llm
    from chatrec.settings import Settings

    cases = load_cases(args.cases)[: args.limit]
    catalog = load_bundled_catalog()
    collab = ItemItemModel.load(bundled_collab_path())
    vocab = Vocabulary(catalog, {i: collab.popularity(i) for i in catalog.ids})
    figures = {}
    for mode in args.llm:
        llm = make_llm(mode, Settings.from_env())
        if args.llm_cache and not llm.is_null:
            from chatrec.llm.cache import CachedLLM

            llm = CachedLLM(llm, args.llm_cache)
        from chatrec.embeddings import shared_embedder

        embedder = shared_embedder()  # as in ChatRec: the verdict probe and genre similarity use it in every mode
        extractor = Extractor(llm, vocab, embedder=embedder)
        latencies: list[float] = []

        def extract(message: str, shown: list[str]) -> set[str]:
            start = time.perf_counter()
            delta, _ = extractor.extract(message, shown=shown)
            latencies.append(time.perf_counter() - start)
            return delta.slots()

        result = score(cases, extract, worst=args.worst)
        latencies.sort()
        p50 = latencies[len(latencies) // 2] if latencies else 0.0
        cached = f", LLM cache {llm.hits} hits / {llm.misses} misses" if hasattr(llm, "hits") else ""
        print(f"\n=== mode {mode}: {len(cases)} cases, extraction p50 {p50 * 1000:.0f} ms{cached} ===")
        print(format_report(result))
        figures[mode] = {"precision": round(result.precision, 4), "recall": round(result.recall, 4),
                         "f1": round(result.f1, 4), "exact": round(result.exact_match, 4),
                         "n_cases": len(cases), "p50_ms": round(p50 * 1000, 1),
                         "llm_failures": llm.stats.failures}
    print(json.dumps({"benchmark": "extraction", "figures": figures}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
