"""A web server for the tests: ``create_app`` with ``WebConfig`` settings, under uvicorn as
``screener serve`` runs it (:func:`agent.web.server.run`), plus faults no real server has.

    python tests/web/appserver.py --port N --config '{"db_path": "...", ...}'
        [--hang-after-save MARKER]   after an answer is saved, write MARKER and never reply
        [--fail-after-save]          after an answer is saved, raise instead of replying

Only ever started by the tests (see ``helpers.app_server``), on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from agent.web import WebConfig
from agent.web.server import listen, run
from agent.web.service import ScreeningService

PATHS = ("db_path", "app_db_path")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--hang-after-save", type=Path)
    parser.add_argument("--fail-after-save", action="store_true")
    args = parser.parse_args()
    settings = json.loads(args.config)
    config = WebConfig(**{k: Path(v) if k in PATHS else v for k, v in settings.items()})
    original = ScreeningService.submit_answer

    def after_save(self: ScreeningService, *call: Any, **kwargs: Any) -> Any:
        original(self, *call, **kwargs)  # the answer is on disk now
        if args.hang_after_save:
            args.hang_after_save.write_text("saved\n", encoding="utf-8")
            time.sleep(3600)  # the reply never comes; the test kills the process
        raise RuntimeError("the server failed after saving the answer")

    if args.hang_after_save or args.fail_after_save:
        ScreeningService.submit_answer = after_save  # type: ignore[method-assign]
    run(config, listen("127.0.0.1", args.port))


if __name__ == "__main__":
    main()
