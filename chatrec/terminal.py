"""`chatrec chat`: a terminal conversation with the recommender (the same `ChatRec.stream` the UI uses).

Type messages; `/like N`, `/dislike N`, `/seen N` press a button on pick N of the last reply;
`/interests` shows the state; `/reset` forgets the session; `/quit` (or Ctrl-D) leaves.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from chatrec.errors import ChatRecError

BUTTONS = {"/like": "liked", "/dislike": "disliked", "/seen": "seen"}


def configure_chat(parser: argparse.ArgumentParser) -> None:
    from chatrec.cli import add_catalog_options, add_index_options

    add_catalog_options(parser)
    add_index_options(parser)
    parser.add_argument("--llm", metavar="MODE", help="local | none | openai:MODEL | gguf:/path (CHATREC_LLM)")
    parser.add_argument("--session", default="terminal", help="session id (state is kept between runs)")
    parser.add_argument("--no-explain", action="store_true", help="template explanations only (faster)")


def run_chat(args: argparse.Namespace, *, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    from chatrec.cli import settings_from_args
    from chatrec.dialogue.manager import ChatRec

    out = stdout or sys.stdout
    inp = stdin or sys.stdin
    extra = {"llm": args.llm} if args.llm else {}
    if args.no_explain:
        extra["explain"] = False
    settings = settings_from_args(args, **extra)
    print("Loading the catalog, the index and the models...", file=out, flush=True)
    def progress(done: int, total: int) -> None:
        print(f"\r  indexed {done:,} of {total:,} items", end="\n" if done >= total else "", file=out, flush=True)

    bot = ChatRec(settings=settings, progress=progress)
    bot.warm_up()  # the LLM loads and reads its prompts while the person types
    print(f"Ready ({len(bot.catalog)} items, LLM: {bot.llm.name}). Tell me what you like; /quit to leave.", file=out)
    last: list[str] = []
    while True:
        print("\nyou> ", end="", file=out, flush=True)
        line = inp.readline()
        if not line:
            print("", file=out)
            return 0
        line = line.strip()
        if not line:
            continue
        try:
            if line in {"/quit", "/exit"}:
                return 0
            if line == "/reset":
                bot.forget(args.session)
                print("bot> Forgotten. Let's start over.", file=out)
                continue
            if line == "/interests":
                print(f"bot> {bot.interests(args.session).text()}", file=out)
                continue
            command, _, number = line.partition(" ")
            if command in BUTTONS:
                last = press(bot, args.session, BUTTONS[command], number, last, out)
                continue
            last = converse(bot, args.session, line, out)
        except ChatRecError as exc:
            print(f"bot> Sorry: {exc}", file=out)


def press(bot, session: str, kind: str, number: str, last: list[str], out: TextIO) -> list[str]:
    if not number.strip().isdigit() or not 1 <= int(number) <= len(last):
        print(f"bot> Say which pick, 1 to {len(last)} (for example /like 2).", file=out)
        return last
    item_id = last[int(number) - 1]
    summary = bot.feedback(session, item_id, kind)
    print(f"bot> Noted ({kind}: {bot.catalog[item_id].label}). Now: {summary.text()}", file=out)
    picks = bot.recommend(session)
    for i, rec in enumerate(picks, 1):
        print(f"  {i}. {rec.label} [{', '.join(rec.genres)}]", file=out)
    return [r.item_id for r in picks]


def converse(bot, session: str, message: str, out: TextIO) -> list[str]:
    ids: list[str] = []
    for event in bot.stream(message, session=session):
        reply = event.reply
        if event.kind == "recommendations":
            for notice in reply.notices:
                print(f"  ({notice})", file=out)
            print(f"bot> {reply.text}", file=out)
            ids = [r.item_id for r in reply.recommendations]
        elif event.kind == "explanation":
            rec = reply.recommendations[event.index]
            print(f"  {event.index + 1}. {rec.label} [{', '.join(rec.genres)}]\n     {rec.explanation}", file=out, flush=True)
        elif event.kind == "done" and not ids:
            for notice in reply.notices:
                print(f"  ({notice})", file=out)
            print(f"bot> {reply.text}", file=out)
    return ids
