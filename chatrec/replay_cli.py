"""`chatrec replay FILES... [--llm MODE] [--record]`: replay scripted conversations, print a summary.

Exit codes: 0 when every expectation held (conversations marked `xfail` may fail), 1 when one
failed, 2 when a file is malformed (nothing is replayed then). Registered in chatrec.cli as
`Command("replay", HELP, configure, run)`.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

HELP = "replay scripted conversations (YAML) and check their expectations"


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of `chatrec replay`."""
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="conversation scripts (.yaml); a folder means every .yaml file in it")
    parser.add_argument("--llm", metavar="MODE",
                        help="override the scripts' LLM: none, scripted, local, or any CHATREC_LLM spec")
    parser.add_argument("--record", action="store_true",
                        help="run against the real LLM and write its replies into each file (then `llm: scripted`)")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add `replay` to an argparse subparsers object."""
    parser = subparsers.add_parser("replay", help=HELP, description=HELP)
    configure(parser)
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Validate every file first, replay them, print the table and the failures."""
    from chatrec.cli import format_table
    from chatrec.errors import ScriptError
    from chatrec.testing.replay import BotCache, load_script, replay

    paths = _expand(args.files)
    scripts, problems = [], []
    for path in paths:
        try:
            scripts.append(load_script(path))
        except ScriptError as exc:
            problems.append(str(exc))
    if problems:
        print("malformed conversation files:\n" + "\n".join(problems))
        return 2
    logging.getLogger("chatrec").setLevel(logging.ERROR)  # fallback notices are part of the replay, not news
    bots = BotCache()
    rows, reports, failed = [], [], False
    try:
        for script in scripts:
            result = replay(script, llm=args.llm, record=args.record, bots=bots)
            status = "ok" if result.passed else "FAILED"
            if script.xfail:
                status = "xfail" if not result.passed else "XPASS"
            failed |= status in ("FAILED", "XPASS")
            rows.append((str(script.path), str(len(result.turns)), str(result.expectations_passed),
                         str(result.expectations_failed), status + (" (recorded)" if result.recorded else "")))
            if not result.passed:
                reports.append(result.report() + (f"\n  (expected to fail: {script.xfail})" if script.xfail else ""))
            elif script.xfail:
                reports.append(f"conversation {result.name!r} ({script.path}) passes but is marked xfail: "
                               f"remove `xfail: {script.xfail}`")
    finally:
        bots.close()
    print(format_table(("file", "turns", "passed", "failed", "status"), rows, max_width=70))
    if reports:
        print("\n" + "\n\n".join(reports))
    return 1 if failed else 0


def _expand(files: list[str]) -> list[Path]:
    out: list[Path] = []
    for name in files:
        path = Path(name)
        out.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path])
    return out
