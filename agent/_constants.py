"""Constants the front ends show before any heavy module loads (the CLI's defaults and help)."""

from typing import Literal

#: The longest answer accepted, in characters (about 1,500 words). Longer answers are refused
#: and the candidate is asked to answer again; nothing already answered is lost.
MAX_ANSWER_CHARS = 8000

#: The roles the bank screens for.
Track = Literal["ai-engineer", "ml-engineer"]


def track_title(track: str) -> str:
    """A track as a candidate reads it: ``ai-engineer`` is "AI engineer"."""
    titles = {"ai-engineer": "AI engineer", "ml-engineer": "ML engineer"}
    return titles.get(track, track.replace("-", " ").capitalize())
