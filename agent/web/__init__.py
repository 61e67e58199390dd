"""The web front end: a FastAPI app with the hiring manager's dashboard and the candidate's chat.

Front end only: it starts sessions, forwards answers and shows reports through
:class:`agent.Interview`; grading happens in the library. Requires the ``web`` extra
(``pip install 'screening-agent[web]'``). Start it with ``screener serve``.

The names below load on first use, so the web database (:mod:`agent.web.store`, which the
terminal's ``review``, ``decide``, ``audit`` and ``labels`` commands share) works on the base
install, without the web extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .config import WebConfig, provision_manager_token

__all__ = ["WebConfig", "create_app", "provision_manager_token"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    if name in ("WebConfig", "provision_manager_token"):
        from . import config

        return getattr(config, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
