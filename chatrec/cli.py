"""The `chatrec` command: a thin argparse front over chatrec's library functions.

Each subcommand is a `Command` in `COMMANDS`: a name, a one-line help, a function that adds its
arguments and a function that runs it and returns an exit code. Errors chatrec raises on purpose
(`ChatRecError`) are printed as one message on stderr with exit code 2; Ctrl-C exits with 130.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from typing import Callable, Sequence

from chatrec.errors import ChatRecError, ConfigError


@dataclass(frozen=True)
class Command:
    """One subcommand: `configure` adds its arguments, `run` does the work and returns an exit code."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# ---------------------------------------------------------------- shared options and settings

def add_index_options(parser: argparse.ArgumentParser) -> None:
    """--chroma-url and --home, which every command that touches the index takes."""
    parser.add_argument("--chroma-url", metavar="URL",
                        help="a Chroma server (http://host:port) instead of the local folder (CHATREC_CHROMA_URL)")
    parser.add_argument("--home", metavar="DIR", help="folder for the local index and sessions (CHATREC_HOME)")


def add_catalog_options(parser: argparse.ArgumentParser, *, positional: bool = False) -> None:
    """The catalog files (positional or --catalog) and --map FIELD=SOURCE pairs."""
    if positional:
        parser.add_argument("catalog", nargs="*", metavar="CATALOG",
                            help="catalog files (.jsonl, .csv, .json); default: CHATREC_CATALOG or the bundled movies")
    else:
        parser.add_argument("--catalog", nargs="+", metavar="CATALOG",
                            help="catalog files to search (default: CHATREC_CATALOG or the bundled movies)")
    parser.add_argument("--map", action="append", default=[], metavar="FIELD=SOURCE",
                        help="read chatrec FIELD from the catalog's SOURCE field, e.g. --map id=href "
                             "--map people.star=cast (repeatable)")
    parser.add_argument("--ids", choices=("strict", "derive"),
                        help="strict (default): every record has a unique id; derive: records without an id get "
                             "'Title (Year)', exact repeats are dropped, other repeated ids get '#2', '#3' "
                             "(CHATREC_CATALOG_IDS)")


def settings_from_args(args: argparse.Namespace, **extra):
    """`Settings.from_env()` with the command line's overrides; a bad value becomes a ConfigError."""
    from pydantic import ValidationError

    from chatrec.catalog import parse_mapping
    from chatrec.settings import Settings

    overrides = dict(extra)
    catalog = getattr(args, "catalog", None)
    if catalog:
        overrides["catalog"] = os.pathsep.join(catalog)
    mapping = parse_mapping(getattr(args, "map", None))
    if mapping:
        overrides["catalog_map"] = mapping
    if getattr(args, "ids", None):
        overrides["catalog_ids"] = args.ids
    for name in ("home", "chroma_url"):
        if getattr(args, name, None):
            overrides[name] = getattr(args, name)
    try:
        return Settings.from_env(**overrides)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid setting: {problems}") from None


# ---------------------------------------------------------------- index

def configure_index(parser: argparse.ArgumentParser) -> None:
    add_catalog_options(parser, positional=True)
    add_index_options(parser)
    parser.add_argument("--interactions", metavar="FILE",
                        help="interaction data (baskets JSONL, ratings CSV, ReDial JSONL) for the collaborative "
                             "signal (CHATREC_INTERACTIONS; set it when chatting too)")
    parser.add_argument("--links", metavar="FILE",
                        help="for a ratings file: its item ids -> IMDb ids (MovieLens links.csv)")


def run_index(args: argparse.Namespace) -> int:
    """Embed new and changed items, delete removed ones, print a summary."""
    from tqdm import tqdm

    from chatrec.indexing import index_location, open_catalog, open_index

    settings = settings_from_args(args)
    catalog = open_catalog(settings)
    print(f"catalog: {catalog.name} ({len(catalog)} items from {catalog.source or 'the bundled data'})")
    if catalog.load_notes:
        n = catalog.load_notes
        print(f"ids (--ids derive): {n['derived_ids']} made from title and year, {n['suffixed_ids']} repeated ids "
              f"suffixed #2/#3..., {n['exact_duplicates_dropped']} exact duplicate records dropped")
    index = open_index(settings, catalog)
    print(f"index: collection {index.name} in {index_location(settings)}")
    bar: list[tqdm] = []

    def progress(done: int, total: int) -> None:
        if not bar:
            bar.append(tqdm(total=total, unit="item", desc="embedding", file=sys.stderr, dynamic_ncols=True))
        bar[0].update(done - bar[0].n)

    try:
        report = index.sync(progress=progress)
    finally:
        if bar:
            bar[0].close()
    print(f"items: {report.items}  embedded: {report.embedded}  unchanged: {report.unchanged}  "
          f"removed: {report.removed}  seconds: {report.seconds:.1f}")
    if getattr(args, "interactions", None):
        from pathlib import Path

        from chatrec.collab.defaults import interactions_model

        mapping: list = []
        model = interactions_model(Path(args.interactions), catalog, Path(settings.home),
                                   links=Path(args.links) if args.links else None, report=mapping)
        if mapping:
            print(f"interactions: {mapping[0]}")
        print(f"collaborative model: {len(model)} items; use it with CHATREC_INTERACTIONS={args.interactions}"
              + (f" CHATREC_INTERACTIONS_LINKS={args.links}" if args.links else ""))
    return 0


# ---------------------------------------------------------------- search

def configure_search(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", metavar="QUERY", help='what to look for, e.g. "space adventure"')
    parser.add_argument("--k", type=int, default=10, help="how many results (default 10)")
    parser.add_argument("--genre", action="append", default=[], metavar="G",
                        help="only items with this genre (repeat for any of several)")
    parser.add_argument("--year-min", type=int, metavar="Y", help="only items from year Y on")
    parser.add_argument("--year-max", type=int, metavar="Y", help="only items up to year Y")
    add_catalog_options(parser)
    add_index_options(parser)


def run_search(args: argparse.Namespace) -> int:
    """Embed the query, ask the index, print a table."""
    from chatrec.indexing import index_location, open_catalog, open_index
    from chatrec.store import Filters

    if not args.query.strip():
        raise ConfigError("the search query is empty")
    if args.k < 1:
        raise ConfigError(f"--k must be at least 1, got {args.k}")
    if args.year_min is not None and args.year_max is not None and args.year_min > args.year_max:
        raise ConfigError(f"--year-min {args.year_min} is after --year-max {args.year_max}")
    settings = settings_from_args(args)
    catalog = open_catalog(settings)
    genres = check_genres(args.genre, catalog)
    index = open_index(settings, catalog)
    if index.count() == 0:
        raise ConfigError(f"the index for catalog {catalog.name!r} in {index_location(settings)} is empty: "
                          "run `chatrec index` (with the same catalog options) first")
    filters = Filters(year_min=args.year_min, year_max=args.year_max, genres_any=genres)
    vector = index.embedder.embed([args.query])[0]
    candidates = index.query(vector, k=args.k, filters=filters)
    if not candidates:
        print("no items match these filters")
        return 0
    rows = []
    for rank, cand in enumerate(candidates, 1):
        item = catalog.get(cand.item_id)
        label = item.label if item else f"{cand.item_id} (not in the catalog; re-run `chatrec index`)"
        rows.append((str(rank), label, ", ".join(item.genres) if item else "", f"{cand.similarity:.3f}"))
    print(format_table(("#", "title (year)", "genres", "similarity"), rows))
    return 0


def check_genres(requested: Sequence[str], catalog) -> tuple[str, ...]:
    """Lower-cased genres, each known to the catalog; an unknown one is an error that lists the known ones."""
    known = sorted({g for item in catalog for g in item.genres})
    wanted = tuple(g.strip().lower() for g in requested if g.strip())
    unknown = [g for g in wanted if g not in known]
    if unknown:
        raise ConfigError(f"unknown genre {unknown[0]!r}; the catalog's genres are: {', '.join(known) or '(none)'}")
    return wanted


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]], *, max_width: int = 60) -> str:
    """A plain left-aligned text table; long cells are cut with an ellipsis."""
    def cut(text: str) -> str:
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    cells = [[cut(c) for c in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# ---------------------------------------------------------------- the table and main

def _lazy(module: str, name: str) -> Callable:
    """A configure/run function imported only when its subcommand is used."""
    def call(*args, **kwargs):
        import importlib

        return getattr(importlib.import_module(module), name)(*args, **kwargs)
    return call


COMMANDS: list[Command] = [
    Command("index", "embed a catalog into the vector index (incremental)", configure_index, run_index),
    Command("search", "search the indexed catalog by meaning", configure_search, run_search),
    Command("replay", "replay scripted conversations and check their expectations",
            _lazy("chatrec.replay_cli", "configure"), _lazy("chatrec.replay_cli", "run")),
    Command("eval", "evaluate on ReDial dialogues or with simulated users; writes JSON, markdown and a plot",
            _lazy("chatrec.eval_cli", "add_arguments"), _lazy("chatrec.eval_cli", "run")),
    Command("serve", "serve the chat web page and its JSON API (same as python app.py)",
            _lazy("chatrec.ui.app", "configure"), _lazy("chatrec.ui.app", "run")),
    Command("chat", "chat with the recommender in the terminal",
            _lazy("chatrec.terminal", "configure_chat"), _lazy("chatrec.terminal", "run_chat")),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chatrec", description="chatrec: a conversational movie recommender.")
    from chatrec import __version__

    parser.add_argument("--version", action="version", version=f"chatrec {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        child = sub.add_parser(command.name, help=command.help, description=command.help)
        command.configure(child)
        child.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `chatrec` command line; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has already printed usage or help
        return exc.code if isinstance(exc.code, int) else 2
    started = time.perf_counter()
    try:
        return args.run(args)
    except ChatRecError as exc:
        print(f"chatrec: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nchatrec: interrupted after {time.perf_counter() - started:.1f} s", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
