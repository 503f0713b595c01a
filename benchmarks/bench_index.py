"""Index benchmark: embedding throughput, unchanged re-index time, top-50 query latency.

Runs on the bundled catalog (6.6k movies) and on the Wikipedia catalog (36k American films,
../shared/data/movies_wikipedia/movies-*.json) loaded through the generic loader. Uses the real
MiniLM embedder and a local Chroma folder (a temporary one unless --home is given; with --home
an index built by an earlier run is reused, and then no throughput is measured).

    .venv/bin/python benchmarks/bench_index.py [--skip-wiki] [--home DIR] [--queries 200]

Targets (issue 2): unchanged re-index of 36k items < 10 s; p50 top-50 query < 15 ms at 36k.
Prints a table and writes benchmarks/results/bench_index.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chatrec.catalog import Catalog, load_bundled_catalog, load_catalog, parse_mapping  # noqa: E402
from chatrec.embeddings import HashEmbedder, SentenceTransformerEmbedder  # noqa: E402
from chatrec.errors import CatalogError  # noqa: E402
from chatrec.store import Filters, VectorIndex, make_client  # noqa: E402

WIKI_DIR = ROOT.parent / "shared" / "data" / "movies_wikipedia"
QUERIES = ["space adventure", "a scary haunted house", "romantic comedy in New York",
           "gangsters and the mafia", "a heist with a clever twist", "animated film for kids",
           "war drama in the trenches", "a detective solves a murder", "cowboys in the old west",
           "a musical about show business", "superhero saves the city", "a dog and its boy"]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def bench_catalog(label: str, catalog: Catalog, embedder, home: Path, n_queries: int, load_s: float) -> dict:
    client = make_client(url=None, path=home / f"{label}-{embedder.name}")
    index = VectorIndex(client, catalog, embedder)
    first = index.sync()
    again = index.sync()
    result = {
        "catalog": label, "embedder": embedder.name, "items": len(catalog), "load_seconds": round(load_s, 2),
        "first_sync": {"embedded": first.embedded, "seconds": round(first.seconds, 1),
                       "items_per_s": round(first.embedded / first.seconds, 1) if first.embedded else None},
        "unchanged_sync_seconds": round(again.seconds, 2), "unchanged_embedded": again.embedded,
    }
    t0 = time.perf_counter()
    warmed = index.warm()  # what ChatRec does at start: item vectors in memory for exact narrow filters
    result["vectors_preloaded"] = {"items": warmed, "seconds": round(time.perf_counter() - t0, 2)}
    year_lo, year_hi = 1980, 2010
    genres = Counter(g for item in catalog for g in item.genres)
    genre = "comedy" if "comedy" in genres else genres.most_common(1)[0][0]
    vectors = embedder.embed(QUERIES)
    person = Counter(p.name for item in catalog for p in item.people).most_common(1)
    cases = {"no filter": None, f"genre={genre}": Filters(genres_any=(genre,)),
             f"genre={genre}, {year_lo}-{year_hi}": Filters(genres_any=(genre,), year_min=year_lo, year_max=year_hi)}
    if person:
        cases[f"person={person[0][0]}"] = Filters(person=person[0][0])
    latency = {}
    for name, filters in cases.items():
        index.query(vectors[0], k=50, filters=filters)  # warm-up
        times = []
        for i in range(n_queries):
            t0 = time.perf_counter()
            got = index.query(vectors[i % len(vectors)], k=50, filters=filters)
            times.append((time.perf_counter() - t0) * 1000)
        latency[name] = {"matching_items": sum(1 for i in catalog if filters is None or filters.matches(
            index._metadata_of(i.id))), "p50_ms": round(percentile(times, 50), 2), "p95_ms": round(percentile(times, 95), 2),
                         "results": len(got)}
    result["query_top50"] = latency
    return result


def print_result(r: dict) -> None:
    fs = r["first_sync"]
    print(f"\n== {r['catalog']} ({r['embedder']}): {r['items']} items (catalog load {r['load_seconds']} s)")
    if fs["embedded"]:
        print(f"  first index: {fs['embedded']} embedded in {fs['seconds']} s = {fs['items_per_s']} items/s")
    else:
        print("  first index: reused an existing index (nothing embedded; no throughput measured)")
    print(f"  load average now {os.getloadavg()[0]:.1f} (other processes share the 2 cores)")
    print(f"  re-index, nothing changed: {r['unchanged_sync_seconds']} s ({r['unchanged_embedded']} embedded)")
    print(f"  item vectors preloaded: {r['vectors_preloaded']['items']} in {r['vectors_preloaded']['seconds']} s")
    for name, lat in r["query_top50"].items():
        print(f"  top-50 query [{name}]: p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms ({lat['results']} results; {lat['matching_items']} items pass)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-wiki", action="store_true", help="only the bundled catalog")
    parser.add_argument("--home", type=Path, help="keep (and reuse) the indexes in this folder")
    parser.add_argument("--queries", type=int, default=200, help="queries per latency case")
    parser.add_argument("--embedder", choices=["minilm", "hash"], default="minilm",
                        help="hash: a 384-dim HashEmbedder, to time the Chroma side alone (no model throughput)")
    parser.add_argument("--skip-bundled", action="store_true", help="only the Wikipedia catalog")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="chatrec-bench-")
    home = args.home or Path(tmp.name)
    t0 = time.perf_counter()
    embedder = SentenceTransformerEmbedder() if args.embedder == "minilm" else HashEmbedder(dim=384)
    print(f"embedder {embedder.name} loaded in {time.perf_counter() - t0:.1f} s; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}, python {platform.python_version()}")
    results = []
    if not args.skip_bundled:
        t0 = time.perf_counter()
        bundled = load_bundled_catalog()
        results.append(bench_catalog("bundled", bundled, embedder, home, args.queries, time.perf_counter() - t0))
        print_result(results[-1])
    if not args.skip_wiki:
        if not WIKI_DIR.is_dir():
            print(f"\n{WIKI_DIR} not found: skipping the Wikipedia catalog")
        else:
            files = sorted(WIKI_DIR.glob("movies-*.json"))
            try:  # the plain attempt a user would make first
                load_catalog(files, parse_mapping(["id=href"]))
                plain = "loaded"
            except CatalogError as exc:
                plain = f"rejected: {exc}"
            t0 = time.perf_counter()  # what works: chatrec index FILES --map id=href --ids derive
            wiki = load_catalog(files, parse_mapping(["id=href"]), name="wikipedia", ids="derive")
            load_s = time.perf_counter() - t0
            notes = {"plain_map_id_href": plain, **wiki.load_notes}
            print(f"\nWikipedia: `--map id=href` alone: {plain}")
            print(f"  with --ids derive: {len(wiki)} items; {notes['derived_ids']} ids made from title and year, "
                  f"{notes['suffixed_ids']} repeated hrefs suffixed #2/#3..., "
                  f"{notes['exact_duplicates_dropped']} exact duplicate records dropped")
            result = bench_catalog("wikipedia", wiki, embedder, home, args.queries, load_s)
            result["id_notes"] = notes
            results.append(result)
            print_result(result)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_index.json").write_text(json.dumps(results, indent=2))
    print(f"\nwritten {out / 'bench_index.json'}")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
