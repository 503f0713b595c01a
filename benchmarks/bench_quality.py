"""Recommendation quality: the ReDial protocol on the dev split and simulated users, as figures.

    python benchmarks/bench_quality.py [--llm none ...] [--limit 200] [--data DEV.jsonl]
                                       [--users 200] [--llm-cache FILE]

Runs `chatrec eval redial` on the first `--limit` dialogues of the development split (chatrec
beside the popularity, co-mention, content-only and random baselines, "all" and "new" targets)
for each LLM mode, and `chatrec eval simulate` (templated users on the bundled catalog). The
reports (JSON, markdown, PNG) go to benchmarks/results/quality_*; the last line printed is one
JSON object with the headline figures, which `run_all.py` collects. Development data only: the
blend was tuned on dev_a, so dev_b (`--data .../dev_b_500.jsonl`) is the fairer check.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "redial_dev" / "dev_a_901.jsonl"


def headline(result: dict) -> dict:
    """system -> the "new" and "all" recall@10 / ndcg@10 and sample counts."""
    out = {}
    for system, entry in result["systems"].items():
        conditions = entry["conditions"]
        out[system] = {cond: {k: round(v, 4) if isinstance(v, float) else v
                              for k, v in conditions[cond].items() if k in {"n", "recall@10", "ndcg@10", "recall@1"}}
                       for cond in ("new", "all") if cond in conditions}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llm", nargs="+", default=["none"], help="LLM modes for the ReDial run")
    parser.add_argument("--limit", type=int, default=200, help="dialogues of the dev split")
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--users", type=int, default=200, help="simulated users (0 to skip)")
    parser.add_argument("--llm-cache", default=None)
    args = parser.parse_args()

    from chatrec.eval_cli import main as eval_main

    RESULTS.mkdir(parents=True, exist_ok=True)
    figures: dict = {"redial": {}, "data": args.data, "limit": args.limit}
    if not Path(args.data).is_file():
        print(f"bench_quality: no ReDial dev file at {args.data}; pass --data (see ../shared/data/README.md)")
        figures["redial"] = "skipped: no data file"
    else:
        for mode in args.llm:
            out = RESULTS / f"quality_redial_{mode.replace(':', '-').replace('/', '_')}.json"
            cmd = ["redial", args.data, "--limit", str(args.limit), "--llm", mode, "--out", str(out), "--quiet"]
            if args.llm_cache and mode != "none":
                cmd += ["--llm-cache", args.llm_cache]
            started = time.perf_counter()
            code = eval_main(cmd)
            if code != 0:
                figures["redial"][mode] = {"error": f"exit code {code}"}
                continue
            result = json.loads(out.read_text(encoding="utf-8"))
            figures["redial"][mode] = {"seconds": round(time.perf_counter() - started, 1),
                                       "n_dialogues": result["n_dialogues"], "systems": headline(result)}
    if args.users > 0:
        out = RESULTS / "quality_simulate.json"
        started = time.perf_counter()
        code = eval_main(["simulate", "--n", str(args.users), "--out", str(out), "--quiet"])
        if code == 0:
            sim = json.loads(out.read_text(encoding="utf-8"))["simulation"]
            figures["simulate"] = {"seconds": round(time.perf_counter() - started, 1), "n": sim["n"],
                                   "turns": sim["turns"], "final": sim["final"],
                                   "mean_turn_of_success": {k: v for k, v in sim.items() if k.startswith("mean_turn")}}
        else:
            figures["simulate"] = {"error": f"exit code {code}"}
    print(json.dumps({"benchmark": "quality", "figures": figures}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
