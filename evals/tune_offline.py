"""How the offline grader's thresholds and keyword weight were chosen.

A small grid over level thresholds, keyword weight and the per-kind evidence cap, scored by
quadratic weighted kappa on the ``calibration`` split of the goldens ONLY. The test split is never
read here; its figures come from ``screener eval --split test``.

    python evals/tune_offline.py
"""

from __future__ import annotations

from agent import load_bank, load_golden_answers, load_golden_sessions
from agent.evaluation import evaluate
from agent.grading.offline import OfflineGrader, OfflineWeights

THRESHOLDS = [
    (1.0, 2.5, 4.0, 5.5),
    (0.75, 2.0, 3.25, 4.5),
    (0.75, 2.0, 3.5, 5.0),
    (0.5, 1.75, 3.0, 4.5),
    (1.0, 2.0, 3.0, 4.0),
    (0.75, 1.75, 2.75, 4.0),
    (1.0, 2.25, 3.5, 4.75),
]


def main() -> None:
    bank = load_bank()
    answers = [a for a in load_golden_answers() if a.split == "calibration"]
    sessions = [s for s in load_golden_sessions() if s.split == "calibration"]
    rows = []
    for thresholds in THRESHOLDS:
        for keyword in (0.5, 0.75):
            for cap in (2.0, 3.0):
                weights = OfflineWeights(thresholds=thresholds, keyword=keyword, cap=cap)
                result = evaluate(OfflineGrader(weights), bank, answers, sessions, "calibration")
                rows.append((result.qwk, result.tourist_accuracy, thresholds, keyword, cap))
    print("calibration split: qwk, tourist accuracy, thresholds, keyword weight, cap")
    for qwk, tourist, thresholds, keyword, cap in sorted(rows, reverse=True)[:10]:
        print(f"{qwk:.3f}  {tourist:.3f}  {thresholds}  {keyword}  {cap}")
    default = OfflineWeights()
    print(f"shipped: thresholds={default.thresholds} keyword={default.keyword} cap={default.cap}")


if __name__ == "__main__":
    main()
