"""``screener chat`` on a real pseudo-terminal: pasted answers arrive whole, the limit is shown
and enforced, ``/skip`` records no answer, Ctrl-D ends with an honest report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pexpect
import pytest

pytestmark = pytest.mark.slow

TIMEOUT = 60
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"  # what a terminal sends around pasted text
SEND = "\x1b\r"  # Alt+Enter
CPR = "\x1b[6n"  # the editor asks where the cursor is; a real terminal answers


def _expect(child: pexpect.spawn, text: str | type[pexpect.EOF]) -> None:
    """Wait for ``text``, answering the editor's cursor-position requests as a terminal does."""
    patterns = [re.escape(CPR), text if text is pexpect.EOF else re.escape(str(text))]
    while child.expect(patterns) == 0:
        child.send("\x1b[20;1R")


THREE_PARAGRAPHS = (
    "We kept a 420-case regression suite built from real support tickets.\r\r"
    "Two support leads labelled every case; the judge agreed with them on 182 of 200.\r\r"
    "It runs in CI on every prompt change: the pass rate went from 71% to 88%."
)


def _spawn(exe: str, env: dict[str, str], tmp_path: Path) -> pexpect.spawn:
    child = pexpect.spawn(
        exe,
        [
            "chat",
            "--db",
            str(tmp_path / "chat.sqlite"),
            "--max-followups",
            "0",
            "--report-out",
            str(tmp_path / "report"),
        ],
        env={**env, "TERM": "xterm-256color"},
        dimensions=(40, 120),
        encoding="utf-8",
        timeout=TIMEOUT,
    )
    _question(child, 1)
    return child


def _question(child: pexpect.spawn, number: int) -> None:
    """Wait for question ``number`` and for its editor: keys sent before the editor has the
    terminal (between one answer and the next) are the line discipline's, not the editor's."""
    _expect(child, f"question {number} of 3")
    _ready(child)


def _ready(child: pexpect.spawn) -> None:
    _expect(child, "0 / 8,000 characters")  # the counter, drawn with the editor


def _paste(child: pexpect.spawn, text: str) -> None:
    child.send(PASTE_START + text + PASTE_END)


def _report(tmp_path: Path) -> dict[str, object]:
    report: dict[str, object] = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    return report


def test_pasted_paragraphs_and_long_answers_arrive_whole(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    child = _spawn(screener_exe, cli_env, tmp_path)
    # Three paragraphs pasted at once are one answer, sent only by Alt+Enter.
    _paste(child, THREE_PARAGRAPHS)
    child.send(SEND)
    _question(child, 2)
    # 9,000 characters on one line: the counter says it is over, sending is refused, and the
    # text stays in the editor (nothing cut, nothing sent).
    long_line = ("torque " * 1286)[:9000]
    _paste(child, long_line)
    child.send(SEND)
    _expect(child, "over the limit of 8,000: shorten the answer (nothing was sent)")
    child.sendcontrol("u")  # clear the line, then skip the question on purpose
    child.send("/skip" + SEND)
    _expect(child, "Record no answer for this question and move on?")
    child.send("y")
    _question(child, 3)
    child.sendcontrol("d")  # Ctrl-D on an empty answer ends the interview
    _expect(child, pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    report = _report(tmp_path)
    answers = [turn["answer"] for turn in report["transcript"]]  # type: ignore[attr-defined]
    assert answers == [THREE_PARAGRAPHS.replace("\r", "\n"), ""]
    assert report["status"] == "ended-early"
    reasons = report["tourist"]["reasons"]  # type: ignore[index]
    assert "the interview ended early: 2 of 3 questions answered; the flag is judged on those" in (
        reasons
    )
    assert "no answer to 1 question(s): hallucination-debug" in reasons


def test_an_empty_send_asks_for_text_and_skip_can_be_cancelled(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    child = _spawn(screener_exe, cli_env, tmp_path)
    child.send(SEND)
    _expect(child, "(type an answer, or /skip to record no answer)")
    _ready(child)
    child.send("/skip" + SEND)
    _expect(child, "move on?")
    child.send("n")  # not skipped: the same question is still open
    _ready(child)
    _paste(child, "I have not built one yet.")
    child.send(SEND)
    _question(child, 2)
    child.sendcontrol("d")
    _expect(child, pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    report = _report(tmp_path)
    assert [t["answer"] for t in report["transcript"]] == ["I have not built one yet."]  # type: ignore[attr-defined]
    tourist = report["tourist"]
    assert tourist["applicable"] is False  # type: ignore[index]
    assert "1 of 3 questions answered, too few to judge" in tourist["reasons"][0]  # type: ignore[index]
