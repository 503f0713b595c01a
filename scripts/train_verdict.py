"""Train the verdict probe (chatrec/dialogue/verdict.py) on the labelled extraction sets.

    python scripts/train_verdict.py [--out data/verdict_model.json] [--l2 0.1] [--dry-run]

Every span the rules find in a labelled message whose label says liked or disliked (and not both)
becomes one example: the clause around it, embedded with the bundled MiniLM, and 1 for dislike.
Before fitting on all of them it prints a leave-one-set-out check: for each labelled file, a probe
trained on the other files, its accuracy on that file's spans, and on the spans in clauses with no
cue word (where chatrec uses it) the rules' reading (always "like" there) against the probe's.
The sets are development data only; ../shared/holdout is never read.
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chatrec.catalog import load_bundled_catalog  # noqa: E402
from chatrec.dialogue.grounding import Vocabulary  # noqa: E402
from chatrec.dialogue.rules import RuleExtractor, has_cue, negative_at, split_clauses  # noqa: E402
from chatrec.dialogue.verdict import VerdictModel, fit_logistic  # noqa: E402
from chatrec.embeddings import shared_embedder  # noqa: E402
from chatrec.eval.extraction import load_cases  # noqa: E402

SETS_GLOB = "extraction_*.yaml"


def labelled_spans(rules: RuleExtractor, files: list[Path]) -> list[dict]:
    rows = []
    for path in files:
        for case in load_cases(path):
            gold = set(case.expected)
            for _, clause in split_clauses(case.message.strip()):
                for pref, pos in rules._clause_prefs(clause, 0, {}):
                    like, dislike = f"like:{pref.kind}:{pref.value}", f"dislike:{pref.kind}:{pref.value}"
                    if (like in gold) == (dislike in gold):
                        continue
                    rows.append({"set": path.stem, "clause": clause, "y": int(dislike in gold),
                                 "rules": int(negative_at(clause, pos)), "cued": has_cue(clause)})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "data" / "verdict_model.json"))
    parser.add_argument("--l2", type=float, default=0.1)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--dry-run", action="store_true", help="print the check, write nothing")
    args = parser.parse_args(argv)

    files = [f for f in sorted((ROOT / "tests" / "data").glob(SETS_GLOB))
             if not f.read_text(encoding="utf-8").startswith("# SEALED")]  # a set kept unread for a later measurement
    rules = RuleExtractor(Vocabulary(load_bundled_catalog()))
    rows = labelled_spans(rules, files)
    embedder = shared_embedder()
    x = np.asarray(embedder.embed([r["clause"] for r in rows]), dtype=np.float64)
    y = np.array([r["y"] for r in rows])
    sets = sorted({r["set"] for r in rows})
    counts = Counter(r["y"] for r in rows)
    print(f"{len(rows)} labelled spans from {len(files)} files ({counts[0]} liked, {counts[1]} disliked)")
    print(f"{'left out':<24}{'spans':>6}{'probe acc':>10}{'uncued':>8}{'rules':>7}{'probe':>7}{'both':>7}")
    totals = Counter()
    for name in sets:
        test = np.array([r["set"] == name for r in rows])
        weights, bias = fit_logistic(x[~test], y[~test], l2=args.l2)
        p = 1 / (1 + np.exp(-(x[test] @ weights + bias)))
        guess = (p > args.threshold).astype(int)
        rule = np.array([r["rules"] for r in rows])[test]
        uncued = ~np.array([r["cued"] for r in rows])[test]
        both = np.where(uncued & (guess == 1), 1, rule)
        yt = y[test]
        totals.update({"n": int(test.sum()), "probe": int((guess == yt).sum()), "u": int(uncued.sum()),
                       "u_rules": int((rule == yt)[uncued].sum()), "u_probe": int((guess == yt)[uncued].sum()),
                       "rules": int((rule == yt).sum()), "both": int((both == yt).sum())})
        print(f"{name:<24}{int(test.sum()):>6}{(guess == yt).mean():>10.3f}{int(uncued.sum()):>8}"
              f"{(rule == yt)[uncued].mean():>7.3f}{(guess == yt)[uncued].mean():>7.3f}{(both == yt).mean():>7.3f}")
    print(f"{'all':<24}{totals['n']:>6}{totals['probe'] / totals['n']:>10.3f}{totals['u']:>8}"
          f"{totals['u_rules'] / totals['u']:>7.3f}{totals['u_probe'] / totals['u']:>7.3f}{totals['both'] / totals['n']:>7.3f}"
          f"   (rules alone on all spans {totals['rules'] / totals['n']:.3f}; the rules were written on these sets)")

    weights, bias = fit_logistic(x, y, l2=args.l2)
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=False).stdout.strip()
    except OSError:
        commit = ""
    model = VerdictModel(weights=weights, bias=float(bias), embedder_name=embedder.name, threshold=args.threshold,
                         info={"trained_on": [f.name for f in files], "spans": len(rows), "disliked": counts[1],
                               "l2": args.l2, "date": datetime.date.today().isoformat(), "commit": commit,
                               "leave_one_set_out_probe_accuracy": round(totals["probe"] / totals["n"], 3),
                               "trained_by": "scripts/train_verdict.py"})
    if args.dry_run:
        print("dry run: nothing written")
    else:
        model.save(args.out)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
