"""Making supplied text safe in the files screener exports: one rule for Markdown, one for CSV.

Candidate answers, candidate ids, quotes, model-phrased follow-ups and grader notes are text
that somebody else wrote. In a Markdown report such text must read as plain text: no HTML
(a ``<img onerror=...>`` in a follow-up must not run in the viewer), no headings, links or
emphasis that would change what the report seems to say. In a CSV file a cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula by
spreadsheets (CSV injection); the OWASP rule prefixes such a cell with a single quote, which
spreadsheets show as text and do not display.
"""

from __future__ import annotations

import html

#: What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_MARKDOWN_SPECIALS = "`*_[]|#~"


def markdown_text(text: str) -> str:
    """``text`` as one line of plain text in Markdown: HTML escaped, Markdown syntax inert.

    Backslashes and the characters Markdown reads as syntax get a backslash; ``&``, ``<`` and
    ``>`` become entities, so no tag or entity of the text reaches the viewer; runs of
    whitespace (line breaks included) become one space, so the text cannot start a heading,
    a list or a quote of its own.
    """
    out = html.escape(text.replace("\\", "\\\\"), quote=False)
    for ch in _MARKDOWN_SPECIALS:
        out = out.replace(ch, "\\" + ch)
    return " ".join(out.split())


def csv_cell(value: object) -> str:
    """``value`` as a CSV cell a spreadsheet will not run: a formula start gets a ``'`` first."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
