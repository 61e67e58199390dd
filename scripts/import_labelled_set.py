"""Add a labelled answer set by an outside author to golden/ (answers and sessions).

The set is a folder in the format `screener eval --set` reads: answers.jsonl, labels.json,
criteria_labels.json and optional injection_twins.jsonl. Every answer keeps its author's labels
and becomes a golden item of one split (a whole author goes to one split, so the test split
measures authors the trained grader never saw). Injected answers are added after their clean
twins, with the twin's labels, as LABELLING.md section 6 asks.

Usage: python scripts/import_labelled_set.py SET_DIR --author NAME --split calibration|test
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import get_args

import yaml

from agent._models import AnswerStyle

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "golden"


class _Literal(str):
    pass


#: An outside author's own style tag -> the golden style it is a kind of (first match wins); a
#: style describes the answer and decides no label, so a tag that matches none goes by level.
_STYLE_WORDS = (
    ("inject", "injection"),
    ("restat", "restated-question"),
    ("textbook", "textbook"),
    ("no-experience", "textbook"),
    ("team", "team-level"),
    ("off-topic", "off-topic"),
    ("fabricat", "fabricated-precision"),
    ("incoheren", "fabricated-precision"),
    ("training-set", "fabricated-precision"),
    ("buzz", "buzzword-essay"),
    ("best-practice", "buzzword-essay"),
    ("name-drop", "buzzword-essay"),
    ("vague", "buzzword-essay"),
    ("beginner", "honest-beginner"),
    ("non-native", "non-native-concrete"),
    ("terse", "concrete-terse"),
    ("partial", "partial"),
    ("mixed", "partial"),
    ("empty", "empty"),
    ("concrete", "concrete-long"),
)


def golden_style(tag: str, overall: int) -> str:
    """The golden style for an outside author's tag (see :data:`_STYLE_WORDS`)."""
    if tag in get_args(AnswerStyle):
        return tag
    for word, style in _STYLE_WORDS:
        if word in tag:
            return style
    return "concrete-long" if overall >= 4 else "partial" if overall == 3 else "buzzword-essay"


def _literal(dumper: yaml.SafeDumper, data: _Literal) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")


yaml.SafeDumper.add_representer(_Literal, _literal)


def _prefixes() -> dict[str, str]:
    """The id prefix each question's golden answers use ("rs" for regression-suite...)."""
    out: dict[str, str] = {}
    for path in sorted((GOLDEN / "answers").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in data["answers"]:
            out.setdefault(item["question_id"], item["id"].split("-")[0])
    return out


def _entry(item: dict[str, object]) -> str:
    text = yaml.safe_dump([item], sort_keys=False, allow_unicode=True, width=100)
    return "".join("  " + line if line.strip() else line for line in text.splitlines(True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set_dir", type=Path)
    parser.add_argument("--author", required=True)
    parser.add_argument("--split", choices=["calibration", "test"], required=True)
    args = parser.parse_args()
    folder: Path = args.set_dir
    rows = [json.loads(line) for line in (folder / "answers.jsonl").open(encoding="utf-8")]
    labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    criteria = json.loads((folder / "criteria_labels.json").read_text(encoding="utf-8"))
    twins_path = folder / "injection_twins.jsonl"
    twins = (
        {
            (r["candidate_id"], r["question_id"]): r["answer"]
            for r in (json.loads(line) for line in twins_path.open(encoding="utf-8"))
        }
        if twins_path.is_file()
        else {}
    )
    prefixes = _prefixes()
    by_question: dict[str, list[str]] = {}
    sessions: dict[str, list[str]] = {}
    for row in rows:
        cid, qid = row["candidate_id"], row["question_id"]
        lab = criteria[f"{cid}/{qid}"]
        lab["style"] = golden_style(lab["style"], lab["overall"])
        base = f"{prefixes.get(qid, re.sub('[^a-z]', '', qid)[:2])}-{args.author}-{cid}"
        common = {
            "question_id": qid,
            "labels": {"overall": lab["overall"], "criteria": lab["criteria"]},
            "rationale": lab["rationale"],
            "split": args.split,
            "author": args.author,
        }
        entries = []
        if (cid, qid) in twins:
            # The set labels the injected row's style "injection"; its clean twin gets the style
            # its level usually has (a style describes the answer and decides no label).
            style = lab["style"] if lab["style"] != "injection" else "concrete-long"
            if lab["overall"] <= 2 and style == "concrete-long":
                style = "buzzword-essay"
            entries.append(
                {"id": base, "style": style, "answer": _Literal(twins[(cid, qid)]), **common}
            )
            entries.append(
                {
                    "id": f"{base}-inj",
                    "style": "injection",
                    "answer": _Literal(row["answer"]),
                    **common,
                    "twin_of": base,
                }
            )
        else:
            entries.append(
                {"id": base, "style": lab["style"], "answer": _Literal(row["answer"]), **common}
            )
        for e in entries:
            ordered = {
                k: e[k]
                for k in (
                    "id",
                    "question_id",
                    "style",
                    "answer",
                    "labels",
                    "rationale",
                    "split",
                    "author",
                    "twin_of",
                )
                if k in e
            }
            by_question.setdefault(qid, []).append(_entry(ordered))
        sessions.setdefault(cid, []).append(entries[-1]["id"])
    for qid, items in by_question.items():
        path = GOLDEN / "answers" / f"{qid}.yaml"
        with path.open("a", encoding="utf-8") as f:
            f.write("".join(items))
    lines = []
    for cid, ids in sessions.items():
        lab = labels[cid]
        if lab.get("borderline"):
            continue  # a call a careful second reader could flip is no session golden
        lines.append(
            _entry(
                {
                    "id": f"s-{args.author}-{cid}",
                    "answers": ids,
                    "tourist": lab["tourist"],
                    "rationale": lab.get("rationale") or "labelled by the set's author",
                    "split": args.split,
                    "author": args.author,
                }
            )
        )
    with (GOLDEN / "sessions" / "sessions.yaml").open("a", encoding="utf-8") as f:
        f.write("".join(lines))
    print(f"added {len(rows)} answers and {len(lines)} sessions by {args.author} ({args.split})")


if __name__ == "__main__":
    main()
