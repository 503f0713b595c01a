"""`ChatRec`: the dialogue manager and the Python API every door (UI, CLI, replay, eval) goes through.

One turn: check the input -> extract a grounded delta -> update the session's interest state ->
retrieve and rerank -> explain each pick (LLM, checked, template fallback) -> save the state and
transcript in one transaction -> `Reply`. `stream()` yields the recommendations before the
explanations are written.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Literal

from chatrec.catalog import Catalog, load_catalog
from chatrec.dialogue.explain import Explainer
from chatrec.dialogue.extract import Extractor
from chatrec.dialogue.grounding import Vocabulary
from chatrec.dialogue.recommend import Recommender, RankWeights, Scored
from chatrec.dialogue.schema import GroundedDelta, InterestSummary, Recommendation, Reply
from chatrec.dialogue.state import InterestState
from chatrec.errors import ConfigError, InputError
from chatrec.sessions import SessionStore, check_session_id
from chatrec.settings import Settings

log = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 2000
COLD_START_QUESTION = ("Tell me what you enjoy: a genre, a film you loved, an actor or director? "
                       "Meanwhile, here are a few well-known picks from different genres.")
FEEDBACK_KINDS = ("liked", "disliked", "seen")
TURN_WORKERS = 8
"""Turns that run at once per bot; more wait for a free worker (they would share the same CPUs anyway)."""
_POOL_LOCK = threading.Lock()


@dataclass
class StreamEvent:
    """One step of a streamed turn: `preview` (first picks from the rules, when an LLM also reads the
    message), `recommendations` (the picks, explanations pending), `explanation`, `done`."""

    kind: Literal["preview", "recommendations", "explanation", "done"]
    reply: Reply
    index: int | None = None


def clean_message(message: Any) -> tuple[str, list[str]]:
    """Normalise a user message: a string, no control characters, at most MAX_MESSAGE_CHARS."""
    if message is None:
        return "", []
    if not isinstance(message, str):
        raise InputError(f"a message must be text, not {type(message).__name__}")
    notices = []
    text = unicodedata.normalize("NFC", message)
    text = "".join(ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = " ".join(text.split())
    if len(text) > MAX_MESSAGE_CHARS:
        notices.append(f"Your message was {len(text):,} characters long; I read the first {MAX_MESSAGE_CHARS:,}.")
        text = text[:MAX_MESSAGE_CHARS]
    return text, notices


class ChatRec:
    """A conversational recommender over one catalog.

    `ChatRec()` uses the bundled movie catalog, the embedded embedding model and LLM, a local
    Chroma folder and a SQLite session file under the settings' home. Everything can be passed in:
    `catalog` (a Catalog or a file path), `llm` ("none", "local", "openai:MODEL", "gguf:/path", an
    `LLM` or a LangChain chat model), `store` (a `VectorIndex`, a Chroma server URL or a folder),
    `sessions` (a `SessionStore`, a SQLite path or ":memory:").
    """

    def __init__(self, *, catalog: Catalog | str | Path | None = None, llm: Any = None, store: Any = None,
                 sessions: SessionStore | str | Path | None = None, settings: Settings | None = None,
                 embedder=None, collab=None, weights: RankWeights | None = None, explain: bool | None = None,
                 top_k: int | None = None, progress: Callable[[int, int], None] | None = None):
        from chatrec.indexing import open_catalog, open_index
        from chatrec.llm.factory import make_llm

        self.settings = settings or Settings.from_env()
        if isinstance(catalog, Catalog):
            self.catalog = catalog
        elif catalog is not None:
            self.catalog = load_catalog(catalog, self.settings.catalog_map, ids=self.settings.catalog_ids)
        else:
            self.catalog = open_catalog(self.settings)
        self._bundled_catalog = catalog is None and not self.settings.catalog
        if embedder is None:
            from chatrec.embeddings import shared_embedder

            embedder = shared_embedder(self.settings.embed_model)
        self.embedder = embedder
        self.index = self._open_store(store, open_index)
        self.index_report = self.index.sync(progress=progress)
        self.index.warm()
        self.collab = collab if collab is not None else self._default_collab()
        self.llm = make_llm(llm if llm is not None else self.settings.llm, self.settings)
        popularity = {i: self.collab.popularity(i) for i in self.catalog.ids} if self.collab is not None else None
        self.vocab = Vocabulary(self.catalog, popularity)
        self.extractor = Extractor(self.llm, self.vocab, embedder=self.embedder)
        self.recommender = Recommender(self.catalog, self.index, self.embedder, self.vocab, collab=self.collab,
                                       weights=weights or RankWeights.bundled())
        use_llm_explanations = self.settings.explain if explain is None else explain
        self.explainer = Explainer(self.llm, self.vocab, use_llm=use_llm_explanations)
        self.top_k = top_k or self.settings.top_k
        self._pool: ThreadPoolExecutor | None = None
        # the first torch call on a thread is slow (~0.5 s): pay it on a turn worker now, not in the first turn
        self._turn_pool().submit(self.recommender.warm)
        if isinstance(sessions, SessionStore):
            self.sessions = sessions
        else:
            self.sessions = SessionStore(str(sessions) if sessions is not None else self.settings.sessions_path)

    def _open_store(self, store, open_index):
        from chatrec.store import VectorIndex, make_client

        if isinstance(store, VectorIndex):
            return store
        if store is None:
            return open_index(self.settings, self.catalog, self.embedder)
        if isinstance(store, (str, Path)):
            text = str(store)
            if text.startswith(("http://", "https://")):
                client = make_client(url=text, path=None)
            else:
                client = make_client(url=None, path=Path(text))
            return VectorIndex(client, self.catalog, self.embedder)
        raise ConfigError("store must be a VectorIndex, a Chroma server URL or a folder path")

    def _default_collab(self):
        from chatrec.collab.defaults import load_collab

        return load_collab(self.settings, self.catalog, bundled=self._bundled_catalog)

    # ---- the public API -----------------------------------------------------------------------
    def chat(self, message: str, session: str = "default") -> Reply:
        """One turn: the reply text, ranked recommendations with explanations, and the interests."""
        reply = None
        for event in self.stream(message, session=session):
            reply = event.reply
        assert reply is not None
        return reply

    def stream(self, message: str, session: str = "default") -> Iterator[StreamEvent]:
        """One turn as events: `preview` (the rules' first reading, only when an LLM reads the message
        too), `recommendations` (the picks; explanations pending), one `explanation` per pick, `done`.

        The turn runs on a worker thread: a caller that stops reading never blocks the session, and
        the turn (state and transcript) is saved even if nobody reads to the end. The workers live as
        long as the bot (a new thread per turn would rebuild torch's thread pool: ~0.5 s a turn).
        """
        session = check_session_id(session)
        text, notices = clean_message(message)
        if not text:
            state = self.sessions.load(session)
            yield StreamEvent("done", Reply(
                text="Your message was empty. Tell me a genre, a film you liked, or an actor.",
                interests=state.summary(), session=session, turn=state.turn,
                notices=notices + ["Empty message: nothing changed."], asks_question=True))
            return
        events: queue.SimpleQueue = queue.SimpleQueue()
        stop = threading.Event()
        self._turn_pool().submit(self._run_turn, session, text, notices, events.put, stop)
        try:
            while True:
                event = events.get()
                if isinstance(event, BaseException):
                    raise event
                yield event
                if event.kind == "done":
                    return
        finally:
            stop.set()

    def _turn_pool(self) -> ThreadPoolExecutor:
        with _POOL_LOCK:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=TURN_WORKERS, thread_name_prefix="chatrec-turn")
            return self._pool

    def _run_turn(self, session: str, text: str, notices: list[str], emit: Callable[[Any], None],
                  stop: threading.Event) -> None:
        try:
            self._turn(session, text, notices, emit, stop)
        except BaseException as exc:  # handed to the reader, who raises it
            emit(exc)

    def _turn(self, session: str, text: str, notices: list[str], emit: Callable[[Any], None],
              stop: threading.Event) -> None:
        with self.sessions.session_lock(session):
            state = self.sessions.load(session)
            timings: dict[str, float] = {}
            start = time.perf_counter()
            state.begin_turn(text)
            ruled = self.extractor.rules.extract(text, shown=state.last_shown, turn=state.turn)
            rules_seconds = time.perf_counter() - start
            if self.extractor.uses_llm(text):
                # picks from the rules' reading right away; the LLM's reading below may change them
                early = state.model_copy(deep=True)
                early_delta = ruled.model_copy(deep=True)
                self._apply(early, early_delta)
                early_picks = self.recommender.rank(early, k=self.top_k)
                timings["preview"] = time.perf_counter() - start
                emit(StreamEvent("preview", self._reply(session, early, early_delta, early_picks, list(notices),
                                                        dict(timings), preview=True)))
            t = time.perf_counter()
            delta, llm_notices = self.extractor.extract(text, shown=state.last_shown, turn=state.turn, ruled=ruled)
            notices += llm_notices
            self._apply(state, delta)
            timings["extract"] = rules_seconds + time.perf_counter() - t
            t = time.perf_counter()
            picks = self.recommender.rank(state, k=self.top_k)
            timings["recommend"] = time.perf_counter() - t
            reply = self._reply(session, state, delta, picks, notices, dict(timings))
            state.record_shown([p.item.id for p in picks])
            self.sessions.save(session, state, [("user", text)])
        # The state is saved: explanations are written outside the session lock.
        emit(StreamEvent("recommendations", reply.model_copy(deep=True)))
        t = time.perf_counter()
        elapsed = t - start
        deadline = time.monotonic() + min(self.settings.explain_budget, self.settings.turn_budget - elapsed)
        llm_alive = not self.extractor.last_call_failed
        for i, pick in enumerate(picks):
            allow = llm_alive and not stop.is_set() and time.monotonic() < deadline
            sentence, source = self.explainer.explain(pick.item, state, pick.matched, pick.parts,
                                                      allow_llm=allow, deadline=deadline)
            llm_alive = llm_alive and not self.explainer.last_call_failed
            reply.recommendations[i].explanation = sentence
            reply.recommendations[i].explanation_source = source
            if not stop.is_set():
                emit(StreamEvent("explanation", reply.model_copy(deep=True), index=i))
        timings["explain"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - start
        reply.timings = timings
        self.sessions.append_transcript(session, state.turn, "assistant", reply.text + "".join(
            f"\n{i + 1}. {r.label}: {r.explanation}" for i, r in enumerate(reply.recommendations)))
        emit(StreamEvent("done", reply))

    def _apply(self, state: InterestState, delta: GroundedDelta) -> None:
        """Apply a message's delta (feedback on catalog items only) to the state."""
        feedback, delta.feedback = [fb for fb in delta.feedback if fb.item_id in self.catalog], []
        state.apply(delta)
        for fb in feedback:
            state.apply_feedback(fb.item_id, fb.kind, label=self.catalog[fb.item_id].label)
        delta.feedback = feedback

    def _reply(self, session: str, state: InterestState, delta: GroundedDelta, picks: list[Scored],
               notices: list[str], timings: dict[str, float], *, preview: bool = False) -> Reply:
        asks = state.is_empty() or (delta.is_empty() and not picks)
        return Reply(text=self._reply_text(state, delta, picks, asks), interests=state.summary(), session=session,
                     turn=state.turn, notices=notices, timings=timings, asks_question=asks, preview=preview,
                     recommendations=[_recommendation(p) for p in picks])

    def feedback(self, session: str, item_id: str, kind: str) -> InterestSummary:
        """Record 👍 ("liked"), 👎 ("disliked") or "seen" on an item; returns the updated interests."""
        session = check_session_id(session)
        if kind not in FEEDBACK_KINDS:
            raise InputError(f"feedback must be one of {', '.join(FEEDBACK_KINDS)}, not {kind!r}")
        item = self.catalog.get(str(item_id))
        if item is None:
            raise InputError(f"unknown item id {item_id!r}")
        with self.sessions.session_lock(session):
            state = self.sessions.load(session)
            state.apply_feedback(item.id, kind, label=item.label)
            self.sessions.save(session, state, [("feedback", f"{kind}: {item.label}")])
            return state.summary()

    def remove_interest(self, session: str, label: str) -> InterestSummary:
        """Drop one like, dislike or constraint by the label the interest panel shows."""
        session = check_session_id(session)
        if not isinstance(label, str) or not label.strip():
            raise InputError("the interest to remove must be given by its label, as the interest panel shows it")
        with self.sessions.session_lock(session):
            state = self.sessions.load(session)
            state.remove(label)
            self.sessions.save(session, state, [("edit", f"removed {label}")])
            return state.summary()

    def record_assistant_turn(self, session: str, text: str, item_ids: list[str] = ()) -> None:
        """Record what a (human or other) recommender said; the items it names count as mentioned."""
        session = check_session_id(session)
        text, _ = clean_message(text)
        item_ids = [str(i) for i in item_ids or ()]
        with self.sessions.session_lock(session):
            state = self.sessions.load(session)
            found = [t.item_id for t in self.vocab.titles_in(text)] + [i for i in item_ids if i in self.catalog]
            for item_id in dict.fromkeys(found):
                if item_id not in state.mentioned:
                    state.mentioned.append(item_id)
            self.sessions.save(session, state, [("assistant", text)])

    def interests(self, session: str) -> InterestSummary:
        return self.sessions.load(check_session_id(session)).summary()

    def state(self, session: str) -> InterestState:
        return self.sessions.load(check_session_id(session))

    def recommend(self, session: str, *, k: int | None = None, explain: bool = False,
                  record: bool = False) -> list[Recommendation]:
        """The current ranking without a new message.

        `explain=True` adds checked template explanations (no LLM call); `record=True` remembers
        the picks as shown, so "the second one" in the next message refers to them.
        """
        session = check_session_id(session)
        with self.sessions.session_lock(session):
            state = self.sessions.load(session)
            picks = self.recommender.rank(state, k=k or self.top_k)
            recs = [_recommendation(p) for p in picks]
            if explain:
                for rec, pick in zip(recs, picks):
                    rec.explanation, rec.explanation_source = self.explainer.explain(
                        pick.item, state, pick.matched, pick.parts, allow_llm=False)
            if record:
                state.record_shown([p.item.id for p in picks])
                self.sessions.save(session, state)
            return recs

    def forget(self, session: str) -> None:
        """Delete the session's state and transcript."""
        self.sessions.forget(check_session_id(session))

    def warm_up(self, *, wait: bool = False):
        """Load the LLM and read its fixed prompt parts now, so the first turn does not pay for them.

        The embedded model takes ~10 s to load and read its extraction and explanation prompts
        the first time; the web UI and `chatrec chat` call this at start. Returns the future (None
        for `none`); a turn that starts meanwhile waits for the model like any other caller.
        """
        if self.llm.is_null:
            return None

        def run() -> None:
            try:
                self.extractor.extract("hello", shown=[])
                if self.explainer.use_llm:
                    self.explainer.warm(next(iter(self.catalog)), InterestState())
            except Exception as exc:  # a warm-up failure shows again, properly, in the first turn
                log.info("LLM warm-up failed: %s", type(exc).__name__)

        future = self._turn_pool().submit(run)
        if wait:
            future.result()
        return future

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self.sessions.close()

    # ---- helpers --------------------------------------------------------------------------
    def _reply_text(self, state: InterestState, delta: GroundedDelta, picks: list[Scored], asks: bool) -> str:
        if state.is_empty():
            return COLD_START_QUESTION
        if not picks:
            return ("I could not find anything that fits all of that. Try loosening a constraint "
                    f"(now: {state.summary().text()}).")
        if delta.is_empty() and not state.recent_messages[-1:] == []:
            lead = "Here is what I have so far"
        else:
            lead = "Got it"
        return f"{lead}: {state.summary().text()}. Here are {len(picks)} picks for you."


def _recommendation(pick: Scored) -> Recommendation:
    item = pick.item
    return Recommendation(item_id=item.id, title=item.title, year=item.year, genres=list(item.genres),
                          score=round(pick.score, 4), score_parts=pick.parts, matched=pick.matched)
