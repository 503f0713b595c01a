"""The UI without a browser: escaping of catalog text, the page's handlers, and the JSON API."""

from __future__ import annotations

import html as html_module
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("gradio")

from fastapi.testclient import TestClient  # noqa: E402

from chatrec.dialogue.schema import InterestSummary, Recommendation  # noqa: E402
from chatrec.errors import InputError  # noqa: E402
from chatrec.testing.bots import make_bot  # noqa: E402
from chatrec.ui.app import (FRIENDLY_FAILURE, ChatPage, card_html, create_server_app,  # noqa: E402
                            interests_html, message_html)

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "movies_300.jsonl"
EVIL = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '[click](javascript:alert(1))',
        '"><svg onload=alert(1)>', "</details></article><div>", "${alert(1)}"]


@pytest.fixture(scope="module")
def bot():
    bot = make_bot(catalog=FIXTURE, embedder="hash", llm="none")
    yield bot
    bot.close()


def finish(handler_views):
    """The last view a streaming handler yields."""
    views = list(handler_views)
    assert views
    return views[-1]


class TagCollector(HTMLParser):
    """The elements and attribute names a browser would build from an HTML fragment."""

    def __init__(self, fragment: str):
        super().__init__()
        self.tags: list[str] = []
        self.attributes: set[str] = set()
        self.feed(fragment)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes |= {name for name, _ in attrs}


# ---------------------------------------------------------------- escaping

@pytest.mark.parametrize("evil", EVIL)
def test_card_escapes_every_catalog_string(evil):
    rec = Recommendation(item_id=f'id"{evil}', title=f"Title {evil}", year=1999, genres=[f"g{evil}"], score=0.5,
                         score_parts={f"part{evil}": 0.1}, explanation=f"Because {evil}",
                         explanation_source="template", matched=[f"m{evil}"])
    html = card_html(rec, 1, description=f"Plot {evil} **bold** [x](y)", people=[f"dir. {evil}"])
    parsed = TagCollector(html)
    assert set(parsed.tags) <= {"article", "h3", "span", "div", "p", "details", "summary", "table", "tr", "th", "td"}
    assert parsed.attributes <= {"class", "data-item-id", "data-genres", "data-source"}
    assert parsed.tags.count("article") == 1 and html.count("</article>") == 1
    assert parsed.tags.count("details") == 1 and html.count("</details>") == 1
    assert f"Title {html_module.escape(evil)}" in html


def test_card_shows_plain_text_for_markdown():
    rec = Recommendation(item_id="1", title="**Bold** [link](http://x)", score=0.1, explanation="_it_",
                         explanation_source="llm")
    html = card_html(rec, 1)
    assert "**Bold** [link](http://x)" in html and "_it_" in html
    assert not {"a", "strong", "em"} & set(TagCollector(html).tags)


def test_card_marks_pending_explanations():
    rec = Recommendation(item_id="1", title="Alien", score=0.1)
    assert "pending" in card_html(rec, 1)


def test_interest_panel_and_chat_messages_are_escaped():
    summary = InterestSummary(likes=["<b>x</b>"], dislikes=["<img src=x onerror=alert(1)>"], constraints=["from 1990 on"])
    html = interests_html(summary)
    assert set(TagCollector(html).tags) == {"div", "span"} and "&lt;img" in html
    assert "interest-empty" in interests_html(InterestSummary())
    assert message_html("<script>x</script>\nline 2") == "&lt;script&gt;x&lt;/script&gt;<br>line 2"


# ---------------------------------------------------------------- handlers

def test_first_visit_has_welcome_and_cold_start_picks(bot):
    view = ChatPage(bot).start()
    assert len(view.history) == 1 and view.history[0]["role"] == "assistant"
    assert len(view.page.cards) == bot.top_k and all(c.explanation for c in view.page.cards)
    assert view.interests.likes == []


def test_sessions_are_isolated(bot):
    ui = ChatPage(bot)
    alice, bob = ui.start(), ui.start()
    assert alice.page.session != bob.page.session
    a = finish(ui.send(alice.page, alice.history, "I like sci-fi movies"))
    b = finish(ui.send(bob.page, bob.history, "I like comedies"))
    assert a.interests.likes == ["sci-fi"] and b.interests.likes == ["comedy"]
    assert all("sci-fi" in c.genres for c in a.page.cards)
    after = ui.feedback(b.page, b.history, 0, "disliked")
    assert bot.interests(alice.page.session).dislikes == [] and after.interests.dislikes
    assert len(a.history) == 3 and len(after.history) == 4


def test_send_streams_picks_before_explanations(bot):
    ui = ChatPage(bot)
    start = ui.start()
    views = list(ui.send(start.page, start.history, "I like sci-fi movies"))
    assert views[0].clear_input and views[0].history[-1]["role"] == "user"
    first_picks = next(v for v in views if v.page.cards and len(v.history) == 3)
    assert len(views) >= 3 + bot.top_k  # user message, picks, one per explanation, done
    assert views[-1].page.cards[-1].explanation_source != "pending"
    assert first_picks is not None


def test_feedback_refreshes_picks_and_interests(bot):
    ui = ChatPage(bot)
    start = ui.start()
    view = finish(ui.send(start.page, start.history, "I like sci-fi movies"))
    first = view.page.cards[0]
    after = ui.feedback(view.page, view.history, 0, "disliked")
    assert first.label in after.interests.dislikes
    assert first.item_id not in [c.item_id for c in after.page.cards]
    assert "Noted" in after.history[-1]["content"]
    seen = ui.feedback(after.page, after.history, 1, "seen")
    assert after.page.cards and seen.interests.seen


def test_remove_interest_and_reset(bot):
    ui = ChatPage(bot)
    start = ui.start()
    finish(ui.send(start.page, start.history, "I like sci-fi movies"))
    view = finish(ui.send(start.page, start.history, "no horror please"))
    assert "horror" in view.interests.dislikes
    removed = ui.remove(view.page, view.history, "horror")
    assert "horror" not in removed.interests.dislikes and "sci-fi" in removed.interests.likes
    fresh = ui.reset(removed.page)
    assert fresh.page.session == start.page.session
    assert fresh.interests.likes == [] and len(fresh.history) == 1


def test_empty_message_changes_nothing(bot):
    ui = ChatPage(bot)
    start = ui.start()
    view = finish(ui.send(start.page, start.history, "   "))
    assert view.history == start.history


@pytest.mark.parametrize("failure", [RuntimeError("db exploded\nTraceback: secret"), InputError("that did not work")])
def test_errors_become_a_short_message_and_keep_the_session(bot, monkeypatch, failure):
    ui = ChatPage(bot)
    start = ui.start()
    view = finish(ui.send(start.page, start.history, "I like sci-fi movies"))

    def broken(*args, **kwargs):
        raise failure
        yield  # pragma: no cover - makes this a generator like the real stream

    monkeypatch.setattr(bot, "stream", broken)
    failed = finish(ui.send(view.page, view.history, "something like Alien"))
    text = failed.history[-1]["content"]
    assert "Traceback" not in text and "secret" not in text
    assert text == (FRIENDLY_FAILURE if isinstance(failure, RuntimeError) else "⚠️ that did not work")
    assert failed.history[:-2] == view.history and failed.page.cards == view.page.cards
    assert failed.interests.likes == ["sci-fi"]  # the session survived

    monkeypatch.setattr(bot, "feedback", lambda *a, **k: (_ for _ in ()).throw(failure))
    after = ui.feedback(failed.page, failed.history, 0, "liked")
    assert after.history[-1]["role"] == "assistant" and "Traceback" not in after.history[-1]["content"]


# ---------------------------------------------------------------- HTTP API

@pytest.fixture(scope="module")
def client(bot):
    with TestClient(create_server_app(bot)) as client:
        yield client


def test_api_chat_feedback_forget(client):
    reply = client.post("/api/chat", json={"session": "api-1", "message": "I like sci-fi movies"})
    assert reply.status_code == 200
    body = reply.json()
    assert body["interests"]["likes"] == ["sci-fi"] and len(body["recommendations"]) == 5
    item = body["recommendations"][0]["item_id"]
    fb = client.post("/api/feedback", json={"session": "api-1", "item_id": item, "kind": "disliked"})
    assert fb.status_code == 200 and fb.json()["interests"]["rejected"] == [item]
    assert client.post("/api/forget", json={"session": "api-1"}).json() == {"ok": True}
    again = client.post("/api/chat", json={"session": "api-1", "message": "hello"}).json()
    assert "sci-fi" not in again["interests"]["likes"]
    assert client.get("/api/health").json()["ok"] is True


@pytest.mark.parametrize("path, body", [
    ("/api/chat", {"session": "bad id!", "message": "hi"}),
    ("/api/chat", {"session": "s"}),
    ("/api/chat", {"session": "s", "message": 5}),
    ("/api/chat", {"session": "s", "message": ["a"]}),
    ("/api/feedback", {"session": "s", "item_id": "no-such-item", "kind": "liked"}),
    ("/api/feedback", {"session": "s", "item_id": "204974", "kind": "meh"}),
    ("/api/forget", {}),
    ("/api/forget", {"session": ""}),
])
def test_api_bad_input_is_400_with_a_message(client, path, body):
    response = client.post(path, json=body)
    assert response.status_code == 400
    assert isinstance(response.json()["error"], str) and response.json()["error"]


def test_api_rejects_malformed_json(client):
    response = client.post("/api/chat", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and "error" in response.json()


def test_page_is_served(client):
    response = client.get("/")
    assert response.status_code == 200 and "fonts.googleapis.com" not in response.text
    theme = client.get("/theme.css")
    assert theme.status_code == 200 and "system-ui" in theme.text and "https://" not in theme.text


def test_a_turn_that_breaks_mid_stream_leaves_no_pending_cards(bot, monkeypatch):
    ui = ChatPage(bot)
    start = ui.start()
    real_stream = bot.stream

    def breaks_after_picks(message, session):
        for event in real_stream(message, session=session):
            yield event
            if event.kind == "recommendations":
                raise RuntimeError("explainer crashed")

    monkeypatch.setattr(bot, "stream", breaks_after_picks)
    view = finish(ui.send(start.page, start.history, "I like sci-fi movies"))
    assert view.history[-1]["content"] == FRIENDLY_FAILURE
    assert view.page.cards and all(c.explanation_source == "template" for c in view.page.cards)


def test_health_exposes_llm_failure_counters():
    from fastapi.testclient import TestClient

    from chatrec.testing.bots import make_bot
    from chatrec.ui.app import create_server_app

    bot = make_bot(catalog=Path(__file__).resolve().parent / "fixtures" / "movies_300.jsonl")
    body = TestClient(create_server_app(bot)).get("/api/health").json()
    assert body["ok"] and body["llm"] == "none"
    assert {"calls", "failures", "retries", "repairs"} <= set(body["llm_stats"])
