"""The Gradio page and the JSON API: a thin layer over `ChatRec`, served by one FastAPI app.

`ChatPage` holds what the page does, in plain Python (no gradio): each handler takes the browser's
`Page` (its session id and the cards on screen) and the chat history, calls the bot, and returns a
`View`. `build_app` wires those handlers to gradio components; `create_server_app` mounts the page
and the `/api/*` routes on one FastAPI app; `serve` runs it with uvicorn.

Catalog text is untrusted: every catalog string is `html.escape`d here, chat messages are shown
as escaped HTML with markdown and LaTeX rendering off. Does not handle authentication: put a
reverse proxy in front to expose it beyond localhost.
"""

from __future__ import annotations

import argparse
import html
import logging
import os
import sys
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator, Sequence

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported, here or anywhere

import gradio as gr  # noqa: E402
from pydantic import BaseModel  # noqa: E402

from chatrec.dialogue.explain import template_explanation  # noqa: E402
from chatrec.dialogue.schema import InterestSummary, Recommendation  # noqa: E402
from chatrec.errors import ChatRecError, InputError  # noqa: E402

if TYPE_CHECKING:
    from fastapi import FastAPI

    from chatrec.dialogue.manager import ChatRec

log = logging.getLogger(__name__)

WELCOME = ("Hi! I recommend movies. Tell me what you enjoy (a genre, a film you loved, an actor or a "
           "director) or what to avoid, and rate my picks with 👍 / 👎 / seen it.")
EXAMPLES = ("I like sci-fi movies", "Something like The Dark Knight", "Funny animated films for the family",
            "A thriller from the 90s", "No horror please")
FRIENDLY_FAILURE = "Sorry, something went wrong on my side. Your conversation is kept; please try again."
FEEDBACK_WORDS = {"liked": "👍 Noted: you liked", "disliked": "👎 Noted: not for you:", "seen": "Noted: you have seen"}
PLOT_CHARS = 400
SYSTEM_FONTS = ["system-ui", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "DejaVu Sans", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "DejaVu Sans Mono", "monospace"]


# ---------------------------------------------------------------- rendering (pure, escaped)

def esc(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return html.escape(str(value), quote=True)


def message_html(text: str) -> str:
    """A chat message as escaped HTML (the chatbot renders neither markdown nor LaTeX)."""
    return esc(text).replace("\n", "<br>")


def card_html(rec: Recommendation, rank: int, *, description: str = "", people: Sequence[str] = ()) -> str:
    """One recommendation card: title, year, genres, explanation, and the score parts in a <details>."""
    genres = "".join(f'<span class="chip genre">{esc(g)}</span>' for g in rec.genres)
    if rec.explanation_source == "pending" or not rec.explanation:
        explanation = '<p class="rec-expl pending">Writing why this fits you…</p>'
    else:
        explanation = f'<p class="rec-expl" data-source="{esc(rec.explanation_source)}">{esc(rec.explanation)}</p>'
    parts = "".join(f"<tr><td>{esc(name)}</td><td>{value:+.3f}</td></tr>"
                    for name, value in sorted(rec.score_parts.items(), key=lambda kv: -abs(kv[1])))
    plot = description[:PLOT_CHARS] + ("…" if len(description) > PLOT_CHARS else "")
    details = [f'<table class="rec-parts"><tr><th>score part</th><th>value</th></tr>{parts}'
               f'<tr class="total"><td>total</td><td>{rec.score:.3f}</td></tr></table>']
    if rec.matched:
        details.append(f'<p class="rec-matched">Matches: {esc(", ".join(rec.matched))}</p>')
    if people:
        details.append(f'<p class="rec-people">{esc(" · ".join(people))}</p>')
    if plot:
        details.append(f'<p class="rec-plot">{esc(plot)}</p>')
    year = f' <span class="rec-year">({esc(rec.year)})</span>' if rec.year else ""
    return (f'<article class="rec-card" data-item-id="{esc(rec.item_id)}" data-genres="{esc(" ".join(rec.genres))}">'
            f'<h3 class="rec-title"><span class="rec-rank">{rank}.</span> {esc(rec.title)}{year}</h3>'
            f'<div class="rec-genres">{genres}</div>{explanation}'
            f'<details class="rec-details"><summary>Score and details</summary>{"".join(details)}</details>'
            f'</article>')


def interests_html(summary: InterestSummary) -> str:
    """The interest panel: likes, dislikes and constraints as escaped chips."""
    rows = [("Likes", "like", summary.likes), ("Avoids", "dislike", summary.dislikes),
            ("Constraints", "constraint", summary.constraints)]
    body = "".join(
        f'<div class="interest-row"><span class="interest-kind">{title}</span>'
        + "".join(f'<span class="chip {cls}">{esc(label)}</span>' for label in labels) + "</div>"
        for title, cls, labels in rows if labels)
    if not body:
        body = '<p class="interest-empty">Nothing yet: tell me what you like or want to avoid.</p>'
    return f'<div class="interest-panel">{body}</div>'


def interest_choices(summary: InterestSummary) -> list[tuple[str, str]]:
    """(shown, label) pairs for the remove dropdown; the label is what `remove_interest` takes."""
    marked = ([("👍 " + x, x) for x in summary.likes] + [("👎 " + x, x) for x in summary.dislikes]
              + [("📅 " + x, x) for x in summary.constraints])
    return list({label: (shown, label) for shown, label in marked}.values())


# ---------------------------------------------------------------- the page's behaviour (no gradio)

@dataclass
class Page:
    """One browser's state: its session id and the cards it shows."""

    session: str = field(default_factory=lambda: uuid.uuid4().hex)
    cards: list[Recommendation] = field(default_factory=list)


@dataclass
class View:
    """Everything a handler changes on the page."""

    page: Page
    history: list[dict]
    interests: InterestSummary
    status: str = ""
    clear_input: bool = False


def chat_message(role: str, text: str) -> dict:
    return {"role": role, "content": message_html(text)}


def reply_text(reply) -> str:
    """The bot's answer for the chat: its text, the numbered picks and any notices."""
    lines = [reply.text] + [f"{i}. {r.label}" for i, r in enumerate(reply.recommendations, 1)]
    return "\n".join(lines + [f"ℹ️ {notice}" for notice in reply.notices])


class ChatPage:
    """The handlers behind the page; each returns (or yields) a `View`, and never raises."""

    def __init__(self, bot: "ChatRec"):
        self.bot = bot

    # -- helpers
    def card(self, rec: Recommendation, rank: int) -> str:
        item = self.bot.catalog.get(rec.item_id)
        description = item.description if item else ""
        people = []
        if item is not None:
            people = [f"dir. {n}" for n in item.people_with("director")[:1]]
            people += (item.people_with("star") or item.people_with("cast"))[:3]
        return card_html(rec, rank, description=description, people=people)

    def ranking(self, session: str) -> list[Recommendation]:
        """The current ranking with grounded template explanations (no LLM call, no state change)."""
        return self.explain_pending(self.bot.recommend(session, explain=True, record=True))

    def explain_pending(self, recs: list[Recommendation]) -> list[Recommendation]:
        """Give every card still waiting for an explanation the grounded template sentence."""
        for rec in recs:
            item = self.bot.catalog.get(rec.item_id)
            if item is not None and (rec.explanation_source == "pending" or not rec.explanation):
                rec.explanation = template_explanation(item, rec.matched, rec.score_parts)
                rec.explanation_source = "template"
        return recs

    def _status(self, summary: InterestSummary, cards: list[Recommendation]) -> str:
        if not cards:
            return "No picks yet."
        if not (summary.likes or summary.dislikes or summary.constraints):
            return "Well-known picks to start with"
        return f"Picks for you: {summary.text()}"

    def _fail(self, page: Page, history: list[dict], exc: Exception) -> View:
        if isinstance(exc, ChatRecError):
            text = f"⚠️ {exc}"
        else:
            log.exception("UI handler failed")
            text = FRIENDLY_FAILURE
        history = history + [chat_message("assistant", text)]
        try:
            page.cards = self.explain_pending(page.cards)  # a turn that broke mid-stream
            summary = self.bot.interests(page.session)
        except Exception:  # the store itself failed: show the last known cards, no interests
            summary = InterestSummary()
        return View(page, history, summary, self._status(summary, page.cards))

    # -- handlers
    def start(self, page: Page | None = None) -> View:
        """A first visit: a new session, a welcome message and well-known picks."""
        page = page or Page()
        history = [chat_message("assistant", WELCOME)]
        try:
            page.cards = self.ranking(page.session)
            summary = self.bot.interests(page.session)
        except Exception as exc:  # noqa: BLE001 - shown to the user, logged
            return self._fail(page, history, exc)
        return View(page, history, summary, self._status(summary, page.cards))

    def send(self, page: Page | None, history: list[dict] | None, message: str) -> Iterator[View]:
        """One chat turn, streamed: the user's message, then the picks, then each explanation."""
        page = page or Page()
        history = list(history or [])
        summary = self._safe_interests(page)
        if not (message or "").strip():
            yield View(page, history, summary, self._status(summary, page.cards))
            return
        history.append(chat_message("user", message))
        yield View(page, list(history), summary, "Thinking…", clear_input=True)
        events = self.bot.stream(message, session=page.session)
        answered = False
        try:
            for event in events:
                reply = event.reply
                if event.kind == "preview":  # first picks from the rules; the LLM's reading follows
                    page.cards = list(reply.recommendations)
                    yield View(page, list(history), reply.interests, "First picks; reading your message more closely…")
                    continue
                if not answered:
                    history.append(chat_message("assistant", reply_text(reply)))
                    answered = True
                page.cards = list(reply.recommendations)
                yield View(page, list(history), reply.interests, self._status(reply.interests, page.cards))
        except Exception as exc:  # noqa: BLE001 - shown to the user, logged
            yield self._fail(page, history, exc)
        finally:
            events.close()

    def feedback(self, page: Page | None, history: list[dict] | None, slot: int, kind: str) -> View:
        """👍 / 👎 / seen on the card in `slot`: record it, then show the refreshed ranking."""
        page = page or Page()
        history = list(history or [])
        if slot >= len(page.cards):
            return self._unchanged(page, history)
        rec = page.cards[slot]
        try:
            summary = self.bot.feedback(page.session, rec.item_id, kind)
            page.cards = self.ranking(page.session)
        except Exception as exc:  # noqa: BLE001
            return self._fail(page, history, exc)
        history.append(chat_message("assistant", f"{FEEDBACK_WORDS[kind]} {rec.label}. I updated the picks."))
        return View(page, history, summary, self._status(summary, page.cards))

    def remove(self, page: Page | None, history: list[dict] | None, label: str | None) -> View:
        """Drop one interest shown in the panel and refresh the picks."""
        page = page or Page()
        history = list(history or [])
        if not label:
            return self._unchanged(page, history)
        try:
            summary = self.bot.remove_interest(page.session, label)
            page.cards = self.ranking(page.session)
        except Exception as exc:  # noqa: BLE001
            return self._fail(page, history, exc)
        history.append(chat_message("assistant", f"Removed “{label}” from your interests. I updated the picks."))
        return View(page, history, summary, self._status(summary, page.cards))

    def reset(self, page: Page | None) -> View:
        """Forget the session's state and transcript and start over."""
        page = page or Page()
        try:
            self.bot.forget(page.session)
        except Exception as exc:  # noqa: BLE001
            return self._fail(page, [], exc)
        return self.start(Page(session=page.session))

    def _unchanged(self, page: Page, history: list[dict]) -> View:
        summary = self._safe_interests(page)
        return View(page, history, summary, self._status(summary, page.cards))

    def _safe_interests(self, page: Page) -> InterestSummary:
        try:
            return self.bot.interests(page.session)
        except Exception:  # noqa: BLE001 - the panel is informative; the next handler reports errors
            return InterestSummary()


# ---------------------------------------------------------------- gradio wiring

CSS = """
.card-slot { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 10px 12px !important;
             gap: 6px !important; background: var(--block-background-fill); }
.rec-card { overflow-wrap: anywhere; word-break: break-word; max-width: 100%; overflow: hidden; }
.rec-title { margin: 0 0 4px 0; font-size: 1.05em; }
.rec-rank, .rec-year { color: var(--body-text-color-subdued); font-weight: normal; }
.chip { display: inline-block; border-radius: 999px; padding: 1px 9px; margin: 2px 4px 2px 0;
        font-size: 0.85em; background: var(--background-fill-secondary); border: 1px solid var(--border-color-primary);
        max-width: 100%; overflow-wrap: anywhere; }
.chip.like { background: #e6f4ea; border-color: #9fd3ae; color: #14532d; }
.chip.dislike { background: #fdecea; border-color: #f2a9a2; color: #7f1d1d; }
.chip.constraint { background: #eef2ff; border-color: #b4c0f5; color: #1e3a8a; }
.rec-expl { margin: 6px 0; }
.rec-expl.pending { color: var(--body-text-color-subdued); font-style: italic; }
.rec-details summary { cursor: pointer; color: var(--body-text-color-subdued); font-size: 0.9em; }
.rec-parts { font-size: 0.85em; margin: 4px 0; border-collapse: collapse; width: auto; border: none !important; }
.rec-parts tr, .rec-parts td, .rec-parts th { border: none !important; background: none !important; }
.rec-parts td, .rec-parts th { padding: 1px 14px 1px 0 !important; text-align: left; }
.rec-parts th { color: var(--body-text-color-subdued); font-weight: normal; }
.rec-parts tr.total td { border-top: 1px solid var(--border-color-primary) !important; }
.rec-parts tr.total td { font-weight: 600; }
.rec-plot, .rec-people, .rec-matched { font-size: 0.88em; margin: 4px 0; }
.interest-row { margin: 2px 0; }
#remove-row { align-items: flex-end; }
.interest-kind { display: inline-block; min-width: 6.5em; font-weight: 600; font-size: 0.9em; }
.interest-empty { color: var(--body-text-color-subdued); margin: 2px 0; }
.picks-status { font-weight: 600; margin: 4px 0; overflow-wrap: anywhere; }
.card-buttons button { min-width: 0 !important; }
"""


def ui_theme() -> "gr.themes.Base":
    """Gradio's default theme with system fonts only, so the page loads with no network."""
    return gr.themes.Default(font=SYSTEM_FONTS, font_mono=MONO_FONTS)


def build_app(bot: "ChatRec") -> gr.Blocks:
    """The chat page for one bot; serve it with `serve`, or `.launch(theme=ui_theme(), css=CSS)`."""
    handlers = ChatPage(bot)
    slots = max(1, bot.top_k)

    with gr.Blocks(title="chatrec", analytics_enabled=False) as demo:
        page = gr.State(None)
        gr.Markdown("## 🎬 chatrec: a conversational movie recommender")
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=360):
                chatbot = gr.Chatbot(elem_id="chat", label="Chat", height=520, render_markdown=False,
                                     sanitize_html=True, latex_delimiters=[], feedback_options=None,
                                     allow_tags=False, buttons=[])
                with gr.Row():
                    message = gr.Textbox(elem_id="message", show_label=False, scale=5, max_lines=4,
                                         placeholder="Tell me what you like, e.g. “I like sci-fi movies”")
                    send = gr.Button("Send", elem_id="send", variant="primary", scale=1, min_width=80)
                gr.Markdown("**Try:**")
                with gr.Row(elem_id="examples"):
                    example_buttons = [(gr.Button(text, size="sm", elem_classes=["example"]), text) for text in EXAMPLES]
                reset = gr.Button("🔄 Start over", elem_id="reset", size="sm", variant="stop")
            with gr.Column(scale=4, min_width=320):
                gr.Markdown("### Your interests")
                panel = gr.HTML(interests_html(InterestSummary()), elem_id="interests")
                with gr.Row(visible=False, equal_height=False, elem_id="remove-row") as remove_row:
                    remove_choice = gr.Dropdown(choices=[], value=None, label="Remove an interest", scale=3,
                                                elem_id="remove-choice", allow_custom_value=False)
                    remove_button = gr.Button("Remove selected", elem_id="remove", size="sm", scale=1, min_width=120)
                status = gr.HTML("", elem_id="picks-status")
                slot_boxes, slot_cards, slot_buttons = [], [], []
                for i in range(slots):
                    with gr.Column(visible=False, elem_id=f"slot-{i}", elem_classes=["card-slot"]) as box:
                        card = gr.HTML("", elem_id=f"card-{i}")
                        with gr.Row(elem_classes=["card-buttons"]):
                            buttons = [gr.Button("👍 Like", elem_id=f"like-{i}", size="sm", min_width=60),
                                       gr.Button("👎 Not for me", elem_id=f"dislike-{i}", size="sm", min_width=60),
                                       gr.Button("Seen it", elem_id=f"seen-{i}", size="sm", min_width=60)]
                    slot_boxes.append(box)
                    slot_cards.append(card)
                    slot_buttons.append(buttons)

        outputs = [page, chatbot, message, panel, remove_row, remove_choice, status, *slot_boxes, *slot_cards]

        def render(view: View) -> list:
            cards = view.page.cards[:slots]
            choices = interest_choices(view.interests)
            out = [view.page, view.history, "" if view.clear_input else gr.update(), interests_html(view.interests),
                   gr.update(visible=bool(choices)), gr.update(choices=choices, value=None),
                   f'<p class="picks-status">{esc(view.status)}</p>' if view.status else ""]
            out += [gr.update(visible=i < len(cards)) for i in range(slots)]
            out += [handlers.card(cards[i], i + 1) if i < len(cards) else "" for i in range(slots)]
            return out

        def on_load(state):
            return render(handlers.start(state))

        def on_send(state, history, text):
            for view in handlers.send(state, history, text):
                yield render(view)

        def on_remove(state, history, label):
            return render(handlers.remove(state, history, label))

        def on_reset(state):
            return render(handlers.reset(state))

        demo.load(on_load, inputs=[page], outputs=outputs, show_progress="hidden")
        send_inputs = [page, chatbot, message]
        message.submit(on_send, inputs=send_inputs, outputs=outputs, show_progress="hidden")
        send.click(on_send, inputs=send_inputs, outputs=outputs, show_progress="hidden")
        for button, text in example_buttons:
            button.click(lambda t=text: t, outputs=message, show_progress="hidden").then(
                on_send, inputs=send_inputs, outputs=outputs, show_progress="hidden")
        for i, buttons in enumerate(slot_buttons):
            for button, kind in zip(buttons, ("liked", "disliked", "seen")):
                def on_feedback(state, history, slot=i, kind=kind):
                    return render(handlers.feedback(state, history, slot, kind))
                button.click(on_feedback, inputs=[page, chatbot], outputs=outputs, show_progress="hidden")
        remove_button.click(on_remove, inputs=[page, chatbot, remove_choice], outputs=outputs, show_progress="hidden")
        reset.click(on_reset, inputs=[page], outputs=outputs, show_progress="hidden")
        chatbot.clear(on_reset, inputs=[page], outputs=outputs, show_progress="hidden")  # its 🗑 button
    demo.queue(default_concurrency_limit=2)
    return demo


# ---------------------------------------------------------------- HTTP: JSON API + page

class ChatIn(BaseModel):
    """`POST /api/chat` body."""

    session: str
    message: str


class FeedbackIn(BaseModel):
    """`POST /api/feedback` body; `kind` is liked, disliked or seen."""

    session: str
    item_id: str
    kind: str


class ForgetIn(BaseModel):
    """`POST /api/forget` body."""

    session: str


def create_server_app(bot: "ChatRec") -> "FastAPI":
    """One FastAPI app: `POST /api/chat`, `/api/feedback`, `/api/forget`, `GET /api/health`, and the page at `/`."""
    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse

    app = FastAPI(title="chatrec", docs_url=None, redoc_url=None, openapi_url=None)

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    def guarded(call):
        try:
            return call()
        except InputError as exc:
            return error(400, str(exc))
        except ChatRecError as exc:
            return error(500, str(exc))
        except Exception:  # noqa: BLE001 - logged; the client gets no stack trace
            log.exception("API call failed")
            return error(500, "internal error")

    @app.exception_handler(RequestValidationError)
    async def bad_request(request, exc: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors())
        return error(400, f"bad request: {problems}")

    @app.get("/api/health")
    def api_health():
        """Liveness plus the LLM's failure counters and the explanation checker's tally."""
        return {"ok": True, "items": len(bot.catalog), "llm": bot.llm.name, "llm_stats": bot.llm.stats.as_dict(),
                "explanations": {"accepted": bot.explainer.accepted, "rejected": bot.explainer.rejected}}

    @app.post("/api/chat")
    def api_chat(body: ChatIn):
        return guarded(lambda: bot.chat(body.message, session=body.session).model_dump(mode="json"))

    @app.post("/api/feedback")
    def api_feedback(body: FeedbackIn):
        return guarded(lambda: {"interests": bot.feedback(body.session, body.item_id, body.kind).model_dump(mode="json")})

    @app.post("/api/forget")
    def api_forget(body: ForgetIn):
        return guarded(lambda: (bot.forget(body.session), {"ok": True})[1])

    return gr.mount_gradio_app(app, build_app(bot), path="/", theme=ui_theme(), css=CSS,
                               footer_links=[], show_error=False)


def serve(bot: "ChatRec", host: str = "127.0.0.1", port: int = 7860, *, log_level: str = "warning") -> None:
    """Serve the page and the API until Ctrl-C."""
    import uvicorn

    app = create_server_app(bot)
    print(f"chatrec is running at http://{host}:{port}  (Ctrl-C to stop)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level)


# ---------------------------------------------------------------- command line

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chatrec serve", description="Serve chatrec's chat page and JSON API.")
    configure(parser)
    return parser


def configure(parser: argparse.ArgumentParser) -> None:
    """The serve options (shared by `python app.py` and `chatrec serve`)."""
    from chatrec.cli import add_catalog_options, add_index_options

    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="port to listen on (default 7860)")
    parser.add_argument("--llm", metavar="MODE",
                        help="local, none, gguf:/path/model.gguf, openai:MODEL, ... (CHATREC_LLM; default local)")
    add_catalog_options(parser)
    add_index_options(parser)


def run(args: argparse.Namespace) -> int:
    """Build the bot from the arguments and serve it; a configuration error is one line, exit code 2."""
    from chatrec.cli import settings_from_args
    from chatrec.dialogue.manager import ChatRec

    try:
        settings = settings_from_args(args, llm=args.llm)
        print("Loading the catalog and the index (the first start indexes the catalog)…", flush=True)
        bot = ChatRec(settings=settings, progress=_print_progress)
    except ChatRecError as exc:
        print(f"chatrec: error: {exc}", file=sys.stderr)
        return 2
    bot.warm_up()  # the LLM loads and reads its prompts while the server starts
    try:
        serve(bot, host=args.host, port=args.port)
    except KeyboardInterrupt:
        return 130
    finally:
        bot.close()
    return 0


def _print_progress(done: int, total: int) -> None:
    print(f"\r  indexed {done:,} of {total:,} items", end="\n" if done >= total else "", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """`python app.py` / `chatrec serve`: parse the arguments, build the bot, serve."""
    return run(build_parser().parse_args(argv))
