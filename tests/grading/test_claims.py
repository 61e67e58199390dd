"""Claims: figures in words, grounding, and figures that cannot be true (agent/grading/claims.py).

Every fixture here is written for this file; each failure the grader used to make on answers by
other people has a case of its own.
"""

from __future__ import annotations

import pytest

from agent._models import EvidenceKind
from agent.bank import QuestionBank
from agent.grading.claims import normalise_numbers, read_claims
from agent.grading.evidence import extract, sentences
from agent.grading.offline import OfflineGrader


def claims_of(text: str):  # noqa: ANN201 - a test helper
    return read_claims(sentences(text))


@pytest.mark.parametrize(
    ("words", "digits"),
    [
        ("we cut it roughly in half", "by 50%"),
        ("about a third of the queries", "33%"),
        ("somewhere between five and eight percent", "5 and 8%"),
        ("from one percent to four percent", "from 1% to 4%"),
        ("p ninety-five went from one point six seconds", "p95 went from 1.6 seconds"),
        ("twelve hundred tickets", "1200 tickets"),
        ("one in five answers", "20% answers"),
        ("a fivefold drop", "5 x"),
        ("eleven or twelve thousand a month", "11000 or 12000 a month"),
        ("it came down to one or two", "1 or 2"),
        ("the same hundred-odd summaries", "100 summaries"),
        ("it fell from the mid nineties to the low eighties", "from about 95 to about 82"),
        ("somewhere in the high-70s", "in about 78"),
    ],
)
def test_figures_in_words_and_ranges_read_as_digits(words: str, digits: str) -> None:
    assert digits in normalise_numbers(words)


def test_a_figure_in_words_tied_to_a_set_is_grounded() -> None:
    found = claims_of(
        "On about two hundred sampled support chats, wrong answers went from roughly a "
        "quarter to under a tenth after I re-chunked the tables."
    )
    assert found.grounded and found.grounded_pairs and not found.problems


def test_a_split_named_without_set_grounds_its_figure() -> None:
    """Terse and second-language answers name the split alone: "AUC 0.97 on validation"."""
    assert claims_of("I drop the feature and AUC go from 0.97 to 0.81 on validation.").grounded
    assert not claims_of("I drop the feature and AUC go from 0.97 to 0.81.").grounded
    assert not claims_of("I moved to the test team and AUC went from 0.81 to 0.86.").grounded


@pytest.mark.parametrize(
    ("sentence", "grounded"),
    [
        ("I tested it on 40 discharge letters: before 9 had the wrong patient, after 2.", True),
        ("We evaluated both over 600 transcripts and WER went from 14% to 11%.", True),
        ("We ran it on 4 GPUs and latency went from 900 ms to 400 ms.", False),
        ("We tried it for 3 weeks and accuracy went from 80% to 86%.", False),
    ],
)
def test_a_set_of_any_kind_of_thing_tested_on_grounds_its_figure(
    sentence: str, grounded: bool
) -> None:
    """Each domain counts its own things (letters, transcripts): the act of testing on a sized
    set names it; what a system runs on, or for how long, is no set."""
    assert bool(claims_of(sentence).grounded) is grounded


@pytest.mark.parametrize(
    ("sentence", "value"),
    [
        ("auc looked like 0.93 which is too good for a conversion model", "0.93"),
        ("precision shot up to like 0.9, obviously wrong", "0.9"),
        ("I removed it and it came back to ~0.55.", "0.55"),
        ("the hit rate was around 61% on a normal day", "61"),
    ],
)
def test_a_rate_said_in_passing_is_a_quantity(sentence: str, value: str) -> None:
    assert any(value in f.quote for f in extract(sentence).items), extract(sentence).items


def test_a_bare_before_after_with_no_set_or_method_is_not_grounded() -> None:
    found = claims_of("After the reranker, answer accuracy went from 64% to 91%.")
    assert found.claims and not found.grounded


def test_a_judged_quality_read_off_a_dashboard_has_no_method() -> None:
    """A dashboard counts latency and spend; a hallucination rate on it says nothing of how a
    case was judged, unless the sentence says so."""
    read_off = "According to our internal dashboard we were at a 31% hallucination rate."
    assert claims_of(read_off).claims and not claims_of(read_off).grounded
    judged = read_off.replace("rate.", "rate, judged by hand on 200 sampled chats.")
    assert claims_of(judged).grounded
    latency = "The latency dashboard had p95 at 2.4 s."
    assert claims_of(latency).grounded


def test_a_vague_size_sizes_no_set() -> None:
    """ "Thousands of test cases" is LABELLING's "vague size", not a set of a known size."""
    vague = "The suite has thousands of test cases and kept us at 98% accuracy the whole time."
    assert not claims_of(vague).grounded
    assert claims_of(vague.replace("thousands of", "2,400")).grounded
    assert claims_of("One episode spans hundreds of 50 Hz windows of a robot's log.").problems == []


def test_a_score_given_as_a_band_makes_a_pair() -> None:
    found = claims_of(
        "I checked by dropping just that column: on the random split the score fell from the mid "
        "nineties to the low eighties."
    )
    assert found.grounded and found.grounded[0].pairs


def test_a_public_benchmark_score_is_not_the_candidates_measurement() -> None:
    """LABELLING section 3: MMLU, BEIR or a leaderboard measure the model, not the candidate's
    system, and "the same benchmark" in the next sentence is theirs too."""
    borrowed = claims_of(
        "We benchmarked it properly: on BEIR, reranking took nDCG@10 from 0.43 to 0.53. We also "
        "tried bge-reranker, which scores around 0.51 on the same benchmark."
    )
    assert borrowed.claims and not borrowed.grounded
    assert not claims_of("Llama 2 70B scores 68.9 on MMLU against 45 for the others.").grounded
    own = claims_of("On our 240 labelled support queries, nDCG@10 went from 0.43 to 0.53.")
    assert own.grounded
    kaggle = claims_of("Random KFold on rows gave CV AUC 0.862 but private leaderboard 0.811.")
    assert kaggle.grounded, "a Kaggle leaderboard is the candidate's own submission"
    assert not extract("On BEIR, reranking took nDCG@10 from 0.43 to 0.53.").of(
        EvidenceKind.BEFORE_AFTER
    )


def test_a_plan_is_not_a_measurement() -> None:
    found = claims_of("If I did it again I'd measure p95 on a week of traffic, 500 requests.")
    assert found.claims and not found.grounded


def test_a_product_name_is_not_a_figure() -> None:
    assert claims_of("We are SOC 2 compliant and use GPT-4 for drafting.").figures == 0


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Precision on the 300 labelled invoices reached 104%.", "at most 100%"),
        ("Recall@10 went from 0.71 to 1.08 on 150 queries.", "cannot exceed 1"),
        (
            "Of the failures, 50% were timeouts, 35% were bad arguments and 25% were auth errors.",
            "add up to 110%",
        ),
        (
            "The suite has 300 cases: 150 contracts, 120 invoices and 90 receipts.",
            "add up to 360",
        ),
        ("We found 340 of 300 replies had a wrong date.", "more than the whole"),
        ("It passed 90 of 120 cases (82%), measured with the judge.", "not the 82%"),
        ("Accuracy dropped to 91%, which was 30 of the 150 cases failing.", "does not match"),
        (
            "On the same 400 queries latency improved from 1.2 s to 1.9 s.",
            "worse for latency",
        ),
        ("Refund errors dropped from 6% to 9% on the 200 replayed tickets.", "is an increase"),
        (
            "Measured with k6 at 300 RPS: p50 was 120 ms and p99 was 80 ms.",
            "p99 is below the p50",
        ),
        (
            "On our 500-case set the error rate went from 10% to 8%, a 60% reduction.",
            "not the 60%",
        ),
        (
            "We shadowed 40,000 searches a day for two weeks, about 2 million searches in total.",
            "is about 560,000",
        ),
        (
            "Of the replayed orders, 60% of the failures came from stale prices and 55% from "
            "timeouts.",
            "add up to 115%",
        ),
        (
            "The A/B on 9,000 sessions lifted conversion 9%, right in line with the 3% the "
            "offline replay predicted.",
            "9% is not in line with 3%",
        ),
        (
            "I scored the churn model on the training data after fitting it: 0.93 AUC.",
            "trained on",
        ),
        (
            "To check it I evaluated the classifier on those same 80,000 claims it was trained "
            "on, and recall was 88%.",
            "trained on",
        ),
        (
            "We watch more than 300 signals with PSI on a schedule. All told we had 90 signals "
            "in total over 4 models.",
            "more than the 90 signals in total",
        ),
        (
            "On a holdout of 20,000 claims containing 600 frauds it flagged 900, of which 750 "
            "were true frauds.",
            "more than the 600 frauds in the set",
        ),
        (
            "I collected 150 attack prompts: 100 were jailbreaks, 60 were indirect injections and "
            "20 tried to leak data.",
            "add up to 180",
        ),
        (
            "The loop rate: out of 1,500 traced runs, 450 were loops, so a 10% loop rate.",
            "450 of 1,500 is 30%",
        ),
        (
            "It reached 96% accuracy on the same 180,000 training rows, against 72% for the rules.",
            "trained on",
        ),
        (
            "Tracing showed the time split was 45% retrieval, 35% reranking and 30% generation, "
            "and p95 went from 5 s to 1.5 s.",
            "add up to 110%",
        ),
        (
            "I found that 55% of the bad answers came from stale pages, 40% from the prompt and "
            "20% from the model.",
            "add up to 115%",
        ),
        (
            "We reran the 1,200-case suite and hallucinations went from 15% down to 2%, that's "
            "180 cases down to 40.",
            "cannot both be shares of one set at 15% and 2%",
        ),
        (
            "We sampled 3,000 chats and found card numbers in 12% of them, about 700.",
            "12% of 3,000 is about 360, not 700",
        ),
        (
            "Afterwards it fell to 0.2% of the 4,000 chats we re-read, so roughly 60.",
            "0.2% of 4,000 is about 8, not 60",
        ),
    ],
)
def test_figures_that_cannot_be_true_are_found_and_explained(text: str, says: str) -> None:
    found = claims_of(text)
    assert found.incoherent, text
    assert any(says in p for p in found.problems), found.problems
    assert not found.grounded, "an incoherent figure is never evidence"


@pytest.mark.parametrize(
    "text",
    [
        "On 150 labelled questions wrong answers went from 12 (8%) to 1; abstentions rose 3 to 8.",
        "A two-week A/B: click-through went from 41% to 47%, and p95 went from 90 ms to 210 ms.",
        "Hit@5 went from 24 of 40 to 33 of 40 on the 40 test queries I wrote.",
        "We kept an 80/20 split by customer and AUC dropped from 0.88 to 0.79 on the holdout.",
        "The importance of the leaky feature fell from 1st to 14th once rebuilt as of booking.",
        "I reduced p95 from 20 seconds to 900 milliseconds, measured on a day of traffic.",
        "We logged 15,000 calls a day for a week, roughly 105,000 calls in total, then replayed.",
        "A weekly job computes PSI for the inputs against the training data and pages above 0.2.",
        "On 20,000 replayed pairs 98.9% matched the online values within 1%.",
        "About 40 features on customer behaviour: order counts over 7, 30 and 90 days.",
        "It missed queries citing 'decision 2021/334' because the embedding ignores numbers.",
        "Under random CV the best setting used the 15/45-minute lags (6.2%) on the holdout.",
        "Nearly every input fell below the floor at once and MAPE went from 0.9 to 2.6.",
        "The lift was 4.1%, in line with the 4% the offline replay predicted on 12,000 sessions.",
        "We had 120 features in total; 500 features a week are proposed and most are rejected.",
        "I tagged 300 queries: 31% named a part number, hit@5 on those was 44%, and for about 65% "
        "of the misses the part was never retrieved.",
        "Under the backtest the boosted model won, £1,210 vs £1,480 MAE, on 8 folds.",
        "Late deliveries fell to 8.1% against 13.9%; a bootstrap over 400 route-days gave a 95% "
        "interval of 4.9 to 6.6 points, and we shipped to 100% of drivers.",
        "On the backtest it dropped to 0.68 against 0.73, because the feature memorised postcodes.",
        "Support tickets jumped from ~30/day to ~150/day after the release and recall dropped.",
        "A holdout of 20,000 claims containing 600 frauds: it flagged 900, of which 450 were true "
        "frauds.",
        "Hallucinations went from 15% down to 2%, that's 180 cases down to 24 of the 1,200.",
        "When we tried a cheaper model, date accuracy went from about 96% to 88% on the suite.",
        "We sampled 400 traces; 31% of them, or 124, had an email address in the prompt.",
        "About 12% of the 1,200 tickets (roughly 140) were refund requests.",
        "The new prompt made it cheaper, but accuracy went from 96% to 91% on 300 cases.",
        "Refusals went from 12.5% to 3%, that is 50 tickets down to 12 on the 400 we replayed.",
        "Errors fell from 7.5% to 0%, i.e. 15 to 0 of our 200 labelled calls.",
    ],
)
def test_coherent_figures_are_not_called_wrong(text: str) -> None:
    assert not claims_of(text).problems, claims_of(text).problems


def test_a_price_per_thousand_is_not_the_set_a_figure_was_measured_on() -> None:
    """'$0.30 per 1,000 calls' is a rate's denominator: figures beside it still have no set."""
    found = claims_of("Recall rose from 0.52 to 0.81, and cost went up $0.30 per 1,000 calls.")
    assert not found.grounded
    assert claims_of("Recall rose from 0.52 to 0.81 on 1,000 calls we labelled.").grounded


SUITE = (
    "I built our {total}-case regression suite: 200 invoices, 150 receipts and 100 contracts, "
    "all from production uploads and labelled by me. Every PR runs it in GitHub Actions and "
    "the merge is blocked if the pass rate falls. It caught an OCR change: invoice accuracy "
    "dropped from 95% to {after}%, which was 40 of the 200 invoices failing, so I reverted it."
)


@pytest.mark.parametrize("spec", ["offline", "offline-rules"])
def test_an_incoherent_answer_is_held_at_two_and_says_which_figure(
    bank: QuestionBank, spec: str
) -> None:
    from agent.grading.base import get_grader, grade_blocking

    answer = SUITE.format(total=400, after=90)  # parts add up to 450; 40 of 200 is not 10%
    verdict = grade_blocking(get_grader(spec), bank.get("regression-suite"), answer)
    assert verdict.score is not None and verdict.score <= 2
    assert any("cannot be true" in f and "add up to 450" in f for f in verdict.flags)
    assert any("held at 2" in line for line in verdict.explanation)


def test_the_same_answer_with_figures_that_add_up_scores_above_the_cap(
    bank: QuestionBank,
) -> None:
    verdict = OfflineGrader().grade_now(
        bank.get("regression-suite"), SUITE.format(total=450, after=80)
    )
    assert verdict.score is not None and verdict.score >= 3
    assert not any("cannot be true" in f for f in verdict.flags)


def test_fabricated_figures_with_no_set_or_method_are_held_at_two(bank: QuestionBank) -> None:
    answer = (
        "In my previous role I spearheaded a retrieval overhaul: nDCG went up 34%, MRR went "
        "from 0.58 to 0.87 and answer accuracy improved by 29%, with only 40 ms of extra latency."
    )
    verdict = OfflineGrader().grade_now(bank.get("reranker-rollout"), answer)
    assert verdict.score is not None and verdict.score <= 2


TERSE = (
    "Grounded the reply drafts on order history: agents' edit distance went 0.38 -> 0.25 "
    "in a 3-week A/B, ~1,800 tickets per arm, +$0.003 per draft."
)


def test_a_terse_one_line_measured_answer_is_on_topic_and_backed(bank: QuestionBank) -> None:
    verdict = OfflineGrader().grade_now(bank.get("before-after"), TERSE)
    assert not any(f.startswith("off-topic") for f in verdict.flags)
    assert claims_of(TERSE).grounded_pairs


@pytest.mark.xfail(
    reason="known gap: a one-line answer dense with evidence is still scored 2 (the criteria "
    "count rubric keywords it does not spell out)",
    strict=True,
)
def test_a_terse_one_line_measured_answer_reaches_three(bank: QuestionBank) -> None:
    from agent.grading.base import get_grader, grade_blocking

    verdict = grade_blocking(get_grader("offline"), bank.get("before-after"), TERSE)
    assert verdict.score is not None and verdict.score >= 3


@pytest.mark.parametrize(
    ("template", "wrong", "right", "problem"),
    [
        (  # a share of a whole stated earlier
            "We replayed a month of traffic, 2 million requests in total. 5% of the requests "
            "disagreed, which was around {} requests.",
            "300,000",
            "100,000",
            "5% of 2,000,000 requests is about 100,000",
        ),
        (  # a rough count restating its rate of the sized set
            "We measured on our 400-question evaluation set. Before, 38% of questions failed - "
            "about {} questions - and after the upgrade only 12 failed.",
            "120",
            "150",
            "120 of the 400 is 30%",
        ),
    ],
)
def test_a_count_must_match_its_share_of_a_stated_whole(
    template: str, wrong: str, right: str, problem: str
) -> None:
    assert any(problem in p for p in claims_of(template.format(wrong)).problems)
    fits = claims_of(template.format(right))
    assert not fits.problems, fits.problems


def test_digits_before_a_scale_word_are_one_figure() -> None:
    assert "3000000 requests" in normalise_numbers("roughly 3 million requests")
    assert "1200000 rows" in normalise_numbers("1.2 million rows")


@pytest.mark.parametrize(
    "text",
    [
        "We shadowed 200k requests a day for two weeks, 2,800,000 requests in total.",
        "We replayed 10,000 requests in total. 12% of the requests for 3 days failed.",
        "I evaluated it on the same held-out set after training; recall was 81% on 2,000 cases.",
    ],
)
def test_coherent_rates_shares_and_held_out_results_are_not_called_wrong(text: str) -> None:
    assert not claims_of(text).problems, claims_of(text).problems


def test_a_long_list_of_numbers_is_read_in_linear_time() -> None:
    # a regex over comma-separated numbers once backtracked exponentially on this shape
    text = "We labelled 400 cases: " + ",".join(["111"] * 40) + " x"
    assert claims_of(text).figures >= 1


def test_an_interval_must_contain_its_own_estimate() -> None:
    wrong = claims_of("On 640 audited calls the new model's recall was 0.77 (95% CI 0.79-0.88).")
    assert any("0.77 lies outside its own interval" in p for p in wrong.problems), wrong.problems
    right = claims_of("On 640 audited calls the new model's recall was 0.83 (95% CI 0.79-0.88).")
    assert not right.problems, right.problems


def test_a_share_of_a_set_above_100_percent_cannot_be_true_even_in_bold() -> None:
    wrong = claims_of("After the rebuild **104%** of replayed orders matched the ledger totals.")
    assert any("at most 100%" in p for p in wrong.problems), wrong.problems
    assert not claims_of("After the rebuild 96% of replayed orders matched the ledger.").problems


def test_a_result_on_the_set_the_model_was_trained_on_is_no_margin() -> None:
    wrong = claims_of("Scored on our 52,000 tagged invoices, the same set we trained model B on.")
    assert any("trained on" in p for p in wrong.problems), wrong.problems
    held_out = claims_of(
        "Scored on 4,000 invoices from a later month, not the same set we trained on: 88%."
    )
    assert not held_out.problems, held_out.problems


def test_all_of_a_scope_is_not_a_claim_of_perfection() -> None:
    scope = claims_of("We kept 100% manual review of refunds over $500 for the first month.")
    assert not any(c.unsupported for c in scope.claims)
    result = claims_of("Accuracy reached 100% on the suite.")
    assert all(c.unsupported for c in result.claims)


def test_ci_as_continuous_integration_is_not_a_method() -> None:
    pipeline = claims_of("Pass rate was 93% and the suite runs in CI on every merge.")
    assert all(c.method is None for c in pipeline.claims), [c.method for c in pipeline.claims]
    interval = claims_of("The lift was 2.1 points, 95% CI 0.8 to 3.4.")
    assert any(c.method for c in interval.claims)


def test_a_breakdown_written_as_a_list_is_added_up_like_one_sentence() -> None:
    shares = claims_of(
        "We looked at 400 failed runs in production:\n- 45% tool timeouts\n- 35% bad JSON\n"
        "- 30% wrong tool\n- 15% invented arguments\nI added retries and a repair step."
    )
    assert any("add up to 125%" in p for p in shares.problems)
    assert all(c.problems for c in shares.claims if "%" in c.sentence)  # each item is suspect
    counts = claims_of(
        "I went through 300 failed runs:\n- 120 were timeouts\n- 100 bad JSON\n- 110 loops"
    )
    assert any("add up to 330, more than the 300" in p for p in counts.problems)
    fine = claims_of(
        "I went through 300 failed runs:\n- 120 were timeouts\n- 100 bad JSON\n- 80 loops"
    )
    assert fine.problems == []
    metrics = claims_of("On the 300 held-out cases:\n- precision 92%\n- recall 88%\n- F1 90%")
    assert metrics.problems == []


def test_before_and_afterwards_in_words_make_a_pair() -> None:
    found = claims_of(
        "Before the windowing fix it was roughly a third of summaries, afterwards closer to a "
        "quarter, from the edit history over a month on each side."
    )
    (claim,) = found.claims
    assert [(a.value, b.value) for a, b in claim.pairs] == [(33.0, 25.0)]
    assert claim.method == "edit history" and claim.grounded


@pytest.mark.parametrize(
    "sentence",
    [
        "Random split gave AUC 0.86 on the member snapshots.",
        "I grouped by member and split on time, 4 rolling origins: AUC 0.74.",
        "Rebuilding the feature from events before the filing date gave AUC 0.78.",
        "Dropping the feature entirely gave 0.77.",
    ],
)
def test_how_a_tabular_model_was_validated_grounds_its_figure(sentence: str) -> None:
    assert claims_of(sentence).grounded


def test_advice_about_point_in_time_joins_grounds_nothing() -> None:
    essay = claims_of(
        "Use point-in-time joins. Be suspicious if the AUC is too good to be true (>0.95)."
    )
    assert not essay.grounded


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (
            "The golden set has 500 cases and a 96% pass rate. Last month the pass rate fell "
            "to 91%, which means 45 more failing cases.",
            "96% to 91% of 500 is about 25 more, not 45",
        ),
        (
            "Escalations dropped from 120 to 95 out of 350, so the escalation rate improved "
            "by 25 points.",
            "120 to 95 of 350 is 7.1 points, not 25",
        ),
    ],
)
def test_a_change_restated_as_a_count_or_as_points_must_match(answer: str, problem: str) -> None:
    assert problem in claims_of(answer).problems


@pytest.mark.parametrize(
    "answer",
    [
        "The golden set has 500 cases and a 96% pass rate. Last month the pass rate fell to "
        "91%, which means 25 more failing cases.",
        "On our 1,200-case golden set errors dropped from 8% to 2%, so 72 fewer wrong answers.",
        "Escalations dropped from 120 to 95 out of 350, so the escalation rate improved by 7 "
        "points.",
        # rounding: 8% and 2% may be 7.5% and 2.5%, so 60 of 1,200 can be true
        "On our 1,200-case golden set errors dropped from 8% to 2%, so 60 fewer wrong answers.",
    ],
)
def test_changes_that_add_up_are_left_alone(answer: str) -> None:
    assert claims_of(answer).problems == []


def test_a_pair_of_counts_may_be_followed_by_its_pair_of_shares() -> None:
    agree = claims_of("The slice went from 46 of 52 to 37 of 52 (88% to 71%) after the change.")
    assert agree.problems == []
    wrong = claims_of("The slice went from 46 of 52 to 37 of 52 (88% to 61%) after the change.")
    assert wrong.problems


def test_a_share_of_a_share_is_not_part_of_one_breakdown() -> None:
    nested = claims_of(
        "I logged token counts per part: ~80% of tokens were input, and about half of the "
        "input was the order-history JSON."
    )
    assert nested.problems == []


def test_parts_listed_with_their_sources_are_added_up() -> None:
    found = claims_of(
        "I went through 1,200 conversations and found 520 were wrong from retrieval, 610 from "
        "the prompt and 180 from the model itself."
    )
    assert any("add up to 1310, more than the 1,200" in p for p in found.problems)


def test_a_hundred_percent_pass_criterion_is_not_unsupported_precision() -> None:
    criterion = "Pass = queue accuracy >= 92% and 100% schema-valid, checked in CI."
    assert not any(c.unsupported for c in claims_of(criterion).claims)
    assert extract(criterion).unsupported == []
    claim = "Since the fix we get 100% schema-valid output."
    assert extract(claim).unsupported == [claim]


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (
            "My model: macro-F1 0.93, precision 0.97, recall 0.71.",
            "an F1 of 0.93 cannot come from a precision of 0.97 and a recall of 0.71",
        ),
        (
            "Mean absolute band error went from 0.9 to 1.1, so that improved too.",
            "'from 0.9 to 1.1' is worse for error, but the answer calls it improved",
        ),
        (
            "Before my change 312 of 420 essays were within one band of the teacher, which is 68%.",
            "312 of 420 is 74%, not the 68% stated beside it",
        ),
        (
            "Evaluated on the full 50,000-product catalogue the model was fine-tuned on.",
            "the result was measured on the data the model was trained on",
        ),
        (
            "Before, the refund error rate was 21% and after the prompt change it became 26%, "
            "which was a big improvement for ops.",
            "'Before, the refund error rate was 21% and after the prompt change it became 26%' is "
            "worse for error",
        ),
        (
            "Mismatches went from 3% to 5%, a clear improvement.",
            "'from 3% to 5%' is worse for mismatches, but the answer calls it improvement",
        ),
        (
            "We scored 8,000 invoices and 9,100 of them were read correctly after the fix.",
            "9,100 of them is more than the 8,000 invoices it is a part of",
        ),
        (
            "In 2024 we ran 52 weekly retrains, of which 60 went live after the gate.",
            "of which 60 is more than the 52 weekly retrains it is a part of",
        ),
        (
            "The monitor raised 60 alerts last quarter, 70% of them true positives and 45% false "
            "alarms.",
            "the true and false positives add up to 115% (70% + 45%) of one set",
        ),
        (
            "My LightGBM model achieved 0.97 AUC on the training data, well above the 0.70 rules.",
            "the result was measured on the data the model was trained on",
        ),
        (
            "We evaluated on the training data, not on held-out data, and got 99% accuracy.",
            "the result was measured on the data the model was trained on",
        ),
        (
            "Thumbs-up went from 3.1 to 4.2 and 115% of reviewers said it was clearer.",
            "115% of reviewers said cannot be: a share of a set is at most 100%",
        ),
    ],
)
def test_more_figures_that_cannot_be_true(answer: str, problem: str) -> None:
    assert any(p.startswith(problem) for p in claims_of(answer).problems), claims_of(answer)


@pytest.mark.parametrize(
    "answer",
    [
        "My model: F1 0.82, precision 0.97, recall 0.71.",
        "Mean absolute band error went from 1.1 to 0.9, so that improved too.",
        "312 of 420 essays were within one band of the teacher, which is 74%.",
        "Evaluated on a held-out month the model was never trained on.",
        "Before, the refund error rate was 26% and after the prompt change it became 21%, "
        "which was a big improvement for ops.",
        "Mismatches went from 5% to 3%, a clear improvement.",
        "Accuracy went from 90% to 87%, a small loss, but cost halved, a big win.",
        "We scored 8,000 invoices and 7,100 of them were read correctly after the fix.",
        "In 2024 we ran 52 weekly retrains, of which 40 went live after the gate.",
        "We ran 6 variants over 900 cases and 850 of them passed for the best one.",
        "About 40 tickets a day for 30 days, and 300 of them were refunds.",
        "I pulled 3 wks of search logs and on 80 of those queries I checked the top 5 by hand.",
        "The monitor raised 60 alerts last quarter, 70% of them true positives and 30% false "
        "alarms.",
        "It achieved 0.88 AUC on the held-out month against 0.95 on the training data: overfit.",
        "At that threshold the model had a 95% true positive rate and a 10% false positive rate.",
        "We logged 50,000 requests across 300 tenants, and 12,000 of them hit the cache.",
        "We had 12k tickets and 3,000 of them were duplicates.",
        "Memory peaked at 130% of the pod limits during the backfill.",
        "Latency went from 200 ms to 260 ms, and the recall gain paid for it.",
        "p95 went from 300 ms to 340 ms, a small accuracy gain made it worth it.",
        "Out of 10,000 sampled rows there were 0 mismatches, and 1,850 of those rows were fine.",
        "We scored 2,000 claims, flagging 1,300 claims of which 1,250 were really fraud.",
        "A parcel is at risk when its route is over 120% of planned stops; 130% of target is rare.",
        "Accuracy rose 2 points. For the model I built the features, ~30 of them, from the logs.",
    ],
)
def test_and_their_true_twins(answer: str) -> None:
    assert claims_of(answer).problems == []


@pytest.mark.parametrize(
    ("sentence", "noise"),
    [
        ("The 300 cases are replayed in CI on every prompt change.", False),
        ("The CI gate blocks the merge when a case fails.", False),
        ("Pass rate rose 9 points (95% CI 5 to 13) on the same 300 cases.", True),
        ("Recall went from 0.61 to 0.70, CI [0.66, 0.74], on 1,200 queries.", True),
    ],
)
def test_ci_is_a_confidence_interval_only_beside_its_level_or_bounds(
    sentence: str, noise: bool
) -> None:
    assert read_claims([sentence]).noise is noise


@pytest.mark.parametrize(
    ("answer", "pair"),
    [
        (
            "The leak was a flag set after the fraud was confirmed. It came out at like 0.98 AUC. "
            "Took it out and AUC on the test months went to 0.84.",
            ("0.98", "0.84"),
        ),
        (
            "Join on customer id with no date. AUC was 0.97, nobody believes that. Fixed the join, "
            "AUC "
            "0.83 after.",
            ("0.97", "0.83"),
        ),
        (
            "We measured p95 from the logs: 9 s. I capped the tokens and p95 went to 5.4 s.",
            ("9 s", "5.4 s"),
        ),
    ],
)
def test_a_metric_given_again_after_a_change_is_a_before_after_pair(
    answer: str, pair: tuple[str, str]
) -> None:
    found = extract(answer)
    [claim] = [c for c in found.claims.claims if c.across]
    assert [(a.text, b.text) for a, b in claim.across] == [pair]
    assert f"{pair[0]} -> {pair[1]}" in [
        f.quote for f in found.items if f.kind.value == "before_after"
    ]


@pytest.mark.parametrize(
    "answer",
    [
        # a bar to meet is not a "before"
        "Thresholds were PSI 0.25 for features. One night device_type PSI went to 0.9.",
        # a count after the metric's name is not its value
        "PSI runs on the 15 main input features. In June PSI went to about 0.3.",
        # a slide's before and after, with no change told, is not read across sentences
        "Before: 68% accuracy. After: 97.5% accuracy.",
        # two metrics are not one
        "The p50 was 85 ms. After caching the p99 is now 40 ms.",
    ],
)
def test_and_what_is_not_such_a_pair(answer: str) -> None:
    assert not any(c.across for c in extract(answer).claims.claims)


def test_had_written_is_not_a_hypothetical() -> None:
    [claim] = claims_of(
        "I reran the questions we'd written at the hackathon: before about two thirds right, "
        "after roughly three quarters."
    ).claims
    assert not claim.hypothetical
    [claim] = claims_of("We'd need about 300 questions to see a 5 point change.").claims
    assert claim.hypothetical


@pytest.mark.parametrize(
    "answer",
    [
        # an interval's ends and a ranking's cut-off are not parts of a breakdown
        "Ranked queue: 58% of escalations were in the first 30% worked (95% CI 53-63%).",
        # one item can have several attributes
        "I sampled 500 prompts: 94% had a name, 61% an account number, 12% a card number.",
        "We had 16 alerts, of which 9 were drift, 4 were data issues and 3 were false alarms.",
        # a hedged share is a rough one: 77 of 120 is 64%, "a bit under two thirds"
        "Before, a bit under two thirds were fully correct (77 of 120); after, 98 of 120.",
        "Caching gave a 60% reduction in input tokens.",
        "85% of requests go to the small model and 15% escalate to the large one.",
        "On our 300-question eval the old prompt scored 40%, i.e. 180 questions wrong.",
        # a count added to the whole is not one of its parts
        "I took the 60-odd attack messages we found in logs and wrote about 40 more, 104 in "
        "total, and ran them through the agent: 38 got the report closed.",
        "We logged 500,000 requests. About 30% of them mismatched, which was 150,000 requests.",
        "Of the 1,200 tickets, 300 were refunds.",
        # another figure after the pair is not the change restated
        "Wrong-reason notices went from 22 (11%) to 6 (3%), and about 4% more notices now go to "
        "a human.",
    ],
)
def test_shares_and_parts_that_can_be_true(answer: str) -> None:
    assert claims_of(answer).problems == []


def test_parts_after_of_which_are_added_up_for_any_kind_of_thing() -> None:
    problems = claims_of(
        "Last year we had 14 alerts, of which 9 were drift, 4 were data issues and 3 were false "
        "alarms, giving a false alarm rate under 5%."
    ).problems
    assert problems == ["the parts add up to 16, more than the 14 stated"]


@pytest.mark.parametrize(
    ("answer", "wrong"),
    [
        # a fall cannot be larger than the whole
        ("Caching took the monthly bill to $4,000, a 300% reduction.", "300% reduction"),
        ("I cut hallucinated citations by 140% with the quote check.", "by 140%"),
        # two shares of one routing that add up to more than all of it
        (
            "With the router, 80% of queries now go to the small model and 30% escalate to the "
            "large one.",
            "80% and 30%",
        ),
        # a rate restated as a count of the set the answer sized earlier
        (
            "On our 300-question eval the old prompt scored 40%, i.e. 150 questions correct. "
            "The new one scores 70%.",
            "150 of the 300 is 50%",
        ),
    ],
)
def test_falls_routing_shares_and_restated_rates_that_cannot_be_true(
    answer: str, wrong: str
) -> None:
    problems = claims_of(answer).problems
    assert any(wrong in p for p in problems), problems


def test_a_rate_that_went_from_one_count_to_another_is_a_pair() -> None:
    found = extract("On the 60 frozen repos the solve rate went 38/60 to 29/60 after the change.")
    assert any(f.kind.value == "before_after" and "38/60 to 29/60" in f.quote for f in found.items)


def test_a_percentile_below_a_lower_one_in_one_sentence_is_incoherent() -> None:
    found = claims_of("After the change p50 came down to 1.4 s and p95 to 1.2 s.")
    assert any("p95 is below the p50" in p for p in found.problems)
    honest = claims_of("p50 dropped from 900 ms to 400 ms and p95 to 700 ms.")
    assert not honest.problems, "the p50's 'from' figure is not its value after"


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (
            "We logged 500,000 requests and replayed all of them offline. About 30% of them "
            "mismatched, which was 90,000 requests.",
            "90,000 of the 500,000 is 18%, not the 30% it restates",
        ),
        (
            "We checked on 400 reports from the appeals queue, 12% of them was 60 wrong mutes.",
            "60 of the 400 is 15%, not the 12% it restates",
        ),
        (
            "Out of 2 million training rows, about 2.4 million turned out to be duplicates.",
            "2,400,000 out of 2,000,000 is more than the whole",
        ),
        ("Of the 400 cases, 450 failed.", "450 out of 400 is more than the whole"),
    ],
)
def test_a_share_or_a_part_of_a_set_just_sized_must_fit_it(answer: str, problem: str) -> None:
    assert problem in claims_of(answer).problems


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (
            "End result: p99 fell from 210 ms to 40 ms, while p50 went to 55 ms.",
            "after the change the p99 is below the p50",
        ),
        (
            "Traced it under load: of the 150 ms p95, retrieval took 80 ms, reranking 60 ms and "
            "prompt assembly 30 ms.",
            "the parts add up to 170 ms, more than the 150 ms",
        ),
        (
            "The first build was at 120 ms p99: tokenising 50 ms, the model 65 ms, network 20 ms.",
            "the parts add up to 135 ms, more than the 120 ms",
        ),
        (
            "The old ranker had an MAE of 3.2 minutes and the new one came in at 3.9 minutes, "
            "so a clear improvement.",
            "is worse for mae, but the answer calls it improvement",
        ),
        ("Before, the median was 3.1 s and the p95 was 2.4 s.", "the p95 is below the p50"),
        (
            "Cost per document went from $0.02 to $0.06, which was a welcome saving.",
            "is worse for cost, but the answer calls it saving",
        ),
        # a count given exactly must fit the rates as written: 7 points of 500 is 35
        (
            "We scored 500 invoices by hand. Accuracy went from 80% to 87%, which is 52 more "
            "invoices right.",
            "80% to 87% of 500 is about 35 more, not 52",
        ),
    ],
)
def test_times_that_cannot_fit_and_a_worse_new_figure_called_better(
    answer: str, problem: str
) -> None:
    problems = claims_of(answer).problems
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    "answer",
    [
        "End result: p99 fell from 210 ms to 80 ms, while p50 went to 55 ms.",
        "Of the 150 ms p95, retrieval took 80 ms, reranking 40 ms and the rest was network.",
        # a part that changed is not two parts
        "Of the 900 ms, retrieval went from 400 ms to 150 ms and generation took 450 ms.",
        "The first build was at 120 ms p99: tokenising 50 ms, the model 45 ms, network 20 ms.",
        "The old ranker had an MAE of 3.9 minutes and the new one came in at 3.2 minutes, "
        "so a clear improvement.",
        "Before, the median was 1.4 s and the p95 was 2.4 s.",
        "Cost per document went from $0.06 to $0.02, which was a welcome saving.",
        "We scored 500 invoices by hand. Accuracy went from 80% to 87%, which is 35 more "
        "invoices right.",
        "We scored 500 invoices by hand. Accuracy went from 80% to 87%, about 38 more.",
    ],
)
def test_times_that_fit_and_a_better_new_figure(answer: str) -> None:
    assert not claims_of(answer).problems


def test_a_terse_answer_owns_the_actions_it_starts_sentences_with() -> None:
    terse = claims_of(
        "Summaries invented a policy number on about 1 in 40 claims. Replayed 60 of them with "
        "the template slot removed. Made the field optional.\n- Added the 60 to the suite."
    )
    assert terse.owned_actions == 3
    # a figure that moved is not something the candidate did
    moved = claims_of("Dropped to 2% after the fix. Went from 9 to 4 within a week.")
    assert moved.owned_actions == 0


def test_a_metric_given_again_after_a_story_of_the_change_is_a_pair() -> None:
    story = claims_of(
        "Offline AUC was 0.91, but in production the model was clearly worse. The top feature "
        "was the refund flag. It was written after the ticket closed. I spotted it in the "
        "importance plot. We dropped it and retrained; offline AUC fell to 0.78."
    )
    pairs = [(a.value, b.value) for c in story.claims for a, b in c.across]
    assert pairs == [(0.91, 0.78)]


@pytest.mark.xfail(
    reason="known gap: actions told in the present tense are read as done (for writers of "
    "English as a second language), so a plan ('I would build', 'we will test') reads as work "
    "too; a guard against modal verbs was measured and made the cross-author sets and the "
    "held-out padding check worse",
    strict=True,
)
def test_a_plan_told_in_the_present_is_not_work_done() -> None:
    from agent.grading.claims import _OWN_ACT
    from agent.grading.features import _WORK_DONE

    for plan in ("I would build a regression suite", "We will test it on every release"):
        assert not _WORK_DONE.search(plan) and not _OWN_ACT.search(plan), plan
