"""`chatrec eval redial DATA.jsonl` and `chatrec eval simulate`: the evaluation commands.

Registered in `chatrec/cli.py` as one `Command("eval", ...)` whose configure is `add_arguments`;
`add_parser(subparsers)` does the same for any argparse subparsers object, and
`python -m chatrec.eval_cli ...` runs it standalone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Sequence

from chatrec.errors import ConfigError

HELP = "evaluate: the ReDial protocol with baselines, or simulated users"


def default_eval_home() -> Path:
    """Where the eval keeps its vector index: CHATREC_HOME, else ~/.cache/chatrec-eval."""
    return Path(os.environ.get("CHATREC_HOME") or Path.home() / ".cache" / "chatrec-eval")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="eval_command", metavar="WHAT", required=True)
    red = sub.add_parser("redial", help="ReDial protocol (He et al. 2023) with baselines",
                         description="Recall@{1,5,10,20}, NDCG@10, MRR on 'all' and 'new' targets of a raw ReDial file, "
                                     "chatrec beside popularity, co-mention, content-only and random baselines.")
    red.add_argument("data", metavar="DATA.jsonl", help="raw ReDial dialogues, one per line")
    red.add_argument("--limit", type=int, help="only the first N dialogues")
    red.add_argument("--seed", type=int, default=0, help="seed of the random baseline (default 0)")
    red.add_argument("--llm", default="none", help='LLM mode for chatrec ("none", "local", "openai:MODEL", "gguf:PATH")')
    red.add_argument("--out", default="results.json", help="result JSON (markdown and PNG are written beside it)")
    red.add_argument("--no-collab", action="store_true", help="chatrec without the collaborative model")
    red.add_argument("--no-baselines", action="store_true", help="chatrec only")
    red.add_argument("--weights", metavar="JSON", help="a rank-weights JSON (default: data/rank_weights.json or built-in)")
    red.add_argument("--llm-cache", metavar="FILE", help="keep the LLM's answers in this SQLite file and reuse them "
                                                          "(re-runs with other weights skip the LLM)")
    _common(red)
    sim = sub.add_parser("simulate", help="templated simulated users (no LLM)",
                         description="Simulated users reveal one attribute of a target item per turn; success@{1,5,10} by turn.")
    sim.add_argument("--catalog", nargs="+", metavar="CATALOG", help="catalog files (default: the bundled movies)")
    sim.add_argument("--map", action="append", default=[], metavar="FIELD=SOURCE", help="catalog field mapping (repeatable)")
    sim.add_argument("--ids", choices=("strict", "derive"), default="strict",
                     help="catalog id policy (see chatrec index --help)")
    sim.add_argument("--n", type=int, default=200, help="number of simulated users (default 200)")
    sim.add_argument("--turns", type=int, default=5, help="turns per user (default 5)")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--llm", default="none")
    sim.add_argument("--embedder", default="real", choices=("real", "hash"), help="hash: instant, for smoke tests")
    sim.add_argument("--no-collab", action="store_true")
    sim.add_argument("--out", default="simulate.json")
    _common(sim)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--home", metavar="DIR", help="folder for the vector index (default CHATREC_HOME or ~/.cache/chatrec-eval)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads for the embedder (default 1: on a shared 2-core machine more is slower)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add `eval` to an argparse subparsers object."""
    parser = subparsers.add_parser("eval", help=HELP, description=HELP)
    add_arguments(parser)
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    _limit_threads(args.threads)
    if args.eval_command == "redial":
        return run_redial(args)
    return run_simulate(args)


def _limit_threads(n: int) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", str(n))
    try:
        import torch

        torch.set_num_threads(max(1, n))
    except ImportError:  # pragma: no cover - the hash embedder needs no torch
        pass


def _bar(total: int, desc: str, quiet: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="dlg" if desc == "redial" else "user", file=sys.stderr,
                dynamic_ncols=True, disable=quiet)


def _weights(path: str | None):
    from chatrec.dialogue.recommend import RankWeights

    if not path:
        return RankWeights.bundled()
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return RankWeights(**data.get("weights", data))


def build_redial_run(*, llm: str = "none", collab: bool = True, baselines: bool = True, seed: int = 0,
                     home: str | Path | None = None, weights=None, embedder: str = "real",
                     llm_cache: str | Path | None = None):
    """(systems, catalog, bot) for a ReDial run over the bundled catalog."""
    from chatrec.collab.cooccurrence import ItemItemModel
    from chatrec.collab.defaults import bundled_collab_path
    from chatrec.eval.baselines import default_baselines
    from chatrec.eval.redial import ChatRecSystem, use_cached_index
    from chatrec.testing.bots import make_bot

    path = bundled_collab_path()
    model = ItemItemModel.load(path) if path else None
    if llm_cache and llm != "none":
        from chatrec.llm.cache import CachedLLM
        from chatrec.llm.factory import make_llm
        from chatrec.settings import Settings

        llm = CachedLLM(make_llm(llm, Settings.from_env()), llm_cache)
    bot = make_bot(embedder=embedder, llm=llm, collab=model if collab else None, explain=False, top_k=20,
                   home=Path(home) if home else default_eval_home(), weights=weights)
    use_cached_index(bot, memo_queries=False)
    systems = [ChatRecSystem(bot, "chatrec" if collab else "chatrec-nocollab")]
    if baselines:
        systems += default_baselines(catalog=bot.catalog, index=bot.recommender.index, embedder=bot.embedder,
                                     collab_model=model, seed=seed)
    return systems, bot.catalog, bot


def run_redial(args: argparse.Namespace) -> int:
    from chatrec.eval.redial import evaluate, read_dialogues
    from chatrec.eval.report import redial_table, write_report

    if args.limit is not None and args.limit < 1:
        raise ConfigError(f"--limit must be at least 1, got {args.limit}")
    records = read_dialogues(args.data, limit=args.limit)
    started = time.perf_counter()
    systems, catalog, bot = build_redial_run(llm=args.llm, collab=not args.no_collab, baselines=not args.no_baselines,
                                             seed=args.seed, home=args.home, weights=_weights(args.weights),
                                             llm_cache=args.llm_cache)
    setup = time.perf_counter() - started
    labels = {item.id: item.label for item in catalog}
    with _bar(len(records), "redial", args.quiet) as bar:
        result = evaluate(records, systems, labels=labels, progress=bar.update)
    result["config"] = {"data": str(args.data), "limit": args.limit, "seed": args.seed, "llm": args.llm,
                        "collab": not args.no_collab, "weights": bot.recommender.weights.model_dump(),
                        "setup_seconds": round(setup, 1)}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    files = write_report(result, out, title=f"ReDial evaluation: {Path(args.data).name}")
    print(f"{result['n_dialogues']} dialogues, {result['n_turns_scored']} recommender turns scored "
          f"(llm={args.llm}, collab={'off' if args.no_collab else 'on'}) in {result['seconds']} s")
    print(redial_table(result, markdown_table=False))
    print(f"written {out}, {files['markdown']}" + (f", {files['png']}" if "png" in files else ""))
    return 0


def run_simulate(args: argparse.Namespace) -> int:
    from chatrec.catalog import load_catalog, parse_mapping
    from chatrec.eval.report import simulation_table, write_report
    from chatrec.eval.simulate import SIM_KS, make_users, simulate
    from chatrec.testing.bots import make_bot

    if args.n < 1 or args.turns < 1:
        raise ConfigError("--n and --turns must be at least 1")
    catalog = load_catalog(args.catalog, parse_mapping(args.map), ids=args.ids) if args.catalog else None
    collab = None if (args.no_collab or catalog is not None) else "bundled"
    home = Path(args.home) if args.home else default_eval_home()
    bot = make_bot(catalog=catalog, embedder=args.embedder, llm=args.llm, collab=collab, explain=False,
                   top_k=max(SIM_KS), home=home)
    users = make_users(bot.catalog, args.n, seed=args.seed, turns=args.turns)
    with _bar(len(users), "simulate", args.quiet) as bar:
        sim = simulate(bot, users, turns=args.turns, progress=bar.update)
    sim["config"] = {"catalog": " ".join(args.catalog) if args.catalog else "bundled", "seed": args.seed,
                     "llm": args.llm, "embedder": args.embedder, "collab": collab is not None}
    result = {"simulation": sim}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    files = write_report(result, out, title="Simulated users")
    print(f"{sim['n']} simulated users, {sim['turns']} turns, {sim['seconds']} s")
    print(simulation_table(sim, markdown_table=False))
    print(f"written {out}, {files['markdown']}" + (f", {files['png']}" if "png" in files else ""))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from chatrec.errors import ChatRecError

    parser = argparse.ArgumentParser(prog="chatrec eval", description=HELP)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except ChatRecError as exc:
        print(f"chatrec eval: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
