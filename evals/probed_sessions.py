"""Play labelled candidate sessions, follow-up replies included, through the interview graph.

A folder holds ``sessions.jsonl``: one candidate per line,
``{"candidate_id", "kind": "learned-script" | "consistent", "hard": bool,
"turns": [{"question_id", "answer", "probe_reply"}, ...]}``. Each candidate is interviewed on
its own questions by the real graph (SQLite checkpointer, the chosen grader); a probe, whether a
claim probe or one of the bank's follow-ups, gets the candidate's ``probe_reply``. Prints, per
kind, how many were flagged as prompt tourists and how the probed claims were read, then a line
per candidate. Learned-script tourists should be flagged; consistent engineers should not.

    python evals/probed_sessions.py FOLDER [--provider offline] [--max-followups 1]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

from agent import get_grader, load_bank
from agent.interview import Interview

#: What a candidate says to a second probe on the same question (they wrote only one reply).
_NOTHING_MORE = "That is all I can add on this one."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--provider", default="offline")
    parser.add_argument("--max-followups", type=int, default=1)
    parser.add_argument(
        "--verbose", action="store_true", help="print each probed claim, its probe and the reading"
    )
    args = parser.parse_args(argv)
    path = args.folder / "sessions.jsonl"
    candidates = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
    bank, grader = load_bank(), get_grader(args.provider)
    flagged: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    outcomes: dict[str, Counter[str]] = {}
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        with Interview.open(Path(tmp) / "probed.sqlite", bank=bank, graders=lambda _: grader) as iv:
            for c in candidates:
                turns = {t["question_id"]: t for t in c["turns"]}
                step = iv.start(
                    question_ids=list(turns),
                    provider=grader.info.name,
                    max_followups=args.max_followups,
                )
                replied: set[str] = set()
                while not step.done:
                    assert step.question_id is not None
                    turn = turns[step.question_id]
                    if step.kind == "probe":
                        first = step.question_id not in replied
                        replied.add(step.question_id)
                        text = turn["probe_reply"] if first else _NOTHING_MORE
                    else:
                        text = turn["answer"]
                    step = iv.answer(step.session_id, text)
                report = step.report
                assert report is not None
                kind = c["kind"] + (" (hard)" if c.get("hard") else "")
                totals[kind] += 1
                flagged[kind] += report.tourist.flagged
                checks = [ch.outcome for q in report.questions for ch in q.verdict.claim_checks]
                outcomes.setdefault(kind, Counter()).update(checks)
                scores = [q.verdict.score for q in report.questions]
                lines.append(
                    f"{c['candidate_id']} {kind:24s} flagged={report.tourist.flagged!s:5s} "
                    f"scores={scores} probed claims: {', '.join(checks) or 'none'}"
                )
                if args.verbose:
                    for q in report.questions:
                        for ch in q.verdict.claim_checks:
                            reply = turns[q.question_id]["probe_reply"]
                            lines.append(
                                f"    {q.question_id}: {ch.outcome}: {'; '.join(ch.reasons)}\n"
                                f"      claim: {ch.claim}\n      probe: {ch.probe}\n"
                                f"      reply: {reply}"
                            )
                if args.verbose:
                    lines.append(f"    tourist: {'; '.join(report.tourist.reasons)}")
    for kind in sorted(totals):
        read = ", ".join(f"{n} {o}" for o, n in outcomes[kind].most_common()) or "none probed"
        print(f"{kind}: flagged {flagged[kind]}/{totals[kind]}; probed claims read as: {read}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
