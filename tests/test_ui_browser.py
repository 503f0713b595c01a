"""The web page in real headless Chromium (Debian's /usr/bin/chromium driven by playwright-python).

The app runs in a background thread on 127.0.0.1 with a free port; screenshots go to test-artifacts/.
Every wait is bounded; the server is stopped at the end.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "movies_300.jsonl"
TURN_TIMEOUT_MS = 60_000

sync_api = pytest.importorskip("playwright.sync_api")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_app(bot):
    """Serve chatrec's page and API for `bot` in a thread; yields the base URL."""
    import uvicorn

    from chatrec.ui.app import create_server_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_server_app(bot), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="chatrec-ui-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError("the chatrec app did not start within 30 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        # playwright gives every launch a new, empty temporary --user-data-dir
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def movie_app():
    from chatrec.testing.bots import make_bot

    bot = make_bot(catalog=FIXTURE, embedder="real", llm="none")
    with running_app(bot) as url:
        yield url
    bot.close()


class Visitor:
    """One browser context on the page, with its requests and dialogs recorded."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 1000})
        self.context.set_default_timeout(TURN_TIMEOUT_MS)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", self._on_dialog)
        self.page.goto(url, timeout=TURN_TIMEOUT_MS)
        self.page.wait_for_selector("#card-0 .rec-card", timeout=TURN_TIMEOUT_MS)
        self.wait_idle()

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def bot_messages(self) -> list[str]:
        return self.page.eval_on_selector_all("[data-testid='bot']", "els => els.map(e => e.innerText)")

    def wait_idle(self, min_bot_messages: int = 0) -> None:
        """Wait for a turn to finish: a new bot message, no pending explanation, no 'Thinking'."""
        self.page.wait_for_function(
            """n => document.querySelectorAll("[data-testid='bot']").length >= n
                   && !document.querySelector('.rec-expl.pending')
                   && !(document.querySelector('#picks-status')?.innerText || '').includes('Thinking')""",
            arg=min_bot_messages, timeout=TURN_TIMEOUT_MS)

    def send(self, text: str) -> str:
        before = len(self.bot_messages())
        self.page.fill("#message textarea", text)
        self.page.press("#message textarea", "Enter")
        self.wait_idle(before + 1)
        return self.bot_messages()[-1]

    def click(self, selector: str) -> str:
        before = len(self.bot_messages())
        self.page.click(selector)
        self.wait_idle(before + 1)
        return self.bot_messages()[-1]

    def cards(self) -> list[dict]:
        return self.page.eval_on_selector_all(".rec-card", """els => els.map(e => ({
            id: e.dataset.itemId, genres: e.dataset.genres.split(' '),
            title: e.querySelector('.rec-title').innerText,
            explanation: e.querySelector('.rec-expl').innerText}))""")

    def interests(self, kind: str) -> list[str]:
        return self.page.eval_on_selector_all(f"#interests .chip.{kind}", "els => els.map(e => e.innerText.trim())")

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / name), full_page=True)

    def offsite_requests(self, base: str) -> list[str]:
        return [u for u in self.requests if not u.startswith((base, "data:", "blob:"))]

    def close(self) -> None:
        self.context.close()


def test_conversation_feedback_and_isolated_sessions(browser, movie_app):
    alice = Visitor(browser, movie_app)
    try:
        assert alice.interests("like") == [] and alice.page.locator(".interest-empty").count() == 1
        alice.screenshot("ui-01-first-visit.png")

        reply = alice.send("I like sci-fi movies")
        assert "sci-fi" in reply
        cards = alice.cards()
        assert len(cards) == 5
        assert all("sci-fi" in card["genres"] for card in cards), cards
        assert all(len(card["explanation"]) > 20 for card in cards), cards
        alice.screenshot("ui-02-sci-fi.png")

        disliked = cards[0]
        reply = alice.click("#dislike-0")
        assert "Noted: not for you" in reply
        disliked_title = disliked["title"].split(".", 1)[1].strip()  # drop the "1." rank
        assert disliked_title in alice.interests("dislike")
        assert disliked["id"] not in [card["id"] for card in alice.cards()]

        alice.send("no horror please")
        assert "sci-fi" in alice.interests("like")
        assert "horror" in alice.interests("dislike")
        cards = alice.cards()
        assert cards and not [card for card in cards if "horror" in card["genres"]], cards
        alice.screenshot("ui-03-no-horror.png")

        bob = Visitor(browser, movie_app)
        try:
            assert bob.interests("like") == [] and bob.interests("dislike") == []
            assert "Well-known picks" in bob.page.inner_text("#picks-status")
            assert len(bob.cards()) == 5
            bob.send("I like comedies")
            assert "comedy" in bob.interests("like") and "sci-fi" not in bob.interests("like")
            bob.screenshot("ui-04-second-browser.png")
        finally:
            bob.close()

        alice.click("#seen-0")  # the panel is re-read from the server: Bob's turn did not leak into it
        assert "comedy" not in alice.interests("like") and "sci-fi" in alice.interests("like")
        assert "horror" in alice.interests("dislike")

        assert alice.offsite_requests(movie_app) == []
        assert alice.dialogs == []
    finally:
        alice.close()


def test_remove_interest_and_reset(browser, movie_app):
    visitor = Visitor(browser, movie_app)
    try:
        visitor.send("I like sci-fi movies")
        visitor.send("no horror please")
        assert "horror" in visitor.interests("dislike")
        visitor.page.click("#remove-choice input")
        visitor.page.get_by_role("option", name="👎 horror").click()
        visitor.click("#remove")
        assert "horror" not in visitor.interests("dislike") and "sci-fi" in visitor.interests("like")
        visitor.page.click("#reset")
        visitor.page.wait_for_selector(".interest-empty", timeout=TURN_TIMEOUT_MS)
        visitor.wait_idle(1)
        assert len(visitor.bot_messages()) == 1
    finally:
        visitor.close()


MALICIOUS = [
    {"id": "evil-1", "title": "<script>window.__pwned=1</script>Space <b>Bold</b>", "year": 2001,
     "genres": ["sci-fi"],
     "description": "<img src=x onerror=\"window.__pwned=2\"> [click me](javascript:window.__pwned=3) "
                    "${window.__pwned=4} {{constructor.constructor('window.__pwned=5')()}} **bold** </details></article>"},
    {"id": "evil-2", "title": "Robots [x](javascript:alert(1)) ![i](x) $$x^2$$", "year": 1999, "genres": ["sci-fi"],
     "description": "</div><div style=\"position:fixed;inset:0;background:red\">overlay</div>"},
    *[{"id": f"ok-{i}", "title": f"Star Voyage {i}", "year": 1990 + i, "genres": ["sci-fi", "adventure"],
       "description": "A crew travels to a distant star."} for i in range(3)],  # 5 sci-fi items: all on screen
    *[{"id": f"c-{i}", "title": f"Laugh Out {i}", "year": 2000 + i, "genres": ["comedy"],
       "description": "Friends make jokes."} for i in range(4)],
]


def test_untrusted_catalog_text_is_shown_not_run(browser, tmp_path):
    from chatrec.testing.bots import make_bot

    catalog = tmp_path / "evil.jsonl"
    catalog.write_text("".join(json.dumps(row) + "\n" for row in MALICIOUS), encoding="utf-8")
    bot = make_bot(catalog=catalog, embedder="hash", llm="none", collab=None, home=tmp_path / "home")
    with running_app(bot) as url:
        visitor = Visitor(browser, url)
        try:
            visitor.send("I like sci-fi movies")
            visitor.page.eval_on_selector_all("details.rec-details", "els => els.forEach(e => e.open = true)")
            titles = [card["title"] for card in visitor.cards()]
            assert any("<script>window.__pwned=1</script>Space <b>Bold</b>" in t for t in titles), titles
            assert any("[x](javascript:alert(1))" in t for t in titles), titles
            page_text = visitor.page.inner_text("body")
            assert "<img src=x onerror=" in page_text and "${window.__pwned=4}" in page_text
            assert visitor.page.evaluate("window.__pwned") is None
            assert visitor.page.locator("#interests img, .rec-card img, .rec-card script, .rec-card b, "
                                        "a[href^='javascript'], .rec-card a").count() == 0
            assert visitor.page.locator("[data-testid='bot'] script, [data-testid='bot'] a").count() == 0
            # every card keeps its own box: the injected closing tags did not end it early
            assert visitor.page.locator(".card-slot .rec-card details").count() == len(visitor.cards())
            visitor.screenshot("ui-05-untrusted-catalog.png")
            assert visitor.dialogs == []
        finally:
            visitor.close()
    bot.close()
