"""The terminal's answer editor: several lines and paragraphs per answer, pasted text whole.

Enter starts a new line; Alt+Enter (or Esc, then Enter) sends. Pasted text arrives whole, long
lines and blank lines included (the terminal's bracketed paste; the line editor reads keys, so the
terminal's 4,095-character line limit does not apply). A counter in the bottom bar shows the
answer's length against the limit, and an answer over it is not sent: it stays in the editor with
a message until it is shortened. ``/skip`` asks for confirmation and records "no answer". Ctrl-D
on an empty answer ends the interview; Ctrl-C pauses it.
"""

from __future__ import annotations

from prompt_toolkit import PromptSession
from prompt_toolkit.formatted_text import HTML
from prompt_toolkit.shortcuts import confirm
from prompt_toolkit.validation import ValidationError, Validator

HELP = (
    "Enter starts a new line; Alt+Enter (or Esc, then Enter) sends the answer. "
    "/skip records no answer; Ctrl-D ends the interview; Ctrl-C pauses it (resume later)."
)
SKIP = "/skip"


class _WithinLimit(Validator):
    """Refuse to send an answer over the limit; the text stays in the editor."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def validate(self, document: object) -> None:
        text: str = getattr(document, "text", "")
        if len(text) > self.limit:
            raise ValidationError(
                cursor_position=len(text),
                message=f"{len(text):,} characters, over the limit of {self.limit:,}: shorten "
                "the answer (nothing was sent)",
            )


class AnswerEditor:
    """Reads one answer at a time from the terminal."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._session: PromptSession[str] = PromptSession(
            multiline=True,
            prompt_continuation="  ",
            validator=_WithinLimit(limit),
            validate_while_typing=False,
            bottom_toolbar=self._toolbar,
            enable_history_search=False,
        )

    def _toolbar(self) -> HTML:
        length = len(self._session.default_buffer.text)
        count = f"{length:,} / {self.limit:,} characters"
        if length > self.limit:
            count = f"<style bg='ansired' fg='ansiwhite'>{count}: over the limit</style>"
        return HTML(f" {count}  ·  Alt+Enter sends  ·  /skip  ·  Ctrl-D ends  ·  Ctrl-C pauses")

    def read(self) -> str | None:
        """The next answer ("" for a confirmed ``/skip``), or None when the candidate ends."""
        while True:
            try:
                text = self._session.prompt("> ")
            except EOFError:
                return None
            command = text.strip()
            if command == SKIP:
                if confirm("Record no answer for this question and move on?"):
                    return ""
                continue
            if not command:
                print("(type an answer, or /skip to record no answer)", flush=True)
                continue
            return text
