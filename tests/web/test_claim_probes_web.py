"""Claim probes on the web: a scripted learned-the-script tourist and a consistent engineer answer
through the candidate API; the manager's report and page show the claims probed and to verify."""

from __future__ import annotations

import html as html_lib

import pytest
from fastapi.testclient import TestClient

from agent.bank import load_bank
from agent.interview import Step
from agent.simulate import PERSONAS

from .helpers import MANAGER, create, sign_in

QUESTIONS = ["regression-suite", "hallucination-debug", "before-after"]


def _interview(client: TestClient, persona: str, variant: int) -> dict[str, object]:
    """Answer every prompt of a new session as the persona would; return the report."""
    bank = load_bank()
    script, _ = PERSONAS[persona]
    created = create(client, question_ids=QUESTIONS, candidate_label=f"{persona} {variant}")
    token = created["candidate_token"]
    view = client.get(f"/api/interview/{token}").json()
    while view["status"] == "in_progress":
        qid = QUESTIONS[view["question"] - 1]
        step = Step(session_id="", done=False, prompt=view["message"], kind=view["kind"])
        answer = script(bank.get(qid), step, variant)
        view = client.post(f"/api/interview/{token}/answer", json={"answer": answer}).json()
    report: dict[str, object] = client.get(
        f"/api/sessions/{created['session_id']}/report", headers=MANAGER
    ).json()
    report["session_id"] = created["session_id"]
    return report


@pytest.mark.parametrize(
    ("persona", "flagged"), [("scripted-tourist", True), ("consistent-engineer", False)]
)
def test_claim_personas_through_the_web(client: TestClient, persona: str, flagged: bool) -> None:
    reports = [_interview(client, persona, k) for k in range(10)]
    right = sum(r["tourist"]["flagged"] is flagged for r in reports)  # type: ignore[index]
    assert right >= 9
    expected = "weakened" if flagged else "supported"
    for report in reports:
        checks = [c for q in report["questions"] for c in q["verdict"]["claim_checks"]]  # type: ignore[attr-defined]
        assert checks and all(c["outcome"] == expected for c in checks)
        assert 1 <= len(report["to_verify"]) <= 3  # type: ignore[arg-type]
    sign_in(client)
    page = client.get(f"/manage/sessions/{reports[0]['session_id']}").text
    assert "Claims probed" in page and 'id="to-verify"' in page
    first = reports[0]["to_verify"][0]  # type: ignore[index]
    assert html_lib.escape(first["ask"], quote=True).replace("&#x27;", "&#39;") in page
