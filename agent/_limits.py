"""Limits every front end shows before any heavy module loads (the CLI's defaults and help)."""

#: The longest answer accepted, in characters (about 1,500 words). Longer answers are refused
#: and the candidate is asked to answer again; nothing already answered is lost.
MAX_ANSWER_CHARS = 8000
