"""Turn latency of the dialogue manager, split into extraction, retrieval+rerank and explanations.

    python benchmarks/bench_turn.py [--llm none local] [--rounds 2] [--home DIR]

Runs a fixed 8-message conversation per round on the bundled catalog (the index is built once in
--home), for each LLM mode, and prints p50/p95 per stage: "first" (the first picks shown: with an
LLM, the rules' reading, before the LLM has read the message), "ready" (the picks after the LLM's
reading, before explanations) and the whole turn; then what happened to the LLM's explanations
(accepted, rejected and why, cut by the turn budget) and how often the LLM's reading changed the
first picks. Ends with a JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONVERSATION = [
    "hi there",
    "I like sci-fi movies",
    "no horror please",
    "something like Inception",
    "the second one looks good",
    "anything with Tom Hanks?",
    "actually, comedies from the 90s now",
    "seen it",
]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llm", nargs="+", default=["none"])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--home", default=str(Path.home() / ".cache" / "chatrec-bench"))
    args = parser.parse_args()

    from chatrec.dialogue.manager import ChatRec
    from chatrec.settings import Settings

    figures = {}
    for mode in args.llm:
        settings = Settings.from_env(home=Path(args.home), llm=mode, sessions=":memory:")
        t = time.perf_counter()
        bot = ChatRec(settings=settings)
        bot.warm_up(wait=True)  # as the web UI and `chatrec chat` do at start
        startup = time.perf_counter() - t
        stages: dict[str, list[float]] = {"first": [], "extract": [], "recommend": [], "ready": [], "explain": [],
                                          "total": []}
        previews = changed = 0
        for round_no in range(args.rounds):
            session = f"bench-{mode.replace(':', '-')}-{round_no}"
            for message in CONVERSATION:
                start = time.perf_counter()
                ready = first = None
                preview_ids = None
                for event in bot.stream(message, session=session):
                    if event.kind == "preview":
                        preview_ids = [r.item_id for r in event.reply.recommendations]
                    if event.kind == "recommendations" and preview_ids is not None:
                        previews += 1
                        changed += preview_ids != [r.item_id for r in event.reply.recommendations]
                    if event.kind in ("preview", "recommendations") and first is None:
                        first = time.perf_counter() - start
                    if event.kind == "recommendations" and ready is None:
                        ready = time.perf_counter() - start
                    reply = event.reply
                total = time.perf_counter() - start
                stages["extract"].append(reply.timings.get("extract", 0.0))
                stages["recommend"].append(reply.timings.get("recommend", 0.0))
                stages["explain"].append(reply.timings.get("explain", 0.0))
                stages["ready"].append(ready if ready is not None else total)
                stages["first"].append(first if first is not None else total)
                stages["total"].append(total)
        checked = bot.explainer.accepted + bot.explainer.rejected
        rejection = bot.explainer.rejected / checked if checked else 0.0
        print(f"\n=== mode {mode}: start-up {startup:.1f} s, {len(stages['total'])} turns ===")
        print(f"{'stage':<12}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}")
        row = {}
        for name, values in stages.items():
            row[name] = {"p50_ms": round(1000 * pct(values, 0.5), 1), "p95_ms": round(1000 * pct(values, 0.95), 1)}
            print(f"{name:<12}{1000 * pct(values, .5):>10.1f}{1000 * pct(values, .95):>10.1f}{1000 * statistics.mean(values):>10.1f}")
        ex = bot.explainer
        print(f"LLM explanations: {ex.accepted} accepted ({ex.edited} after cutting a stray genre word), "
              f"{ex.rejected} rejected {dict(ex.reasons)}, {ex.timed_out} cut by the turn budget; "
              f"first picks changed by the LLM's reading in {changed}/{previews} turns")
        print(f"rejection rate {rejection:.1%}; LLM stats {bot.llm.stats.as_dict()}")
        figures[mode] = {"startup_s": round(startup, 2), "stages": row, "explanation_rejection_rate": round(rejection, 4),
                         "llm_failures": bot.llm.stats.failures, "explanations_llm": ex.accepted,
                         "explanations_edited": ex.edited, "explanations_rejected": ex.rejected,
                         "explanations_cut_by_budget": ex.timed_out, "rejection_reasons": dict(ex.reasons),
                         "preview_changed": [changed, previews]}
        bot.close()
    print(json.dumps({"benchmark": "turn_latency", "figures": figures}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
