#!/usr/bin/env bash
# Set up (idempotent) and run every check: lint, strict types, tests. Used by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
.venv/bin/ruff check agent tests evals
.venv/bin/ruff format --check agent tests evals
.venv/bin/mypy
.venv/bin/pytest "$@"
