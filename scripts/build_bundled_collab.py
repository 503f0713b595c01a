"""Build the bundled co-mention statistics: data/collab/redial_comentions.npz + .json.

Sources (ReDial, Li et al., NeurIPS 2018, CC BY 4.0), from ../shared/data:
  redial_train_text/train_text_8604.jsonl     8,604 ReDial train dialogues as text (movie_ids_recovered)
  redial_dev/dev_c_869_turnmerged.jsonl       869 ReDial train dialogues, turn-merged (@id mentions)
Never dev_a_901 / dev_b_500 (evaluation and tuning) and never the ReDial test split.

Run from the repo root:  .venv/bin/python scripts/build_bundled_collab.py [SHARED_DATA_DIR]
The similarity parameters and the blend below were tuned on dev_a_901 with
`benchmarks/bench_collab.py --grid`; the blend is stored in the model's meta for the ranker.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from chatrec.catalog import load_bundled_catalog  # noqa: E402
from chatrec.collab.cooccurrence import ItemItemModel  # noqa: E402
from chatrec.collab.interactions import ItemResolver, load_redial_dialogues, load_redial_text  # noqa: E402

SOURCES = ("redial_train_text/train_text_8604.jsonl", "redial_dev/dev_c_869_turnmerged.jsonl")
FORBIDDEN = ("dev_a_901", "dev_b_500", "test")
# tuned on dev_a_901 (see data/collab/README.md for the figures)
BUILD_PARAMS = {"similarity": "cosine", "shrink": 10.0, "alpha": 0.7, "top_n": 100, "min_support": 1}
BLEND = {"pop_weight": 0.1, "decay": 0.7, "mean": False}
OUT = REPO / "data" / "collab" / "redial_comentions"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "data"
    paths = [shared / s for s in SOURCES]
    assert not any(bad in str(p) for p in paths for bad in FORBIDDEN), "evaluation data must not feed the statistics"
    resolver = ItemResolver(load_bundled_catalog())
    train = load_redial_text(paths[0], resolver)
    dev_c = load_redial_dialogues(paths[1], resolver)
    for name, inter in zip(SOURCES, (train, dev_c)):
        print(f"{name}: {inter.report}")
    model = ItemItemModel.build(train.baskets + dev_c.baskets, sources=list(SOURCES), **BUILD_PARAMS)
    meta = {
        "description": "ReDial co-mention statistics: one basket per dialogue of the movies mentioned in it",
        "license": "CC BY 4.0 (ReDial, Li et al., NeurIPS 2018)",
        "catalog": "data/movies.jsonl (ReDial movie ids)",
        "source_files": [{"path": s, "sha256": sha256(p), "baskets": i.report.baskets,
                          "mapped": i.report.mapped, "unmapped": i.report.unmapped}
                         for s, p, i in zip(SOURCES, paths, (train, dev_c))],
        "build_params": BUILD_PARAMS,
        "blend": BLEND,
        "tuned_on": "redial_dev/dev_a_901.jsonl",
    }
    npz, js = model.save(OUT, meta=meta)
    print(f"{model}; wrote {npz} ({npz.stat().st_size:,} bytes) and {js} ({js.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
