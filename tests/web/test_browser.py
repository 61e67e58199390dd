"""End to end in headless Chromium: the manager creates a session in the pages, the candidate
completes it in the chat page (reloading half-way), and the manager reads and exports the report.

Uses Debian's ``/usr/bin/chromium`` through the ``playwright`` package (never a downloaded
browser). Screenshots go to a temporary directory, and also to ``$SCREENER_SCREENSHOTS`` if set.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.web.service import CLOSING_MESSAGE

from .helpers import (
    HALLUCINATION,
    MANAGER,
    MANAGER_TOKEN,
    PROBE_ANSWER,
    STRONG,
    TOURIST,
    XSS_IMG,
    XSS_SCRIPT,
    ServerProcess,
    app_server,
    confirm_notice,
    finish,
    serve_env,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]

sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (dev)")


@pytest.fixture
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def shots(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "screenshots"
    directory.mkdir()
    yield directory
    target = os.environ.get("SCREENER_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for png in directory.glob("*.png"):
            shutil.copy(png, Path(target) / png.name)


def _watch_dialogs(page: Any, seen: list[tuple[str, str]]) -> None:
    def on_dialog(dialog: Any) -> None:
        seen.append((dialog.type, dialog.message))
        dialog.accept() if dialog.type == "confirm" else dialog.dismiss()

    page.on("dialog", on_dialog)


def _wait_until(page: Any, expression: str, arg: Any = None, timeout: float = 15.0) -> None:
    """Poll ``expression`` (a JavaScript function of ``arg``) from here until it is truthy.

    Playwright's ``wait_for_function`` polls inside the page with ``eval``, which the pages'
    Content Security Policy forbids (``script-src 'self'``); ``evaluate`` goes through the
    DevTools protocol, which the policy does not cover, so the polling is done on this side.
    """
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:.0f} s: {expression}")
        time.sleep(0.05)


def _wait_turn(page: Any, answers_before: int) -> None:
    """Wait until the answer is on the page and the next message has finished streaming."""
    _wait_until(
        page,
        """(n) => document.querySelectorAll('.msg.candidate').length > n
              && !document.querySelector('.streaming')
              && (!document.getElementById('answer-form').hidden
                  || !document.getElementById('closing').hidden)""",
        answers_before,
    )


def test_manager_and_candidate_in_a_real_browser(
    browser: Any, screener_exe: str, cli_env: dict[str, str], tmp_path: Path, shots: Path
) -> None:
    dialogs: list[tuple[str, str]] = []
    with ServerProcess(screener_exe, tmp_path / "data" / "s.sqlite", serve_env(cli_env)) as server:
        manager_token = server.printed_token()
        assert manager_token

        # --- the manager signs in and creates a session through the pages -------------------
        manager_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        manager = manager_ctx.new_page()
        manager.set_default_timeout(15000)
        _watch_dialogs(manager, dialogs)
        manager.goto(server.url + "/manage")
        assert manager.url.endswith("/manage/login")
        manager.fill("#token", "not-the-token")
        manager.click("button[type=submit]")
        assert "That is not the manager token." in manager.inner_text(".error")
        manager.fill("#token", manager_token)
        manager.click("button[type=submit]")
        manager.wait_for_url(server.url + "/manage")
        cookie = next(c for c in manager_ctx.cookies() if c["name"] == "screener_manager")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

        label = "Ada " + XSS_IMG
        manager.fill("#candidate_label", label)
        manager.select_option("#track", "ai-engineer")
        manager.fill("#questions", "2")
        manager.click("#new-session button[type=submit]")
        manager.wait_for_selector("#created", state="visible")
        candidate_url = manager.input_value("#candidate-url")
        assert candidate_url.startswith(server.url + "/i/")
        assert label in manager.inner_text("#sessions")  # shown as text, not markup

        # --- the candidate answers in the chat page ---------------------------------------------
        candidate_ctx = browser.new_context(viewport={"width": 1000, "height": 860})
        candidate = candidate_ctx.new_page()
        candidate.set_default_timeout(15000)
        _watch_dialogs(candidate, dialogs)
        candidate.goto(candidate_url)
        candidate.click("#start")
        candidate.wait_for_selector("#answer-form", state="visible")
        assert candidate.inner_text("#progress") == "Question 1 of 2"
        assert candidate.inner_text(".msg.interviewer .body") == (
            "Show me a regression suite you wrote."
        )
        candidate.fill("#answer", "x" * 8001)
        assert candidate.inner_text("#counter") == "8,001 / 8,000 characters"
        assert candidate.is_disabled("#send")
        first_answer = TOURIST + "\n" + XSS_SCRIPT
        candidate.fill("#answer", first_answer)
        assert candidate.inner_text("#counter") == f"{len(first_answer):,} / 8,000 characters"
        candidate.click("#send")
        _wait_turn(candidate, 0)
        # No measured evidence: the interviewer probes once, still on question 1.
        assert candidate.text_content(".msg.interviewer:last-of-type .tag") == "Follow-up 1"
        assert candidate.inner_text("#progress") == "Question 1 of 2"
        probe = candidate.inner_text(".msg.interviewer:last-of-type .body")

        # Reloading continues the session: the exchange so far, then the same next message.
        candidate.reload()
        candidate.wait_for_selector("#answer-form", state="visible")
        bodies = candidate.locator(".msg .body").all_inner_texts()
        assert bodies == ["Show me a regression suite you wrote.", first_answer, probe]
        candidate.fill("#answer", PROBE_ANSWER)
        candidate.click("#send")
        _wait_turn(candidate, 1)
        assert candidate.inner_text("#progress") == "Question 2 of 2"
        candidate.fill("#answer", HALLUCINATION[:160])
        candidate.screenshot(path=str(shots / "candidate.png"), full_page=True)
        text = HALLUCINATION
        for _ in range(4):
            if candidate.is_visible("#closing"):
                break
            answered = candidate.locator(".msg.candidate").count()
            candidate.fill("#answer", text)
            candidate.click("#send")
            _wait_turn(candidate, answered)
            text = PROBE_ANSWER
        assert candidate.is_visible("#closing")
        assert candidate.is_hidden("#answer-form")
        assert candidate.inner_text("#closing") == CLOSING_MESSAGE
        assert candidate.inner_text("#progress") == "Interview complete"
        seen_by_candidate = candidate.inner_text("body").lower()
        for word in ("rubric", "tourist", "overall", "recommendation", "/ 5", "ada"):
            assert word not in seen_by_candidate
        candidate.screenshot(path=str(shots / "candidate-done.png"), full_page=True)

        # --- the manager reads the report and exports it ---------------------------------------
        manager.goto(server.url + "/manage")
        row = manager.locator("#sessions tbody tr").first
        assert "Done" in row.inner_text()
        manager.screenshot(path=str(shots / "manager-sessions.png"))
        row.locator("a").click()
        manager.wait_for_selector("#report-summary")
        assert manager.locator(".question").count() == 2
        assert manager.locator("blockquote.evidence").count() >= 1
        assert probe in manager.inner_text(".question >> nth=0")  # the follow-up asked
        assert "Recommendation." in manager.inner_text(".recommendation")
        transcript = manager.inner_text("#transcript")
        assert XSS_SCRIPT in transcript
        assert manager.evaluate("window.__pwned") is None
        assert candidate.evaluate("window.__pwned") is None
        manager.screenshot(path=str(shots / "manager.png"), full_page=True)

        markdown = manager.request.get(server.url + manager.get_attribute("#export-md", "href"))
        assert markdown.status == 200 and markdown.text().startswith("# Screening report")
        exported = manager.request.get(server.url + manager.get_attribute("#export-json", "href"))
        report = json.loads(exported.text())
        assert exported.status == 200 and report["status"] == "complete"
        assert report["transcript"][0]["answer"] == first_answer

        # Deleting asks for confirmation, then the session is gone.
        manager.click("#delete-session")
        manager.wait_for_url(server.url + "/manage")
        assert manager.is_hidden("#sessions") and manager.is_visible("#no-sessions")
        candidate.goto(candidate_url)
        assert "not valid" in candidate.inner_text("body")

    assert [d for d in dialogs if d[0] != "confirm"] == []  # no payload ever ran alert()
    assert [d[0] for d in dialogs] == ["confirm"]
    assert (shots / "candidate.png").stat().st_size > 10_000
    assert (shots / "manager.png").stat().st_size > 10_000


def test_a_reply_lost_in_the_browser_then_send_again_records_the_answer_once(
    browser: Any, screener_exe: str, cli_env: dict[str, str], tmp_path: Path, shots: Path
) -> None:
    env = serve_env(cli_env, MANAGER_TOKEN)
    with ServerProcess(screener_exe, tmp_path / "lost" / "s.sqlite", env) as server:
        with httpx.Client(base_url=server.url, timeout=30, headers=MANAGER) as api:
            created = api.post("/api/sessions", json={"question_ids": ["regression-suite"]})
            session_id = created.json()["session_id"]
            url = created.json()["candidate_url"]
            context = browser.new_context(viewport={"width": 1000, "height": 760})
            page = context.new_page()
            page.set_default_timeout(15000)
            lost: list[str] = []

            def reply_lost(route: Any) -> None:
                route.fetch()  # the server records the answer ...
                lost.append(route.request.post_data_json["answer_id"])
                route.abort()  # ... and its reply never reaches the page

            page.route("**/answer", reply_lost, times=1)
            page.goto(url)
            page.click("#start")
            page.wait_for_selector("#answer-form", state="visible")
            page.fill("#answer", STRONG)
            page.click("#send")
            page.wait_for_selector("#answer-error:not([hidden])")
            assert "please send it again" in page.inner_text("#answer-error")
            assert page.input_value("#answer") == STRONG  # the answer is still in the box
            page.screenshot(path=str(shots / "candidate-reply-lost.png"), full_page=True)
            sent: list[str] = []
            page.on(
                "request",
                lambda r: (
                    sent.append(r.post_data_json["answer_id"]) if r.method == "POST" else None
                ),
            )
            page.click("#send")  # the same answer, with the same id
            _wait_turn(page, 0)
            assert sent == lost and len(lost[0]) == 32
            api.post(f"/api/sessions/{session_id}/end")
            report = api.get(f"/api/sessions/{session_id}/report").json()
    assert [turn["answer"] for turn in report["transcript"]] == [STRONG]  # recorded once


def test_the_sign_in_page_says_when_to_try_again(
    browser: Any, screener_exe: str, cli_env: dict[str, str], tmp_path: Path, shots: Path
) -> None:
    env = serve_env(cli_env, MANAGER_TOKEN)
    with ServerProcess(screener_exe, tmp_path / "login" / "s.sqlite", env) as server:
        page = browser.new_context(viewport={"width": 1000, "height": 700}).new_page()
        page.set_default_timeout(15000)
        for _ in range(6):  # five free failures, then the sixth starts a wait
            page.goto(server.url + "/manage/login")
            page.fill("#token", "not-the-token")
            page.click("button[type=submit]")
            assert "That is not the manager token." in page.inner_text(".error")
        page.goto(server.url + "/manage/login")
        page.fill("#token", MANAGER_TOKEN)  # refused unchecked while the address waits
        with page.expect_response("**/manage/login") as refused:
            page.click("button[type=submit]")
        assert refused.value.status == 429 and refused.value.headers["retry-after"] == "1"
        assert "Try again in 1 second." in page.inner_text(".error")
        page.screenshot(path=str(shots / "login-backing-off.png"), full_page=True)
        page.wait_for_timeout(1200)
        page.goto(server.url + "/manage/login")
        page.fill("#token", MANAGER_TOKEN)
        page.click("button[type=submit]")
        page.wait_for_url(server.url + "/manage")
    assert "failed sign-in 6 in a row from 127.0.0.1" in server.stderr


def test_a_reader_over_the_limit_is_told_to_reload_later_not_that_the_link_is_bad(
    browser: Any, cli_env: dict[str, str], tmp_path: Path, shots: Path
) -> None:
    with app_server(tmp_path / "busy" / "s.sqlite", cli_env, read_limit=4) as server:
        with httpx.Client(base_url=server.url, timeout=30, headers=MANAGER) as api:
            url = api.post("/api/sessions", json={}).json()["candidate_url"]
        page = browser.new_context(viewport={"width": 1000, "height": 600}).new_page()
        page.set_default_timeout(15000)
        page.goto(url)  # three reads: the page, the state, and the stream once started
        page.click("#start")
        page.wait_for_selector("#answer-form", state="visible")
        page.reload()  # the page is the fourth; the state is refused
        page.wait_for_selector(".msg.system")
        shown = page.inner_text(".msg.system")
        assert "The server is busy. Nothing is lost; please reload this page in" in shown
        assert "not valid" not in shown
        page.screenshot(path=str(shots / "candidate-busy.png"), full_page=True)


# --- the candidate page: introduction, empty answers, drafts, keyboard and screen readers -------


def _new_interview(server: ServerProcess, **body: Any) -> tuple[str, str]:
    """Create a session through the API; return its id and the candidate's URL."""
    with httpx.Client(base_url=server.url, timeout=30, headers=MANAGER) as api:
        created = api.post("/api/sessions", json=body).json()
    return created["session_id"], created["candidate_url"]


def _candidate_page(browser: Any, height: int = 860) -> Any:
    page = browser.new_context(viewport={"width": 1000, "height": height}).new_page()
    page.set_default_timeout(15000)
    return page


def _focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement.id"))


def _wait_focus(page: Any, element_id: str) -> None:
    """Wait until ``element_id`` has the focus (fails with the page's timeout otherwise)."""
    _wait_until(
        page, "(id) => document.activeElement && document.activeElement.id === id", element_id
    )


def _drafts(page: Any) -> dict[str, str]:
    drafts: dict[str, str] = page.evaluate(
        """Object.fromEntries(Object.keys(localStorage)
              .filter((k) => k.startsWith('screener-draft:'))
              .map((k) => [k, localStorage.getItem(k)]))"""
    )
    return drafts


def _transcript(server: ServerProcess, session_id: str) -> list[str]:
    """End the session and return the answers its report recorded."""
    with httpx.Client(base_url=server.url, timeout=30, headers=MANAGER) as api:
        api.post(f"/api/sessions/{session_id}/end")
        report = api.get(f"/api/sessions/{session_id}/report").json()
    return [turn["answer"] for turn in report["transcript"]]


def test_the_introduction_names_the_track_the_questions_and_the_time_then_start_asks(
    browser: Any, cli_env: dict[str, str], tmp_path: Path, shots: Path
) -> None:
    with app_server(tmp_path / "intro" / "s.sqlite", cli_env) as server:
        _, url = _new_interview(
            server, track="ai-engineer", questions=3, candidate_label="Private Label"
        )
        page = _candidate_page(browser)
        page.goto(url)
        page.wait_for_selector("#intro", state="visible")
        assert page.inner_text("h1") == "AI engineer screening interview"
        facts = page.inner_text("#intro-facts")
        assert "3 questions" in facts and "follow-up" in facts
        assert "About 15 minutes" in facts and "estimate" in facts
        intro = page.inner_text("#intro")
        assert "saved as you go" in intro and "come back to the same link" in intro
        assert "Private Label" not in page.inner_text("body")  # the label is the manager's
        assert page.is_hidden("#answer-form") and page.locator(".msg").count() == 0
        page.screenshot(path=str(shots / "candidate-intro.png"), full_page=True)

        page.keyboard.press("Tab")  # Start is the first stop, and Enter presses it
        assert _focused(page) == "start"
        page.keyboard.press("Enter")
        page.wait_for_selector("#answer-form", state="visible")
        _wait_focus(page, "answer")
        assert page.is_hidden("#intro") and page.is_hidden("#resume-note")
        assert page.inner_text("#progress") == "Question 1 of 3"
        assert page.inner_text(".msg.interviewer .body") == "Show me a regression suite you wrote."

        # A candidate coming back to a session under way goes straight on.
        page.fill("#answer", STRONG)
        page.click("#send")
        _wait_turn(page, 0)
        page.reload()
        page.wait_for_selector("#answer-form", state="visible")
        assert page.is_hidden("#intro") and page.is_visible("#resume-note")
        assert page.locator(".msg.candidate .body").all_inner_texts() == [STRONG]


def test_an_empty_answer_is_sent_only_once_confirmed_and_recorded_as_no_answer(
    browser: Any, cli_env: dict[str, str], tmp_path: Path, shots: Path
) -> None:
    with app_server(tmp_path / "empty" / "s.sqlite", cli_env) as server:
        session_id, url = _new_interview(
            server, question_ids=["regression-suite", "hallucination-debug"]
        )
        page = _candidate_page(browser, height=700)
        posts: list[str] = []
        page.on(  # the answers sent (Start sends the notice's confirmation)
            "request",
            lambda r: posts.append(r.url) if r.method == "POST" and "/answer" in r.url else None,
        )
        page.goto(url)
        page.click("#start")
        page.wait_for_selector("#answer-form", state="visible")
        dialog = page.get_by_role("dialog", name="Send an empty answer?")

        page.fill("#answer", "  \n\t ")
        page.click("#send")
        dialog.wait_for(state="visible")
        assert "recorded as no answer and the interview moves on" in dialog.inner_text()
        assert _focused(page) == "keep-writing"  # the safe choice has the focus
        page.screenshot(path=str(shots / "candidate-empty-answer.png"), full_page=True)
        page.keyboard.press("Escape")
        dialog.wait_for(state="hidden")
        _wait_focus(page, "answer")  # the dialog's close event moves it, a task after hiding

        page.keyboard.press("Control+Enter")  # the keyboard way asks too
        dialog.wait_for(state="visible")
        page.click("#keep-writing")
        dialog.wait_for(state="hidden")
        _wait_focus(page, "answer")
        assert page.input_value("#answer") == "  \n\t "
        assert posts == [] and page.locator(".msg.candidate").count() == 0

        page.click("#send")
        dialog.wait_for(state="visible")
        page.click("#send-empty")
        _wait_turn(page, 0)
        assert page.inner_text(".msg.candidate .body") == "(no answer)"
        assert page.inner_text("#progress") == "Question 2 of 2"  # moved on, no follow-up
        last = page.inner_text(".msg.interviewer:last-of-type .body")
        assert last == "Walk me through a hallucination you debugged."
        _wait_focus(page, "answer")
        assert page.input_value("#answer") == ""
        assert len(posts) == 1
        answers = _transcript(server, session_id)
    assert answers == ["  \n\t "]


def test_a_draft_stays_in_the_browser_across_a_reload_and_goes_once_the_answer_is_sent(
    browser: Any, cli_env: dict[str, str], tmp_path: Path, shots: Path
) -> None:
    with app_server(tmp_path / "draft" / "s.sqlite", cli_env) as server:
        session_id, url = _new_interview(
            server, question_ids=["regression-suite", "hallucination-debug"]
        )
        token = url.rsplit("/", 1)[1]
        page = _candidate_page(browser)
        sent: list[str] = []
        page.on(  # what leaves the page (Start sends only the notice's confirmation)
            "request",
            lambda r: (
                sent.append(r.post_data or "")
                if r.method == "POST" and not r.url.endswith("/consent")
                else None
            ),
        )
        page.goto(url)
        page.click("#start")
        page.wait_for_selector("#answer-form", state="visible")
        assert "A draft is kept on this device" in page.inner_text("#answer-help")
        half = STRONG[:120]
        page.locator("#answer").press_sequentially(half)
        assert _drafts(page) == {f"screener-draft:{token}:0": half}

        page.reload()  # a draft under way: no introduction, the text is back
        page.wait_for_selector("#answer-form", state="visible")
        assert page.is_hidden("#intro")
        assert page.input_value("#answer") == half
        assert page.inner_text("#counter") == f"{len(half)} / 8,000 characters"
        page.screenshot(path=str(shots / "candidate-draft.png"), full_page=True)
        assert sent == []  # the draft was never sent anywhere

        page.fill("#answer", STRONG)
        page.click("#send")
        _wait_turn(page, 0)
        assert [json.loads(body)["answer"] for body in sent] == [STRONG]
        assert _drafts(page) == {}
        page.reload()
        page.wait_for_selector("#answer-form", state="visible")
        assert page.input_value("#answer") == ""  # no stale draft on the next question
        last = page.inner_text(".msg.interviewer:last-of-type .body")
        assert last == "Walk me through a hallucination you debugged."
        page.fill("#answer", "a draft of the second answer")
        assert list(_drafts(page)) == [f"screener-draft:{token}:1"]
        _transcript(server, session_id)  # the manager ends it: the page drops its drafts
        page.reload()
        page.wait_for_selector("#closing", state="visible")
        assert _drafts(page) == {}


def _contrast(foreground: list[float], background: list[float]) -> float:
    def luminance(rgb: list[float]) -> float:
        def channel(value: float) -> float:
            c = value / 255
            return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = (channel(v) for v in rgb[:3])
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


#: The colour of an element's text and of the first opaque background behind it, as numbers.
_COLOURS = """(selector) => {
    const rgb = (css) => css.match(/[\\d.]+/g).map(Number);
    const element = document.querySelector(selector);
    let behind = element;
    while (behind && rgb(getComputedStyle(behind).backgroundColor)[3] === 0) {
        behind = behind.parentElement;
    }
    return [rgb(getComputedStyle(element).color), rgb(getComputedStyle(behind).backgroundColor)];
}"""


def test_the_candidate_page_is_labelled_keyboard_driven_and_readable(
    browser: Any, cli_env: dict[str, str], tmp_path: Path, shots: Path
) -> None:
    with app_server(tmp_path / "a11y" / "s.sqlite", cli_env) as server:
        _, url = _new_interview(server, question_ids=["regression-suite", "hallucination-debug"])
        page = _candidate_page(browser)
        page.goto(url)
        page.click("#start")
        page.wait_for_selector("#answer-form", state="visible")

        unlabelled = page.evaluate(
            """[...document.querySelectorAll('input, textarea, select')]
                 .filter((e) => !e.labels.length && !e.getAttribute('aria-label')).length"""
        )
        assert unlabelled == 0
        assert page.get_by_label("Your answer").count() == 1
        for name in ("Send answer", "Start the interview", "Send empty", "Keep writing"):
            assert page.get_by_role("button", name=name, include_hidden=True).count() == 1
        assert page.get_attribute("#log", "aria-live") == "polite"
        assert page.get_attribute("#progress", "aria-live") == "polite"
        assert page.get_attribute("#answer-error", "role") == "alert"

        # Each new question takes the focus to the answer box, which the question describes.
        first = "Show me a regression suite you wrote."
        _wait_focus(page, "answer")
        described = page.get_attribute("#answer", "aria-describedby") or ""
        assert described.split()[0] == "current-prompt"
        assert page.inner_text("#current-prompt") == first
        page.keyboard.press("Tab")
        assert _focused(page) == "send"
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"  # the focus can be seen
        page.keyboard.press("Shift+Tab")
        page.keyboard.type(HALLUCINATION[:40])
        page.keyboard.press("Control+Enter")
        _wait_turn(page, 0)
        _wait_focus(page, "answer")
        assert page.inner_text("#current-prompt") not in ("", first)
        assert page.locator("#current-prompt").count() == 1

        for selector in (
            "#progress",
            ".msg.interviewer .tag",
            ".msg.candidate .tag",
            "#counter",
            "#answer-help",
            ".msg.interviewer .body",
            "#send",
        ):
            foreground, background = page.evaluate(_COLOURS, selector)
            assert _contrast(foreground, background) >= 4.5, selector

        for _ in range(4):
            if page.is_visible("#closing"):
                break
            answered = page.locator(".msg.candidate").count()
            page.fill("#answer", PROBE_ANSWER)
            page.keyboard.press("Control+Enter")
            _wait_turn(page, answered)
        assert page.is_visible("#closing")
        _wait_focus(page, "closing")
        foreground, background = page.evaluate(_COLOURS, "#closing")
        assert _contrast(foreground, background) >= 4.5
        page.screenshot(path=str(shots / "candidate-finished.png"), full_page=True)


def _sign_in_page(browser: Any, url: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(url + "/manage/login")
    page.fill("#token", MANAGER_TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/manage")
    return page


def test_the_manager_reviews_scores_and_decides_in_the_session_page(
    browser: Any, screener_exe: str, cli_env: dict[str, str], tmp_path: Path, shots: Path
) -> None:
    env = serve_env(cli_env, MANAGER_TOKEN)
    questions = ["regression-suite", "hallucination-debug"]
    with ServerProcess(screener_exe, tmp_path / "review" / "s.sqlite", env) as server:
        with httpx.Client(base_url=server.url, timeout=30, headers=MANAGER) as api:
            created = api.post("/api/sessions", json={"question_ids": questions})
            sid = created.json()["session_id"]
            token = created.json()["candidate_token"]
            finish(api, token)  # type: ignore[arg-type] - the same calls as a TestClient
            report = api.get(f"/api/sessions/{sid}/report").json()
        grader = report["questions"][0]["verdict"]["score"]
        mine = 2 if grader != 2 else 3
        page = _sign_in_page(browser, server.url)
        dialogs: list[tuple[str, str]] = []
        _watch_dialogs(page, dialogs)
        page.goto(f"{server.url}/manage/sessions/{sid}")
        page.wait_for_selector("#decision-panel")
        assert "No decision recorded yet" in page.inner_text("#current-decision")

        first = page.locator("form.review-form[data-question='regression-suite']")
        first.locator("select[name=overall]").select_option(str(mine))
        first.locator("button[type=submit]").click()
        assert "Enter your name" in first.locator(".error").inner_text()
        page.fill("#reviewer", "Grace " + XSS_IMG)
        page.dispatch_event("#reviewer", "change")
        first.locator("button[type=submit]").click()
        page.wait_for_selector(
            "form.review-form[data-question='regression-suite'] .error:not([hidden])"
        )
        assert "needs a reason" in first.locator(".error").inner_text()
        first.locator("input[name=reason]").fill("the suite is real but " + XSS_SCRIPT)
        first.locator("select[data-criterion='impact']").select_option("2")
        first.locator("button[type=submit]").click()
        page.wait_for_selector(".reviewed[data-question='regression-suite']")
        reviewed = page.inner_text(".reviewed[data-question='regression-suite']")
        assert f"{mine} / 5 (changed from {grader})" in reviewed and XSS_SCRIPT in reviewed
        assert page.input_value("#reviewer") == "Grace " + XSS_IMG, "remembered in the browser"

        tourist = page.locator("form.review-form[data-item='tourist']")
        flagged = report["tourist"]["flagged"]
        tourist.locator("select[name=tourist]").select_option("false" if flagged else "true")
        tourist.locator("input[name=reason]").fill("one answer was strong enough")
        tourist.locator("button[type=submit]").click()
        page.wait_for_selector("#tourist-reviewed")
        assert "changed the flag" in page.inner_text("#tourist-reviewed")

        page.select_option("#decision", "hold")
        page.fill("#decision-notes", "second round " + XSS_IMG)
        page.click("#decision-form button[type=submit]")
        page.wait_for_selector("#current-decision .pill")  # after the page reloads
        assert "Hold" in page.inner_text("#current-decision")
        history = page.inner_text("#review-history")
        assert "regression-suite overall" in history and "decided hold" in history
        assert page.evaluate("window.__pwned") is None
        # the grader's score is still shown as the grader gave it
        assert page.inner_text(".question >> nth=0 >> .score").startswith(str(grader))
        page.screenshot(path=str(shots / "manager-review.png"), full_page=True)
        page.goto(server.url + "/manage")
        assert "Hold" in page.inner_text("#sessions tbody tr")
        assert "1 of 20 answers reviewed" in page.inner_text("#agreement")
        page.screenshot(path=str(shots / "manager-sessions-decided.png"))
        with httpx.Client(base_url=server.url, timeout=30, headers=MANAGER) as api:
            audit = api.get("/api/audit?format=json").text.splitlines()
            assert api.get(f"/api/sessions/{sid}/report").json() == report
    actions = [json.loads(line)["action"] for line in audit]
    assert actions == [
        "link-created",
        "consented",
        "graded",
        "graded",
        "review",
        "review",
        "review",
        "decision",
    ]
    assert dialogs == []
    assert (shots / "manager-review.png").stat().st_size > 10_000


def test_links_in_bulk_and_a_reissued_link_in_the_pages(
    browser: Any, screener_exe: str, cli_env: dict[str, str], tmp_path: Path, shots: Path
) -> None:
    env = serve_env(cli_env, MANAGER_TOKEN)
    candidates = tmp_path / "candidates.csv"
    candidates.write_text(
        "candidate_label,questions\nAda " + XSS_IMG + ",2\nGrace,\nNobody,99\n", encoding="utf-8"
    )
    with ServerProcess(screener_exe, tmp_path / "links" / "s.sqlite", env) as server:
        page = _sign_in_page(browser, server.url)
        dialogs: list[tuple[str, str]] = []
        _watch_dialogs(page, dialogs)
        page.click("#bulk summary")
        page.set_input_files("#bulk-file", str(candidates))
        page.click("#bulk-form button[type=submit]")
        page.wait_for_selector("#bulk-result:not([hidden])")
        assert "2 sessions created, 1 row refused" in page.inner_text("#bulk-result")
        assert page.get_attribute("#bulk-download", "download") == "screener-links.csv"
        _wait_until(page, "() => document.querySelectorAll('#sessions tbody tr').length === 2")
        page.screenshot(path=str(shots / "manager-bulk.png"))
        page.reload()
        assert page.locator("#sessions tbody tr").count() == 2
        assert "Ada " + XSS_IMG in page.inner_text("#sessions"), "labels are text"

        with httpx.Client(base_url=server.url, timeout=30, headers=MANAGER) as api:
            made = api.post("/api/sessions", json={"question_ids": ["regression-suite"]}).json()
        old_url, sid = made["candidate_url"], made["session_id"]
        page.goto(f"{server.url}/manage/sessions/{sid}")
        assert "works until" in page.inner_text("#link-panel")
        page.click("#reissue-link")
        page.wait_for_selector("#reissued:not([hidden])")
        new_url = page.input_value("#reissued-url")
        assert new_url.startswith(server.url + "/i/") and new_url != old_url
        page.screenshot(path=str(shots / "manager-reissued.png"))
        candidate = browser.new_context().new_page()
        candidate.goto(old_url)
        assert "not valid" in candidate.inner_text("body")
        candidate.goto(new_url)
        candidate.wait_for_selector("#start", state="visible")
        assert page.evaluate("window.__pwned") is None
        # fourteen days later (the expiry set back in the server's database): the link says so
        web_db = tmp_path / "links" / "s.web.sqlite"
        past = (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0).isoformat()
        with sqlite3.connect(web_db) as conn:
            conn.execute("UPDATE sessions SET expires_at = ? WHERE session_id = ?", (past, sid))
        candidate.goto(new_url)
        assert "This interview link has expired" in candidate.inner_text("body")
        candidate.screenshot(path=str(shots / "candidate-expired.png"))
        page.goto(f"{server.url}/manage/sessions/{sid}")
        assert "expired" in page.inner_text("#link-panel")
    assert [d[0] for d in dialogs] == ["confirm"]


def test_the_manager_finds_sorts_and_compares_sessions(
    browser: Any, screener_exe: str, cli_env: dict[str, str], tmp_path: Path, shots: Path
) -> None:
    env = serve_env(cli_env, MANAGER_TOKEN)
    with ServerProcess(screener_exe, tmp_path / "find" / "s.sqlite", env) as server:
        with httpx.Client(base_url=server.url, timeout=30, headers=MANAGER) as api:
            ids = {}
            for label, answer in (
                ("Strong Sam", STRONG),
                ("Tourist Tim", TOURIST),
                ("Open Olga", None),
            ):
                made = api.post(
                    "/api/sessions",
                    json={"question_ids": ["regression-suite"], "candidate_label": label},
                ).json()
                ids[label] = made["session_id"]
                if answer is not None:
                    finish(api, made["candidate_token"], answer)  # type: ignore[arg-type]
            api.post(
                f"/api/sessions/{ids['Strong Sam']}/decision",
                json={"decision": "advance", "reviewer": "al"},
            )
        page = _sign_in_page(browser, server.url)
        assert page.locator("#score-chart svg").count() == 1
        page.fill("#f-search", "tim")
        assert page.locator("#sessions tbody tr:not([hidden])").count() == 1
        assert "1 of 3 sessions shown" in page.inner_text("#filter-count")
        page.fill("#f-search", "")
        page.select_option("#f-decision", "advance")
        visible = page.locator("#sessions tbody tr:not([hidden])")
        assert visible.count() == 1 and "Strong Sam" in visible.inner_text()
        page.select_option("#f-decision", "")
        page.select_option("#f-status", "in_progress")
        assert "Open Olga" in page.locator("#sessions tbody tr:not([hidden])").inner_text()
        page.select_option("#f-status", "")
        page.click("button.sort[data-key='overall']")  # highest first
        first = page.locator("#sessions tbody tr").first.get_attribute("data-session")
        assert first == ids["Strong Sam"]
        page.click("button.sort[data-key='overall']")  # then lowest first (unscored last)
        assert page.locator("#sessions tbody tr").first.get_attribute("data-session") != first
        for label in ("Strong Sam", "Tourist Tim"):
            page.check(f"tr[data-session='{ids[label]}'] .pick")
        assert page.is_disabled(f"tr[data-session='{ids['Open Olga']}'] .pick"), "not finished"
        page.screenshot(path=str(shots / "manager-find.png"))
        page.click("#compare")
        page.wait_for_selector("#comparison")
        headers = page.text_content("#comparison thead") or ""
        assert "Strong Sam" in headers and "Tourist Tim" in headers
        assert "Advance" in page.inner_text("#comparison tbody")
        page.screenshot(path=str(shots / "manager-compare.png"), full_page=True)


def test_the_candidate_page_measures_how_an_answer_was_written(
    browser: Any, screener_exe: str, cli_env: dict[str, str], tmp_path: Path, shots: Path
) -> None:
    env = serve_env(cli_env, MANAGER_TOKEN)
    with ServerProcess(screener_exe, tmp_path / "signals" / "s.sqlite", env) as server:
        with httpx.Client(base_url=server.url, timeout=30, headers=MANAGER) as api:
            made = api.post("/api/sessions", json={"question_ids": ["regression-suite"]}).json()
        candidate = browser.new_context().new_page()
        candidate.set_default_timeout(15000)
        candidate.goto(made["candidate_url"])
        candidate.click("#start")
        candidate.wait_for_selector("#answer-form", state="visible")
        candidate.type("#answer", "I wrote ")
        candidate.evaluate(
            """(text) => {
                const box = document.getElementById('answer');
                const data = new DataTransfer();
                data.setData('text', text);
                const paste = {clipboardData: data, bubbles: true};
                box.dispatchEvent(new ClipboardEvent('paste', paste));
                box.value += text;
                box.dispatchEvent(new Event('input', {bubbles: true}));
            }""",
            STRONG,
        )
        candidate.click("#send")
        _wait_turn(candidate, 0)
        with httpx.Client(base_url=server.url, timeout=30, headers=MANAGER) as api:
            api.post(f"/api/sessions/{made['session_id']}/end")
        page = _sign_in_page(browser, server.url)
        page.goto(f"{server.url}/manage/sessions/{made['session_id']}")
        line = page.inner_text(".signals[data-turn='0']")
        assert "Signals (never scored)" in line and "pasted in one go" in line
        assert f"({len(STRONG)} of {len(STRONG) + 8} characters)" in line
        page.locator("#transcript").screenshot(path=str(shots / "manager-signals.png"))


# --- notice, consent and the optional questions about the candidate ------------------------------


def _answer_until_done(page: Any) -> None:
    for n in range(8):
        if page.is_visible("#closing"):
            return
        page.fill("#answer", STRONG)
        page.click("#send")
        _wait_turn(page, n)
    assert page.is_visible("#closing")


def test_the_candidate_reads_the_notice_confirms_it_and_may_answer_or_skip_the_questions_about_them(
    browser: Any, cli_env: dict[str, str], tmp_path: Path, shots: Path
) -> None:
    notice = (
        "Acme Robotics is hiring.\n\nAn automated tool assesses your answers; a person decides."
    )
    with app_server(tmp_path / "notice" / "s.sqlite", cli_env, max_followups=0) as server:
        with httpx.Client(base_url=server.url, timeout=30, headers=MANAGER) as api:
            version = api.put("/api/notice", json={"text": notice}).json()["version"]
        session_id, url = _new_interview(server, question_ids=["regression-suite"])
        page = _candidate_page(browser)
        page.goto(url)
        page.wait_for_selector("#intro", state="visible")
        assert page.locator("#notice p").all_inner_texts() == [
            "Acme Robotics is hiring.",
            "An automated tool assesses your answers; a person decides.",
        ]
        assert "I have read this notice" in page.inner_text("#start")
        assert page.is_hidden("#about-you")
        page.screenshot(path=str(shots / "candidate-notice.png"), full_page=True)
        page.click("#start")
        page.wait_for_selector("#answer-form", state="visible")
        with httpx.Client(base_url=server.url, timeout=30, headers=MANAGER) as api:
            audit = api.get("/api/audit?format=json").text.splitlines()
        consents = [json.loads(line) for line in audit if '"consented"' in line]
        assert [(c["session_id"], c["after_value"]) for c in consents] == [(session_id, version)]
        _answer_until_done(page)
        page.wait_for_selector("#about-you", state="visible")
        assert "only ever counted in totals" in page.inner_text("#about-you")
        options = page.locator("#race option").all_inner_texts()
        assert options[0] == "Prefer not to say" and "Two or More Races" in options
        page.select_option("#sex", "female")
        page.select_option("#race", "asian")
        page.screenshot(path=str(shots / "candidate-about-you.png"), full_page=True)
        page.click("#about-you-send")
        page.wait_for_selector("#about-you-done", state="visible")
        assert "recorded apart from your interview" in page.inner_text("#about-you-done")
        page.reload()  # answered: not asked again
        page.wait_for_selector("#closing", state="visible")
        assert page.is_hidden("#about-you")
        assert "About this assessment" in page.inner_text("#notice-again")

        # Another candidate skips: nothing is recorded, and a reload does not ask again.
        _, url = _new_interview(server, question_ids=["regression-suite"])
        other = _candidate_page(browser)
        other.goto(url)
        other.click("#start")
        other.wait_for_selector("#answer-form", state="visible")
        _answer_until_done(other)
        other.wait_for_selector("#about-you", state="visible")
        other.click("#about-you-skip")
        assert "Nothing was recorded" in other.inner_text("#about-you-done")
        other.reload()
        other.wait_for_selector("#closing", state="visible")
        assert other.is_hidden("#about-you")
        with sqlite3.connect(tmp_path / "notice" / "s.web.sqlite") as db:
            assert db.execute("SELECT sex, race FROM demographics").fetchall() == [
                ("female", "asian")
            ]


def test_the_impact_and_notice_pages_in_a_real_browser(
    browser: Any, cli_env: dict[str, str], tmp_path: Path, shots: Path
) -> None:
    with app_server(tmp_path / "impact" / "s.sqlite", cli_env, max_followups=0) as server:
        with httpx.Client(base_url=server.url, timeout=30, headers=MANAGER) as api:
            for sex, decision in (("male", "advance"), ("female", "reject"), ("female", "advance")):
                made = api.post("/api/sessions", json={"question_ids": ["regression-suite"]}).json()
                token = made["candidate_token"]
                confirm_notice(api, token)
                api.post(f"/api/interview/{token}/answer", json={"answer": STRONG})
                api.post(f"/api/interview/{token}/demographics", json={"sex": sex})
                api.post(
                    f"/api/sessions/{made['session_id']}/decision",
                    json={"decision": decision, "reviewer": "al"},
                )
        page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
        page.set_default_timeout(15000)
        page.goto(server.url + "/manage/login")
        page.fill("#token", MANAGER_TOKEN)
        page.click("button[type=submit]")
        page.wait_for_url("**/manage")
        page.click("text=Impact ratios")
        page.wait_for_selector("#impact-page")
        text = page.inner_text("#impact-page")
        assert "not itself a bias audit" in text and "3 candidates assessed" in text
        female = page.locator("table.impact tr", has_text="Female").first.inner_text()
        assert "fewer than 5: not shown here" in female  # 2 candidates: no rates on the page
        assert "1 impact ratio below 0.8" in text
        with page.expect_download() as download:
            page.click("text=CSV")
        rows = download.value.path().read_text(encoding="utf-8")
        assert "sex,Female,2," in rows and ",2,1,0.5000,0.5000,no,yes" in rows
        page.screenshot(path=str(shots / "manager-impact.png"), full_page=True)
        page.click("text=Candidate notice")
        page.wait_for_selector("#notice-text")
        page.fill("#notice-text", "Beta Corp is hiring.")
        page.click("button[value=save]")
        page.wait_for_selector("text=Saved: candidates see this version from now on.")
        assert page.input_value("#notice-text") == "Beta Corp is hiring."
        page.screenshot(path=str(shots / "manager-notice.png"), full_page=True)
        page.click("text=Sign out")  # a form posted under no-referrer (Origin: null)
        page.wait_for_url("**/manage/login")
        page.goto(server.url + "/manage")
        page.wait_for_url("**/manage/login")
