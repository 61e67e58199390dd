"""The web front end: a FastAPI app with the hiring manager's dashboard and the candidate's chat.

Front end only: it starts sessions, forwards answers and shows reports through
:class:`agent.Interview`; grading happens in the library. Requires the ``web`` extra
(``pip install 'screening-agent[web]'``). Start it with ``screener serve``.
"""

from __future__ import annotations

from .app import create_app
from .config import WebConfig, provision_manager_token

__all__ = ["WebConfig", "create_app", "provision_manager_token"]
