"""Claims: the figures in an answer, what they measure, and whether they can be true.

A hiring manager reads "unsupported answers went from somewhere between ten and twelve percent to
roughly three percent on about 130 flagged questions, scored by the judge" as one claim: a metric,
a before and an after value, the set it was measured on and its size, and the method. This module
reads every sentence into such claims, with figures written in words and ranges counted like
digits (number words through text2num, fractions and multipliers from a small table), and checks
them the way a careful reader does:

* a claim is **grounded** when its sentence (or the one before it) says what it was measured on
  (a sized or named set) or how (a method); a bare "accuracy went from 71% to 89%" is not;
* a claim is **incoherent** when a figure cannot be true (a precision above 100%, recall@5 of
  1.12), parts add up to more than their whole, a percentage of a set disagrees with the stated
  count, a change called an improvement goes the wrong way, a stated relative change does not
  match its own before and after, or a p99 is below the p50.

Incoherent figures are treated as fabricated (golden/LABELLING.md section 3): they earn nothing,
and :attr:`ClaimSet.problems` says which figure is wrong and why, in words a hiring manager uses.
Everything works on the original text's sentences, so quotes stay verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from text_to_num import alpha2digit

from .screen import Screen

# --- figures in words ----------------------------------------------------------------------------

#: "a third person", "a fifth reviewer": a rank, not a share.
_SHARE_NOT_RANK = (
    r"(?!\s+(?:person|people|reviewer|labell?er|annotator|rater|party|round|pass|time|option|"
    r"engineer|colleague|opinion|step|one)\b)"
)
_FRACTIONS = [
    (r"\b(?:roughly |about |almost |nearly )?(?:in|by) half\b", "by 50%"),
    (r"\bhalved\b", "cut by 50%"),
    (rf"\b(?:a|one) third\b{_SHARE_NOT_RANK}", "33%"),
    (r"\btwo[- ]thirds\b", "67%"),
    (r"\b(?:a|one) quarter\b", "25%"),
    (r"\bthree[- ]quarters\b", "75%"),
    (rf"\b(?:a|one) fifth\b{_SHARE_NOT_RANK}", "20%"),
    (rf"\b(?:a|one) tenth\b{_SHARE_NOT_RANK}", "10%"),
    (r"\bhalf (?:of )?(?:the|our|all|them)\b", "50% of the"),
    (r"\bone in (two|three|four|five|six|seven|eight|nine|ten|twenty|\d+)\b", r"1 in \1"),
    (r"\btwice\b", "2x"),
    (r"\bdoubled\b", "2x"),
    (r"\btripled\b", "3x"),
    (r"\b(two|three|four|five|six|seven|eight|nine|ten)fold\b", r"\1 x"),
    (r"\ba (?:couple|pair) of\b", "2"),
    # "one or two", "two or three": a small range, which text2num leaves in words below three
    (r"\bone or two\b", "1 or 2"),
    (r"\btwo or three\b", "2 or 3"),
    (r"\ba hundred[- ]odd\b", "about 100"),
    (r"\bhundred[- ]odd\b", "100"),
    (r"\ba hundred or so\b", "about 100"),
    (r"\ba dozen\b", "12"),
    # a vague size is no size (LABELLING section 5, level 2: "vague sizes"): "thousands of test
    # cases" sizes no set, and "hundreds of 50 Hz windows" is not "100 of 50"
    (r"\b(?:dozens|hundreds|thousands|millions) of\b", "many"),
]
_FRACTIONS_RE = [(re.compile(p, re.I), r) for p, r in _FRACTIONS]
_NUMBER_WORD = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|thousand|million|half|third|quarter|fifth|tenth|twice|doubled|"
    r"tripled|halved|fold|couple|pair|dozen)",
    re.I,
)


_TENS = {
    w: 10 * (i + 2) for i, w in enumerate("twent thirt fort fift sixt sevent eight ninet".split())
}
#: "the mid nineties", "the low-80s", "high 70s": a score given as a band of ten.
_BAND = re.compile(
    r"(?:\bthe\s+)?\b(?P<where>low|mid|high)[- ]?"
    r"(?:(?P<word>twent|thirt|fort|fift|sixt|sevent|eight|ninet)ies|(?P<tens>[2-9]0)'?s)\b",
    re.I,
)
_IN_BAND = {"low": 2, "mid": 5, "high": 8}


def _band(m: re.Match[str]) -> str:
    tens = int(m.group("tens")) if m.group("tens") else _TENS[m.group("word").lower()]
    return f"about {tens + _IN_BAND[m.group('where').lower()]}"


@lru_cache(maxsize=4096)
def normalise_numbers(sentence: str) -> str:
    """``sentence`` with figures in words written as digits ("about a third" -> "about 33%")."""
    if "ies" in sentence or "0s" in sentence or "0's" in sentence:
        sentence = _BAND.sub(_band, sentence)
    if not _NUMBER_WORD.search(sentence):
        return _PERCENT_WORD.sub("%", sentence) if "per" in sentence else sentence
    text = _SCALED.sub(_scaled, sentence)  # "3 million": text2num would leave "3 1000000"
    for pattern, repl in _FRACTIONS_RE:
        text = pattern.sub(repl, text)
    try:
        text = alpha2digit(text, "en")
    except Exception:  # a parser failure must never lose the sentence  # noqa: BLE001
        return text
    # "eleven or twelve thousand" -> "11 or 12000": the scale is both ends'
    text = _SCALED_RANGE.sub(_scaled_range, text)
    # "one percent", "one second": text2num leaves a lone "one" in words (mostly a pronoun)
    text = _ONE_OF_A_UNIT.sub("1", text)
    text = _PERCENT_WORD.sub("%", text)  # "91 percent" is "91%" to every check
    # "p ninety-five" -> "p95": a percentile spoken out
    text = _SPOKEN_PERCENTILE.sub(r"p\1", text)
    # "1 in 5" -> a share, so percentages of sets compare like with like.
    text = re.sub(
        r"\b1 in (\d+)\b",
        lambda m: f"{100 / int(m.group(1)):.0f}%" if int(m.group(1)) else m.group(0),
        text,
    )
    return text


_PERCENT_WORD = re.compile(r"(?<=\d) ?(?:percent|per cent|per-cent)\b", re.I)
_ONE_OF_A_UNIT = re.compile(
    r"(?<![\w-])one(?= (?:percent|per cent|%|second|millisecond|minute|hour)s?\b)", re.I
)
_SPOKEN_PERCENTILE = re.compile(r"\bp (50|75|90|95|99|99\.9)\b", re.I)
_SCALED_RANGE = re.compile(r"(?<![\w.,])(\d{1,3}) (or|to) (\d{1,3})(000|000000)\b")


def _scaled_range(m: re.Match[str]) -> str:
    low, high, zeros = int(m.group(1)), int(m.group(3)), m.group(4)
    if low >= high:
        return m.group(0)
    return f"{low}{zeros} {m.group(2)} {high}{zeros}"


_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9}
_SCALED = re.compile(r"(?<![\w.,])(\d+(?:\.\d+)?)\s+(thousand|million|billion)\b", re.I)


def _scaled(m: re.Match[str]) -> str:
    return f"{float(m.group(1)) * _SCALE[m.group(2).lower()]:.0f}"


# --- figures ------------------------------------------------------------------------------------

_NUM = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
_UNIT = (
    r"%|percent\b|pp\b|percentage points?\b|points?\b|pts?\b|x\b|×|ms\b|milliseconds?\b|s\b|"
    r"secs?\b|seconds?\b|min(?:ute)?s?\b|h\b|hours?\b|days?\b|weeks?\b|months?\b|k\b|m\b|"
    r"[a-z][a-z-]{2,}"
)
_FIGURE = re.compile(
    rf"(?P<cur>[$€£])?\s?(?P<approx>~|≈|about |around |roughly |approximately |nearly |almost |"
    rf"some |over |under |about)?(?P<num>{_NUM})(?:\s?(?:-|–|to)\s?(?P<hi>{_NUM}))?"
    rf"(?:\s?(?P<unit>{_UNIT}))?",
    re.I,
)
_SIZE_NOUNS = (
    r"cases?|examples?|questions?|queries|query|tickets?|items?|samples?|labels?|users?|requests?|"
    r"docs?|documents?|chunks?|calls?|rows?|prompts?|conversations?|threads?|sessions?|runs?|"
    r"traces?|transactions?|records?|images?|files?|pages?|scenarios?|tests?|emails?|"
    r"applications?|claims?|orders?|listings?|accounts?|customers?|invoices?|contracts?|"
    r"disputes?|reviews?|summaries|replies|answers?|attacks?|payloads?|prompts?|incidents?|"
    r"flags?|events?|predictions?|loans?|patients?|notes?|reports?|products?|skus?|stores?|"
    r"merchants?|sellers?|shipments?|interactions?|utterances?|messages?|chats?|pairs?|"
    r"turns?|voicemails?|recordings?|transcripts?|clips?|forms?|essays?|responses?|articles?|"
    r"deliveries|parcels?|students?|photos?|"
    r"labell?ed|hand-labell?ed|held-out|annotated|real|production|logged|sampled|golden"
)
#: What a system runs on or for, not a set it was measured on ("ran it on 2 GPUs", "for 3
#: weeks", "across 3 regions"), and short words that end in s but name nothing counted.
_NOT_A_SET = (
    r"(?:gpus|cpus|cores|nodes|machines|instances|servers|pods|replicas|shards|workers|boxes|"
    r"seconds|minutes|hours|days|weeks|months|quarters|years|secs|mins|hrs|wks|mths|mos|yrs|"
    r"times|models|versions|points|pts|steps|levels|stages|percent|seeds|sprints|epochs|"
    r"iterations|rounds|temperatures|regions|tenants|teams|annotators|labell?ers|reviewers|"
    r"across|plus|this|was|has|its|is|as|thus|us)"
)
#: "on 130 questions", "~2,100 tickets per arm", "a 240-case golden set", "300 labelled disputes".
_SET = re.compile(
    rf"(?:\b(?:on|over|across|from|of|with|using|against|in)\s+(?:the\s+|our\s+|a\s+|an\s+|"
    rf"about\s+|around\s+|roughly\s+|~|some\s+|all\s+)?{_NUM}\s?(?:k\s)?(?:[a-z-]+\s){{0,2}}?"
    rf"(?:{_SIZE_NOUNS})\b)"
    rf"|(?:(?<!\bper\s)(?<!\bevery\s)(?<!\bfor\s)(?<!\bper\s\$)(?<![\d,.])\b{_NUM}\s?(?:k\s)?[- ]"
    rf"(?:{_SIZE_NOUNS})\b)"
    rf"|(?:\b(?:eval(?:uation)?|test|golden|regression|holdout|held-out|validation|labell?ed|"
    rf"benchmark|replay)\s+(?:set|suite|data(?:set)?|split|period|month|week|quarter|sample)\b)"
    rf"|(?:\b(?:that|this|the whole|the full)\s+(?:set|sample|split|suite|holdout))"
    # "on our suite", "against the suite": the suite the answer described
    rf"|(?:\b(?:on|against|over|across)\s+(?:our|the|my)\s+(?:suite|harness|golden set)\b)"
    rf"|(?:\bsame\s+(?:\d+\s+)?(?:set|eval|data|cases|questions|queries|threads|tickets|"
    rf"traffic|period|month|week|harness|sample)\b)"
    rf"|(?:\bper arm\b|\beach arm\b|\bheld[- ]out\b|\bholdout\b|\bout[- ]of[- ]time\b)"
    # "tested on 30 letters", "evaluated it over 500 calls": a sized set of any kind of thing,
    # named by the act of testing on it (the list of set nouns above cannot name every domain's)
    rf"|(?:\b(?:test(?:ed)?|evaluat(?:ed|e)|eval'?d|benchmark(?:ed)?|tried|ran|run|checked|"
    rf"scored|measured|validated)\s+(?:it\s+|them\s+|this\s+|that\s+|both\s+)?"
    rf"(?:on|over|against|across|with)\s+(?:the\s+|our\s+|a\s+|about\s+|around\s+|~)?"
    rf"{_NUM}\s?(?:k\s)?(?:(?!{_NOT_A_SET}\b)[a-z-]+\s){{0,2}}?(?!{_NOT_A_SET}\b)[a-z]{{3,}}s\b)"
    # "AUC 0.97 on validation": the split named without "set", as terse and second-language
    # answers put it
    rf"|(?:\b(?:on|in)\s+(?:the\s+)?(?:validation|test|dev|eval(?:uation)?)\b"
    rf"(?!\s+(?:team|engineers?|step|stage|environment|env|server|cluster|phase)\b))",
    re.I,
)
_METHOD = re.compile(
    r"\b(?:a/b|ab test|a-b test|split test|randomi[sz]ed|control (?:arm|group)|shadow(?:ed)? mode|"
    r"shadow|canary|switchback|(?<!court )(?<!trial )(?<!presiding )judge(?!\s+(?:history|"
    r"profiles?|assignments?|rulings?|decisions?|names?|identity|panels?)\b)|"
    r"llm[- ]as[- ](?:a[- ])?judge|rubric|exact[- ]match|"
    r"assert\w*|hand[- ]?(?:label\w*|check\w*|mark\w*|grad\w*)|by hand|manually|human[- ]label\w*|"
    r"label(?:l?ed|l?ing)\s+by|annotat\w*|blind\w*|kappa|bootstrap\w*|confidence interval|"
    r"\bci\b(?=\s*[\[(:=]?\s*(?:of\s+)?[±\d.])|(?<=%\s)ci\b|(?<=%)ci\b|"  # "in CI" is no method
    r"p\s?[<=]\s?0?\.\d+|p-value|statistically significant|t-test|chi-squared|seeds?|"
    r"across (?:\d+ )?runs|"
    r"variance|std|standard deviation|±|\+/-|replay\w*|re-?ran|rerun|traces?|traced|tracing|"
    r"logs?|logged|dashboards?|profil(?:ed|ing|er)\b|flame ?graph|load[- ]test\w*|locust|k6|jmeter|"
    r"percentiles?|measured|scored|counted|sampled|spot[- ]check\w*|audit\w*|reviewed|"
    r"(?:edit|revision|version|change) history|"
    # a control the candidate ran: "half the regions for four weeks, the other half staying
    # FIFO, then swapped"
    r"(?:the )?other half (?:stay\w*|kept|stuck|remain\w*|on the old|as (?:a )?control)|"
    r"then swapped|swapped (?:them|the (?:arms|halves|groups|regions))|"
    # how a tabular model's figure was measured: the split, the as-of rebuild, the ablation
    r"random(?:ly)? (?:row )?split|split (?:on|by) (?:time|date|member|user|customer|patient|"
    r"account|session|store|merchant)|group(?:ed|ing)? by (?:member|user|customer|patient|"
    r"account|session|store|merchant)|rolling[- ]origins?|walk[- ]forward|expanding window|"
    r"rebuil(?:t|ding|d) (?:the |that |each |every )?features?|"
    r"(?:dropp|remov)(?:ing|ed) the feature|without the feature|"
    r"backtest\w*|cross[- ]validat\w*|k-?fold|time[- ]based split|time split|"
    r"grouped split|group ?k-?fold|ablation|ablat\w*|offline eval\w*|harness|compared|"
    r"benchmark\w*|recomputed|reconcil\w*|checked|verified|diffed|confusion matrix|ks[- ]test|"
    r"same (?:set|eval|harness|scorer|judge|queries|questions|cases|traffic|sample))\b",
    re.I,
)
#: Someone else's figure given as the candidate's measurement (LABELLING section 3): a public
#: benchmark's score ("68.9 on MMLU", "on BEIR, nDCG@10 0.43 to 0.53"), a public leaderboard's
#: ("top five of the MTEB leaderboard", "under 2% on the Vectara one"), a model card's. It is
#: about the model, not the candidate's system. A Kaggle leaderboard is the candidate's own
#: submission, so "leaderboard" alone borrows nothing.
BORROWED = re.compile(
    r"\b(?:MMLU|HellaSwag|GSM-?8K|HumanEval|TruthfulQA|MT-?Bench|BIG-?bench|MTEB|BEIR|LMSYS|"
    r"Chatbot Arena|Vectara|HELM|AlpacaEval|model[- ]cards?|"
    r"(?:vendor|provider)['’]?s? (?:own |published |reported )?"
    r"(?:benchmarks?|figures?|numbers?))\b",
    re.I,
)
_SAME_BENCHMARK = re.compile(r"\bsame (?:benchmark|leaderboard|board)\b", re.I)
#: A dashboard measures latency, cost and traffic, but a judged quality read off it ("the
#: dashboard had us at 62% accuracy", "hallucinations around 0.5% on the dashboard") says nothing
#: of how a case was judged: for those the dashboard is no method.
_JUDGED_QUALITY = re.compile(
    r"\b(?:hallucinat\w*|accura\w*|quality|correct\w*|faithful\w*|grounded\w*|satisf\w*|"
    r"csat|relevan\w*|helpful\w*)\b",
    re.I,
)


def _method_beside_dashboard(text: str) -> str | None:
    """The first method of ``text`` other than a dashboard, if any."""
    for match in _METHOD.finditer(text):
        if not match.group(0).lower().startswith("dashboard"):
            return match.group(0)
    return None


#: What an old and a new figure belong to: "the old model ... the new one".
_THING = (
    r"(?:[a-z-]+\s+)?(?:model|one|version|system|prompt|pipeline|setup|approach|ranker|"
    r"classifier|retriever|index|config|rules?)\b"
)
_PAIR = re.compile(
    rf"(?:\bfrom\s+(?:about\s+|around\s+|roughly\s+|~|somewhere\s+between\s+)?"
    rf"(?P<a1>[$€£]?{_NUM}(?:\s?(?:-|–|and|to)\s?{_NUM})?)\s?(?P<u1>%|percent|pp|ms|s\b|x\b|"
    rf"seconds?|points?|[a-z]{{2,12}})?[^.;\n]{{0,30}}?\s+(?:down\s+|up\s+)?to\s+"
    rf"(?:about\s+|around\s+|roughly\s+|~|under\s+|below\s+|over\s+)?"
    rf"(?P<b1>[$€£]?{_NUM})\s?(?P<v1>%|percent|pp|ms|milliseconds?|s\b|x\b|seconds?|points?)?)"
    rf"|(?:(?P<a2>[$€£]?{_NUM})\s?(?P<u2>%|pp|ms|s\b|x\b|k\b)?\s*(?:->|→|=>|—>|-->|>)\s*"
    rf"(?P<b2>[$€£]?{_NUM})\s?(?P<v2>%|pp|ms|s\b|x\b|k\b)?)"
    rf"|(?:(?P<a3>[$€£]?{_NUM})\s?(?P<u3>%|pp|ms|s\b|x\b)?\s+(?:vs\.?|versus|against)\s+"
    rf"(?P<b3>[$€£]?{_NUM})\s?(?P<v3>%|pp|ms|s\b|x\b)?)"
    rf"|(?:\bbefore\b[^.;\d]{{0,40}}?(?P<a4>[$€£]?{_NUM})\s?(?P<u4>%|pp|ms|s\b|x\b)?"
    rf"[^.;\d]{{0,30}}?\bafter(?:wards)?\b[^.;\d]{{0,30}}?(?P<b4>[$€£]?{_NUM})\s?"
    rf"(?P<v4>%|pp|ms|s\b|x\b)?)"
    # "91 percent before and 90.5 after"
    rf"|(?:(?<![\w.])(?P<a5>[$€£]?{_NUM})\s?(?P<u5>%|percent|pp|ms|s\b|x\b)?\s+before\b"
    rf"[^.;\d]{{0,30}}?(?P<b5>[$€£]?{_NUM})\s?(?P<v5>%|percent|pp|ms|s\b|x\b)?\s+after\b)"
    # "the old model had an MAE of 4.1 minutes and the new one came in at 4.7"
    rf"|(?:\b(?:old|previous|legacy|original)\s+{_THING}[^.;\d]{{0,40}}?"
    rf"(?P<a6>[$€£]?{_NUM})\s?(?P<u6>%|percent|pp|ms|s\b|x\b|seconds?|minutes?|points?)?"
    rf"[^.;\d]{{0,40}}?\bnew(?:er)?\s+{_THING}[^.;\d]{{0,30}}?"
    rf"(?P<b6>[$€£]?{_NUM})\s?(?P<v6>%|percent|pp|ms|s\b|x\b|seconds?|minutes?|points?)?)",
    re.I,
)
_METRICS_HIGHER = (
    r"accuracy|precision|recall|f1|f-1|auc|auroc|auprc|pr-auc|ndcg|mrr|map@\d+|hit rate|"
    r"pass rate|success(?: rate|@\d+)?|ctr|click[- ]through|conversion|cvr|agreement|kappa|"
    r"faithfulness|groundedness|coverage|resolution(?: rate)?|deflection|csat|nps|exact match|"
    r"top-?\d|recall@\d+|precision@\d+|throughput|qps|rps|uplift|lift|auc-pr|r2|r²"
)
_METRICS_LOWER = (
    r"latency|p50|p90|p95|p99|ttft|time to first token|cost|spend|bill|errors?|error rate|"
    r"failures?|failure rate|hallucinations?|hallucination rate|unsupported|wrong answers?|"
    r"false positives?|false negatives?|fpr|fnr|mae|mape|rmse|wape|smape|log ?loss|brier|ece|"
    r"churn|returns?|complaints?|escalations?|tickets?|handle time|aht|timeouts?|retries|"
    r"leaks?|incidents?|tokens?|\$|dollars?|drift|psi|mismatch\w*|edit distance|"
    r"thumbs[- ]down|refusals?|loops?|regressions?"
)
_HIGHER_RE = re.compile(rf"\b(?:{_METRICS_HIGHER})\b", re.I)
_METRIC_NAME = re.compile(rf"(?:{_METRICS_HIGHER}|{_METRICS_LOWER}|bleu|rouge\w*|wer|cer|ks)", re.I)
_LOWER_RE = re.compile(rf"(?:\b(?:{_METRICS_LOWER})\b)", re.I)
_BOUNDED_RATIO = re.compile(
    r"\b(?:auc|auroc|auprc|ndcg(?:@\d+)?|mrr(?:@\d+)?|f1|recall(?:@\d+)?|precision(?:@\d+)?|"
    r"kappa|map(?:@\d+)?|hit rate(?:@\d+)?|r2)\b(?:\s+(?:of|at|was|is|went|from|=|:|to|"
    r"around|about|score|@\d+|on \w+)){0,3}\s*[=:~]?\s*(?P<v>\d+\.\d+|\d+)(?!\s?%|\.\d|\d|,\d)"
    r"(?:\s*(?:->|→|to)\s*(?P<w>\d+\.\d+|\d+)(?!\s?%|\.\d|\d))?",
    re.I,
)
_RATE_PERCENT = re.compile(
    r"\b(?:accuracy|precision|recall|f1|pass rate|hit rate|success rate|agreement|coverage|"
    r"error rate|failure rate|hallucination rate|share|ctr|conversion|resolution rate|"
    r"match rate|availability|uptime)\b[^.;\n%]{0,50}?(?P<v>\d+(?:\.\d+)?)\s?%"
    r"|(?P<w>\d+(?:\.\d+)?)\s?%\s+(?:accuracy|precision|recall|pass rate|hit rate|"
    r"success rate|agreement|coverage|of (?:the |our |all )?(?:cases|queries|questions|tickets))",
    re.I,
)
_X_OF_N = re.compile(
    rf"(?<![\w.,/$])(?P<x>{_NUM})\s?(?:/|out of|of)\s?(?:the\s+|our\s+|all\s+)?(?P<n>{_NUM})"
    rf"(?![\d.,/%])(?![\s-]?(?:%|percent|x\b|ms\b|s\b|seconds?|min(?:ute)?s?\b|days?\b|hours?\b|"
    rf"weeks?\b|months?\b|years?\b|am\b|pm\b|split|train))",
    re.I,
)
_PERCENTILE = re.compile(
    r"(?:\bp(?P<p>50|90|95|99|999)\b|\b(?P<median>median)\b)(?:\s+(?:latency|was|is|of|at|went|from|=|:|around|about|"
    r"to|under|below|of about|(?:came|went) down to|dropped to|fell to|now)){0,3}\s*~?"
    r"(?P<v>\d+(?:\.\d+)?)\s?"
    r"(?P<u>ms|s\b|seconds?|"
    r"milliseconds?)",
    re.I,
)
#: A percentile's value after a change: "p99 dropped from 180 ms to 45 ms", "p50 went to 60 ms".
_PERCENTILE_AFTER = re.compile(
    r"(?:\bp(?P<p>50|90|95|99|999)\b|\b(?P<median>median)\b)(?:\s+latency)?\s+"
    r"(?:(?:went|dropped|fell|rose|came down|moved|improved|climbed)\s+)?"
    r"(?:from\s+~?\d+(?:\.\d+)?\s?(?:ms|s\b|seconds?|milliseconds?)?\s+(?:down\s+|up\s+)?to|"
    r"(?:went|dropped|fell|rose|came down|moved|climbed) to|is now|now)"
    r"\s+~?(?P<v>\d+(?:\.\d+)?)\s?(?P<u>ms|s\b|seconds?|milliseconds?)",
    re.I,
)
_IMPROVE = re.compile(
    r"\b(?:improv\w*|better|faster|quicker|cheaper|sped up|speed(?:ed)? up|saved|savings?|"
    r"win|won|gain\w*|fix(?:ed)?|reduc\w*|cut|dropp\w*|decreas\w*|lower\w*|fell|down|shrank|"
    r"increas\w*|rais\w*|rose|grew|up|boost\w*|higher|worse|slower|regress\w*|degrad\w*)\b",
    re.I,
)
_DOWN_WORDS = re.compile(
    r"\b(?:reduc\w*|cut|dropp?(?:ed|s)?|decreas\w*|lower(?:ed)?|fell|went down|came down|"
    r"shrank|halved)\b",
    re.I,
)
_UP_WORDS = re.compile(
    r"\b(?:increas\w*|rais\w*|rose|grew|went up|boost\w*|doubled|tripled|jump\w*|spik\w*|"
    r"climb\w*|soar\w*|shot up)\b",
    re.I,
)
_GOOD_WORDS = re.compile(
    r"\b(?:improv\w*|better|faster|quicker|cheaper|sped up|saved|won|a win|gains?)\b", re.I
)


def _says_of(word: str, metric: str | None) -> bool:
    """Whether a good word can describe a change of ``metric``: "cheaper" and "saved" speak of
    cost and "faster" of time, so "cheaper, but accuracy went from 96% to 88%" is a trade-off,
    not a contradiction; "improved" or "better" speak of any metric."""
    word, name = word.lower(), (metric or "").lower()
    if word in ("cheaper", "saved", "saving", "savings"):
        return not name or bool(re.search(r"cost|spend|bill|\$|dollar|token", name))
    if word in ("faster", "quicker", "sped up"):
        return not name or bool(re.search(r"latency|p\d\d|ttft|time|throughput|qps|rps", name))
    return True


#: A determiner just before a good word: the word describes a thing ("a cheaper model", "the
#: improved prompt"), not the change the figures show.
_DESCRIBES_A_THING = re.compile(r"\b(?:a|an|the|our|this|that|their|my|its)\s+$", re.I)
_REL_CHANGE = re.compile(
    rf"(?P<p>{_NUM})\s?%\s+(?:improvement|reduction|cut|drop|decrease|increase|faster|"
    rf"cheaper|better|lower|higher|gain|lift|speed-?up|fewer|more|less)",
    re.I,
)
_NEXT_CLAUSE = re.compile(r"\band\b(?!\s+(?:that|this|so|which)\b)|;", re.I)
_SHARE = re.compile(
    r"(?<![\d.])(?<!shipped to )(?<!rolled out to )(?<!ramped to )(?P<v>\d{1,3}(?:\.\d+)?)\s?%"
    r"(?!\s*(?:->|→|to\b|of the time|(?:confidence |credible |bootstrap )?(?:interval|ci|"
    r"confidence)\b|of (?:traffic|users)))",
    re.I,
)
_BREAKDOWN_CUE = re.compile(
    r"\b(?:split|breakdown|broke down|break down|causes?|were|was|came from|consist\w*|"
    r"originat\w*|stem(?:s|med)? from|attributed to|caused by|driven by|"
    r"made up|divided|of which|distribution|mix|categories|types?|by type|by cause|due to)\b|:",
    re.I,
)
_NOISE = re.compile(
    # "CI" is a confidence interval only beside its level or its bounds ("95% CI 5 to 13",
    # "CI [0.61, 0.70]"); "replayed in CI" and "the CI gate" are continuous integration.
    r"(?:±|\+/-|\bconfidence interval|\b\d{2}(?:\.\d)?\s?%\s?ci\b|"
    r"\bci\s*(?:[\[(:=±]|-?\d|(?:of|was|is|from|between)\s+[\[(±+-]?\d)|"
    r"\bp\s?[<=]\s?0?\.\d+|\bp-value|\bsignifican\w*|"
    r"\bbootstrap\w*|\bvariance\b|\bstd\b|\bstandard deviation|\bacross (?:\d+ )?(?:runs|seeds|"
    r"folds|weeks|days)|\bseeds?\b|\bnoise\b|\bweekly range|\brun[- ]to[- ]run|\bspread\b|"
    r"\bpowered\b|\bwithin noise|\bbeyond noise|\binterval\b)",
    re.I,
)
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|my|me|myself)\b")
_TEAM = re.compile(r"\b(?:we|our|us|the team|my team|my org|the org)\b", re.I)
_OWN_ACT = re.compile(
    # past or present tense: a writer of English as a second language often tells a past
    # action in the present ("last month I find the bug, I add a filter")
    r"\bI\s+(?:\w+\s+){0,2}?(?:buil[dt]|wrote|writ|creat|set up|set\b|add|design|implement|"
    r"trac|f[oi]und|measur|ran\b|run|ship|led\b|lead|rewr|replac|debug|fix|chang|"
    r"introduc|wire|collect|pull|sampl|revert|roll|deploy|train|tun|mov|"
    r"switch|split|notic|discover|check|compar|migrat|profil|benchmark|"
    r"instrument|curat|gr[eo]w|extend|start|defin|reduc|cut|remov|cap\b|capp|put|"
    r"swap|clear|rebuil|re-?r[au]n|replay|fine-?tun|own|maintain|did|made|mak|took|tak|"
    r"used|use[sd]?\b|read|went|look|kept|keep|drop|chos|choos|pick|test|evaluat|comput|"
    r"recomput|analy[sz]|flag|caught|catch|propos|argu|spen[dt]|ask|hand|label)\w*"
    # a terse answer drops the subject: "Replayed 60 of those claims. Made the field optional."
    r"|^\W*(?:built|wrote|created|set up|added|designed|implemented|traced|found|measured|"
    r"labell?ed|ran|shipped|led|rewrote|replaced|debugged|fixed|changed|introduced|wired|"
    r"collected|pulled|sampled|reverted|rolled back|deployed|trained|tuned|switched|noticed|"
    r"discovered|checked|compared|migrated|profiled|benchmarked|instrumented|curated|defined|"
    r"removed|capped|swapped|cleared|rebuilt|re-?ran|replayed|fine-?tuned|made|tested|"
    r"evaluated|computed|recomputed|analy[sz]ed|flagged|batched|cached|pinned|wrapped|"
    r"bisected|diffed|sliced|backfilled|retrained|relabell?ed|annotated)\b"
    r"(?!\s+(?:from|to|by|down|up)\b)",
    re.I | re.M,
)


@dataclass(frozen=True)
class Figure:
    """A number in an answer, with its unit as written (``%``, ``ms``, ``$`` or a noun)."""

    value: float
    unit: str
    text: str


@dataclass
class Claim:
    """One sentence's measured statement: its figures, what it was measured on, and how."""

    sentence: str
    figures: list[Figure]
    pairs: list[tuple[Figure, Figure]]
    measured_on: str | None
    method: str | None
    problems: list[str] = field(default_factory=list)
    #: the pairs whose "before" an earlier sentence or clause gave (also in ``pairs``)
    across: list[tuple[Figure, Figure]] = field(default_factory=list)

    hypothetical: bool = False
    unsupported: bool = False
    #: the figure is someone else's: a public benchmark's, a leaderboard's, a model card's
    borrowed: bool = False

    @property
    def grounded(self) -> bool:
        """Tied to what it was measured on or how, coherent, and about work that was done."""
        if self.problems or self.hypothetical or self.borrowed:
            return False
        if self.unsupported:  # "zero incidents", "99.9%": only with both a set and a method
            return bool(self.measured_on and self.method)
        return bool(self.measured_on or self.method)


@dataclass
class ClaimSet:
    """Every claim in an answer, and what they add up to."""

    claims: list[Claim]
    problems: list[str]
    figures: int
    noise: bool
    first_person: int
    team: int
    owned_actions: int

    @property
    def grounded(self) -> list[Claim]:
        return [c for c in self.claims if c.grounded]

    @property
    def grounded_pairs(self) -> list[Claim]:
        return [c for c in self.grounded if c.pairs]

    @property
    def incoherent(self) -> bool:
        return bool(self.problems)


def _value(text: str) -> float | None:
    digits = re.sub(r"[^\d.]", "", text.replace(",", ""))
    if not digits or digits == ".":
        return None
    try:
        return float(digits)
    except ValueError:
        return None


def _figures(text: str) -> list[Figure]:
    out = []
    for m in _FIGURE.finditer(text):
        value = _value(m.group("num"))
        if value is None:
            continue
        unit = (m.group("unit") or "").lower()
        if (
            unit not in ("%", "ms", "s", "x", "k", "m", "percent", "pp")
            and not m.group("cur")
            and (name := _NAME_NUMBER.search(text[max(0, m.start() - 30) : m.start()]))
            and not _METRIC_NAME.fullmatch(name.group(0).strip(" -"))
        ):
            continue  # "SOC 2", "GPT-4", "Llama 3": a name, not a figure ("AUC 0.86" is one)
        if m.group("hi"):
            hi = _value(m.group("hi"))
            if hi is not None and hi >= value:
                value = (value + hi) / 2
        if m.group("cur"):
            unit = "$"
        elif unit == "percent":
            unit = "%"
        out.append(Figure(value, unit, m.group(0).strip()))
    return out


def _pair_values(m: re.Match[str]) -> tuple[str, str, str, str] | None:
    for i in "123456":
        a = m.group(f"a{i}")
        if a:
            unit_a = m.group(f"u{i}") or ""
            unit_b = m.group(f"v{i}") or ""
            return a, unit_a, m.group(f"b{i}"), unit_b
    return None


def _as_figure(text: str, unit: str) -> Figure | None:
    lo_hi = re.split(r"\s?(?:-|–|and|to)\s?", text.strip())
    values = [v for v in (_value(x) for x in lo_hi) if v is not None]
    if not values:
        return None
    value = sum(values) / len(values)
    cur = "$" if text.strip().startswith(("$", "€", "£")) else ""
    return Figure(value, cur or unit.lower().replace("percent", "%"), text)


def _seconds(value: float, unit: str) -> float:
    return value / 1000 if unit.lower().startswith(("ms", "milli")) else value


def _metric_near(text: str, start: int) -> tuple[str | None, int]:
    """The metric named closest before ``start`` (+1 higher is better, -1 lower, 0 unknown)."""
    window = text[max(0, start - 70) : start]
    best: tuple[int, str | None, int] = (-1, None, 0)
    for pattern, sign in ((_HIGHER_RE, 1), (_LOWER_RE, -1)):
        for m in pattern.finditer(window):
            if m.start() > best[0]:
                best = (m.start(), m.group(0).lower(), sign)
    return best[1], best[2]


_Pair = tuple[re.Match[str], Figure, Figure]


def _pairs(text: str) -> list[_Pair]:
    """Every before -> after pair in ``text``, with its match."""
    out = []
    for m in _PAIR.finditer(text):
        values = _pair_values(m)
        if values is None:
            continue
        a = _as_figure(values[0], values[1] or values[3])
        b = _as_figure(values[2], values[3] or values[1])
        if a is not None and b is not None:
            out.append((m, a, b))
    return out


#: "accuracy fell to 91%, which was 27 of the 180 cases failing"
#: "out of 2,000 traced runs, 600 were loops, so a 15% loop rate".
_OUT_OF_THEN = re.compile(
    rf"\bout of (?:the\s+|our\s+|all\s+)?(?P<n>{_NUM})\s+[a-z -]{{0,30}}?,\s*(?P<x>{_NUM})\s+"
    rf"(?:were|was|had|failed|passed|succeeded|looped|broke|went)\b[^.;%]{{0,40}}?(?P<p>{_NUM})\s?%",
    re.I,
)
#: "Out of 2 million training rows, about 2.4 million turned out to be duplicates": the part
#: is given first thing after the whole it is counted out of.
_OUT_OF_FIRST = re.compile(
    rf"(?:\bout of|^\W*of) (?:the\s+|our\s+|all\s+|those\s+|these\s+)?(?P<n>{_NUM})\s+"
    rf"(?:[a-z-]+\s+){{0,2}}?(?:{_SIZE_NOUNS}),\s*(?:about\s+|around\s+|roughly\s+|~|only\s+)?"
    rf"(?P<x>{_NUM})\b(?!\s*(?:%|percent|x\b|times\b|ms\b|s\b|seconds?\b|per\b|/))",
    re.I,
)
_RATE_AS_COUNT = re.compile(
    rf"(?P<p>{_NUM})\s?%[^.;%]{{0,20}}?(?:which (?:was|is|means)|i\.e\.|that is|so|or|=|—|\()"
    rf"\s*(?:about\s+|around\s+|~)?(?P<x>{_NUM})\s?(?:/|out of|of)\s?(?:the\s+|our\s+)?"
    rf"(?P<n>{_NUM})",
    re.I,
)

#: "from 15% down to 2%, that's 180 cases down to 40": two rates restated as two counts must be
#: shares of one whole (180 is 15% of 1,200, but 40 is 2% of 2,000).
_RATES_AS_COUNTS = re.compile(
    rf"\bfrom\s+(?P<p1>{_NUM})\s?%\s+(?:down\s+|up\s+)?to\s+(?P<p2>{_NUM})\s?%[^.;%\d]{{0,20}}?"
    r"(?:that'?s|that is|i\.e\.|which (?:is|was|means)|\bor\b|=|—|\()\s*"
    rf"(?:about\s+|around\s+|roughly\s+|~)?(?P<a>{_NUM})\s+(?:[a-z-]+\s+){{0,2}}?"
    rf"(?:down\s+|up\s+)?to\s+(?:about\s+|around\s+|roughly\s+|~)?(?P<b>{_NUM})(?!\s?%|\.?\d)",
    re.I,
)

#: The second share of a pair written after the first: "(88% to 71%)", "(88% -> 71%)".
_THEN_SHARE = re.compile(r"\s*(?:to|->|→|-|–)\s*~?(\d+(?:\.\d+)?)\s?%")

_ABOUT = r"(?:about\s+|around\s+|roughly\s+|~|some\s+|nearly\s+|almost\s+|approximately\s+)?"
_ABOUT_WORD = re.compile(r"\b(?:about|around|roughly|some|nearly|almost|approximately)\b|~", re.I)
#: A share of a whole given in the same sentence and the count it is said to be: "0.1% of the
#: 5,000 conversations we re-checked, so roughly 50", "we audited 2,000 conversations and found
#: PII in 18% of them, about 450".
_SHARE_OF_STATED = re.compile(
    rf"(?P<p>{_NUM})\s?%\s+of\s+(?:the\s+|our\s+|all\s+)?(?P<n>{_NUM})\s+(?:[a-z-]+\s+){{0,1}}?"
    rf"(?:{_SIZE_NOUNS})\b[^.;%\d]{{0,40}}?(?:which (?:was|is|came to)|i\.e\.|that'?s|that is|"
    rf"\bso\b|\bor\b|=|—|\(|,)\s*{_ABOUT}(?P<x>{_NUM})(?!\s?%|\.?\d|\s?(?:k|m|x)\b)|"
    rf"(?P<n2>{_NUM})\s+(?:[a-z-]+\s+){{0,1}}?(?:{_SIZE_NOUNS})\b[^.;%]{{0,80}}?"
    rf"(?<![\d.,])(?P<p2>{_NUM})\s?%\s+of\s+them\b[,\s]*(?:or\s+|i\.e\.\s*|that'?s\s+|so\s+)?"
    rf"{_ABOUT}(?P<x2>{_NUM})(?!\s?%|\.?\d|\s?(?:k|m|x)\b)",
    re.I,
)

#: "sensitivity 0.84 (95% CI 0.86 to 0.91)": an interval must contain its own estimate.
_INTERVAL = re.compile(
    rf"(?P<x>{_NUM})\s?%?\s*[(\[,]\s*(?:9[059]\s?%\s*)?(?:CI|confidence interval)\s*[:=]?\s*"
    rf"[(\[]?\s*(?P<a>{_NUM})\s?%?\s*(?:to|-|–|,)\s*(?P<b>{_NUM})",
    re.I,
)
_RATE_OF_A_SET = re.compile(  # "112% of backfilled rows matched", "130% of users said": a share
    rf"(?<![<>≥≤]\s)(?<![<>≥≤])(?<!\bover\s)(?<!\babove\s)(?<!\bthan\s)(?<!\bunder\s)"
    rf"(?<!\bbelow\s)(?P<v>{_NUM})\s?%\s+of\s+(?:the |our |all |those |these |its )?"
    # of a set of things, not a ratio to a plan ("120% of target", "150% of planned stops")
    r"(?!(?:targets?|budgets?|quotas?|plans?|planned|expected|budgeted|forecasts?|baselines?|"
    r"estimates?|expectations?|goals?|capacity|costs?|revenues?|spend|salary|salaries|"
    r"previous|last|peak|normal|pre-[a-z]+)\b)(?:[a-z-]+ )?[a-z]+s\s+"
    # what the members of the set did: "130% of users said", "112% of rows matched"
    r"(?:were|are|matched|passed|failed|had|got|came|returned|agreed|said|reported|rated|"
    r"trusted|found|saw|clicked|preferred|liked|used|chose|completed|converted|churned|"
    r"answered|resolved)\b",
    re.I,
)


def _sentence_problems(
    text: str, pairs: list[_Pair], possible: Container[re.Pattern[str]]
) -> list[str]:
    """What cannot be true in one sentence (already number-normalised); ``possible``: the
    patterns that may match somewhere in the answer (the rest are not tried)."""

    def matches(pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        return pattern.finditer(text) if pattern in possible else iter(())

    problems: list[str] = []
    for m in matches(_BOUNDED_RATIO):
        for key in ("v", "w"):
            raw = m.group(key)
            if raw is None:
                continue
            value = float(raw)
            if 1.0 < value < 10 and "." in raw:
                name = m.group(0).split()[0]
                problems.append(f"{name} of {raw} is impossible: it cannot exceed 1")
    for m in matches(_RATE_PERCENT):
        raw = m.group("v") or m.group("w")
        if raw is not None and float(raw) > 100:
            problems.append(f"{raw}% cannot be a rate: a share is at most 100%")
    for m in matches(_INTERVAL):
        estimate, low, high = (_value(m.group(k)) for k in "xab")
        if estimate is None or low is None or high is None or low >= high:
            continue
        if not low <= estimate <= high:
            problems.append(
                f"{m.group('x')} lies outside its own interval {m.group('a')} to {m.group('b')}"
            )
    for m in matches(_RATE_OF_A_SET):
        if (_value(m.group("v")) or 0) > 100:
            problems.append(f"{m.group(0)} cannot be: a share of a set is at most 100%")
    for m in matches(_X_OF_N):
        x, n = _value(m.group("x")), _value(m.group("n"))
        before = text[max(0, m.start() - 12) : m.start()].lower()
        if x is None or n is None or n == 0 or "top" in before or "@" in before:
            continue
        if x + n == 100 or "/" in m.group(0) and x > n and n <= 10:
            continue  # "an 80/20 split", "24/7"
        if "/" in m.group(0) and 1900 <= x <= 2100:
            continue  # "ruling 2019/117": a reference, not a count
        if x > n and n >= 2 and x == int(x) and n == int(n) and x < 1e6:
            problems.append(f"{m.group(0)} is more than the whole it is part of")
        # "45 of 250 (18%)": the stated percentage must match the counts
        pct = re.match(
            r"\s*(?:[a-z-]+\s*){0,2}\(\s*~?(\d+(?:\.\d+)?)\s?%|"
            r"\s*,?\s*(?:=|i\.e\.|which is|so|or)\s*~?(\d+(?:\.\d+)?)\s?%|"
            # "312 of 420 essays were within one band of the teacher, which is 68%"
            r"[^.;\d%()]{0,60}?,\s*(?:which is|which was|i\.e\.|that'?s|=)\s*~?"
            r"(\d+(?:\.\d+)?)\s?%",
            text[m.end() : m.end() + 90],
            re.I,
        )
        if pct and x <= n:
            raw = pct.group(1) or pct.group(2) or pct.group(3)
            actual = 100 * x / n
            # "from 46 of 52 to 37 of 52 (88% to 71%)": the two counts' shares, in order, so
            # the second count may be the second share
            then = _THEN_SHARE.match(text, m.end() + pct.end())
            stated = [float(raw), *([float(then.group(1))] if then else [])]
            if min(abs(v - actual) for v in stated) > max(2.0, 0.05 * actual):
                problems.append(f"{m.group(0)} is {actual:.0f}%, not the {raw}% stated beside it")
    if "of them" in text or "of which" in text or "of those" in text:
        problems.extend(_part_of_them_problems(text))
    if "positive" in text or "alarm" in text:
        problems.extend(_true_and_false_problems(text))
    for m, a, b in pairs:
        if a.value != b.value:
            problems.extend(_direction_problems(text, m, a, b))
    # "accuracy fell to 91%, which was 27 of the 180 cases failing": the count must match the rate
    for m in matches(_RATE_AS_COUNT):  # the rate may be the failing share or the rest
        share = _mismatched_share(m, complement=True)
        if share is not None:
            problems.append(
                f"{m.group('x')} of {m.group('n')} is {share:.0f}%, which does not match the "
                f"{m.group('p')}% it is given for"
            )
    for m in matches(_SHARE_OF_STATED):
        problem = _share_count_problem(m)
        if problem:
            problems.append(problem)
    for m in matches(_RATES_AS_COUNTS):
        if not _one_whole(m):
            problems.append(
                f"{m.group('a')} and {m.group('b')} cannot both be shares of one set at "
                f"{m.group('p1')}% and {m.group('p2')}%"
            )
    for m in matches(_OVER_WHOLE_FALL):
        if (_value(m.group("p") or m.group("p2")) or 0) > 100:
            problems.append(f"{m.group(0).strip()}: nothing falls by more than 100%")
    for m in matches(_ROUTED_SHARES):
        both = (_value(m.group("a")) or 0) + (_value(m.group("b")) or 0)
        if 101.5 < both <= 200:
            problems.append(
                f"the traffic is split {m.group('a')}% and {m.group('b')}%, {both:g}% in all"
            )
    if _PERCENTILE in possible:
        problems.extend(_percentile_problems(text))
    problems.extend(_share_problems(text))
    if _PER_DAY in possible:
        problems.extend(_rate_total_problems(text))
    if _IN_LINE in possible:
        problems.extend(_in_line_problems(text))
    for m in matches(_OUT_OF_FIRST):
        x, n = _value(m.group("x")), _value(m.group("n"))
        if x is not None and n is not None and x > n >= 2 and not 1900 <= x <= 2100:
            problems.append(f"{x:,.0f} out of {n:,.0f} is more than the whole")
    for m in matches(_OUT_OF_THEN):
        share = _mismatched_share(m, complement=False)
        if share is not None:
            problems.append(
                f"{m.group('x')} of {m.group('n')} is {share:.0f}%, not the {m.group('p')}%"
            )
    if (
        _ON_TRAINING_DATA in possible
        and _ON_TRAINING_DATA.search(text)
        # "0.91 on the held-out month vs 0.97 on the training data": a gap, read as overfitting
        and not _ON_HELD_OUT.search(text)
    ):
        problems.append(
            "the result was measured on the data the model was trained on, so it says nothing "
            "about new data"
        )
    return problems


def _half_unit(figure: str) -> float:
    """Half a unit of the last digit written: how far "18" or "0.1" may have been rounded."""
    decimals = len(figure.split(".")[1]) if "." in figure else 0
    return 0.5 * 0.1**decimals


def _share_count_problem(m: re.Match[str]) -> str | None:
    """The count a share of a stated whole is said to be, when no rounding of the share (to its
    last digit, with 10% to spare for "about") can make it."""
    p_raw, n_raw, x_raw = (m.group(k) or m.group(f"{k}2") for k in "pnx")
    p, n, x = _value(p_raw), _value(n_raw), _value(x_raw)
    if p is None or n is None or x is None or not n or p > 100 or x > n:
        return None
    half = _half_unit(p_raw)
    low, high = n * max(p - half, 0) / 100 / 1.1, n * (p + half) / 100 * 1.1
    if low - 0.5 <= x <= high + 0.5:
        return None
    return f"{p_raw}% of {n_raw} is about {n * p / 100:,.0f}, not {x_raw}"


#: "...to 91%, which means 45 more failing cases": a change of rate restated as a count.
_CHANGE_AS_COUNT = re.compile(
    rf"(?:\bfrom\s+(?P<p1>{_NUM})\s?%\s+(?:down\s+|up\s+)?to|"
    rf"\b(?:fell|dropped|rose|went (?:up|down)|increased|decreased|climbed|jumped|improved)"
    rf"\s+to)\s+(?P<p2>{_NUM})\s?%[^.;%\d]{{0,30}}?"
    rf"(?:\bso\b|which means|which (?:is|was)|that'?s|i\.e\.|\bor\b|=|—|\()\s*{_ABOUT}"
    rf"(?P<n>{_NUM})\s+(?:more|fewer|less|extra|additional|further)\b",
    re.I,
)
#: "escalations dropped from 120 to 95 out of 350, so the escalation rate improved by 25 points"
_COUNTS_AS_POINTS = re.compile(
    rf"\bfrom\s+(?P<a>{_NUM})\s+(?:down\s+|up\s+)?to\s+(?P<b>{_NUM})\s+(?:out\s+)?of\s+"
    rf"(?:the\s+)?(?P<n>{_NUM})\b[^.;%]{{0,60}}?\bby\s+(?P<k>{_NUM})\s?"
    r"(?:percentage points?|points?|pts?|pp)\b",
    re.I,
)
#: A set's size as it is usually written: "on our 1,200-case golden set", "500 test cases".
_SIZED_SET = re.compile(
    rf"(?<![\d.,])(?P<n>{_NUM})[- ](?!(?:more|fewer|less|extra|additional|further)\b)"
    rf"(?:[a-z-]+[- ]){{0,2}}?(?:{_SIZE_NOUNS})\b",
    re.I,
)
#: A rate stated with its metric, for a later "...fell to 91%" that leaves the before out.
_RATE_METRICS = (
    r"pass rate|accuracy|precision|recall|error rate|success rate|hit rate|resolution rate|"
    r"escalation rate|hallucination rate"
)
_RATE_WITH_METRIC = re.compile(
    rf"\b(?P<metric>{_RATE_METRICS})\b[^.;%\d]{{0,25}}?(?P<p>{_NUM})\s?%|"
    rf"(?P<p2>{_NUM})\s?%\s+(?P<metric2>{_RATE_METRICS})\b",
    re.I,
)


#: "macro-F1 0.93, precision 0.97, recall 0.71": F1 with the precision and recall it comes from.
_F1_WITH_PR = re.compile(
    rf"\bf-?1(?:[- ]score)?\s*(?:of\s+|=\s*|:\s*|was\s+|is\s+)?(?P<f>{_NUM})\s?(?P<fu>%)?"
    rf"[^.;]{{0,40}}?\bprecision\s*(?:of\s+|=\s*|:\s*|was\s+|is\s+)?(?P<p>{_NUM})\s?%?"
    rf"[^.;]{{0,30}}?\brecall\s*(?:of\s+|=\s*|:\s*|was\s+|is\s+)?(?P<r>{_NUM})",
    re.I,
)


def _f1_problems(text: str) -> list[str]:
    """An F1 above the mean of the precision and recall stated with it: each class's F1, the
    harmonic mean of its precision and recall, is at most their arithmetic mean, so a macro
    F1 is at most the mean of the macro precision and recall, and a micro F1 below it too."""
    problems = []
    for m in _F1_WITH_PR.finditer(text):
        f, p, r = (_value(m.group(g)) for g in "fpr")
        if f is None or p is None or r is None:
            continue
        slack = _half_unit(m.group("f")) + _half_unit(m.group("p"))
        if f > (p + r) / 2 + slack:
            problems.append(
                f"an F1 of {m.group('f')} cannot come from a precision of {m.group('p')} and a "
                f"recall of {m.group('r')} (at most {(p + r) / 2:g})"
            )
    return problems


def _difference_problems(text: str, size: float | None, rates: dict[str, str]) -> list[str]:
    """A change of rate restated as a count of a set ("from 8% to 2% on 1,200 cases, so 60
    fewer"), or a change of counts restated as points ("from 120 to 95 of 350, ... by 25
    points"), that no rounding of the figures as written can make. ``size``: the set last
    sized in the answer; ``rates``: the last rate stated for each metric, for a change that
    names only where it ended."""
    problems = []
    sized = _SIZED_SET.search(text)
    whole = _value(sized.group("n")) if sized else size
    for m in _CHANGE_AS_COUNT.finditer(text):
        p1 = m.group("p1") or _before_rate(text, m.start(), rates)
        p2, n = m.group("p2"), _value(m.group("n"))
        if not whole or p1 is None or n is None:
            continue
        change = abs(float(p1.replace(",", "")) - float(p2.replace(",", "")))
        slack = _half_unit(p1) + _half_unit(p2)
        # rounding of the rates as written, and a tenth more for a count given as "about"
        spare = 1.1 if _ABOUT_WORD.search(m.group(0)) else 1.0
        low = whole * max(change - slack, 0) / 100 / spare
        high = whole * (change + slack) / 100 * spare
        if not low - 0.5 <= n <= high + 0.5:
            problems.append(
                f"{p1}% to {p2}% of {whole:,.0f} is about {whole * change / 100:,.0f} "
                f"{'more' if 'more' in m.group(0).lower() else 'fewer'}, not {m.group('n')}"
            )
    for m in _COUNTS_AS_POINTS.finditer(text):
        a, b, n, k = (_value(m.group(g)) for g in "abnk")
        if a is None or b is None or not n or k is None or max(a, b) > n:
            continue
        points = 100 * abs(a - b) / n
        if abs(points - k) > max(1.0, 0.1 * points) + _half_unit(m.group("k")):
            problems.append(
                f"{m.group('a')} to {m.group('b')} of {m.group('n')} is {points:.1f} points, "
                f"not {m.group('k')}"
            )
    for m in _RATE_AS_SET_COUNT.finditer(text):  # "45%, i.e. 110 questions" of a 200-question set
        p, x_said = m.group("p") or m.group("p_"), m.group("x") or m.group("x_")
        rate, x = _value(p), _value(x_said)
        sizes = [z for z in _SIZED_SET.finditer(text) if not m.start() <= z.start() < m.end()]
        whole = _value(sizes[0].group("n")) if sizes else size  # not the count restated itself
        if not whole or rate is None or x is None or x > whole:
            continue
        share = 100 * x / whole
        said = text[m.end() : m.end() + 25].lower()  # "110 questions correct" or "... wrong"
        good = re.match(
            r"\s*(?:were\s+|was\s+|got\s+)?(?:correct|right|passed|solved|resolved)", said
        )
        bad = re.match(r"\s*(?:were\s+|was\s+|got\s+)?(?:wrong|incorrect|failed|missed)", said)
        if m.group("p_"):  # "12% of them was 60": the share and the count say the same thing
            readings = [share]
        else:
            readings = [share] if good else [100 - share] if bad else [share, 100 - share]
        before = text[max(0, m.start() - 9) : m.start()].lower()  # "About 30% of them"
        hedged = m.group("hedge") or m.group("hedge_") or before.endswith(_HEDGES)
        within = 0.1 if hedged else 0.05  # "about 120" is a rough count
        if min(abs(r - rate) for r in readings) > max(2.0, within * rate) + 0.5:
            problems.append(
                f"{x_said} of the {whole:,.0f} is {share:.0f}%, not the {p}% it restates"
            )
    return problems


#: A rate restated as a count of the set the answer sized: "45%, i.e. 110 questions correct".
_RATE_AS_SET_COUNT = re.compile(
    rf"(?<![\d.,])(?P<p>{_NUM})\s?%,?\s*(?:i\.e\.|which (?:is|was|means)|that'?s|that is|=|"
    # "38% of questions failed - about 120 questions"
    rf"of\s+(?:the\s+)?(?:{_SIZE_NOUNS})\s+[a-z]+\s*(?:-|–|—|\())\s*"
    rf"(?P<hedge>about\s+|around\s+|roughly\s+|~)?(?P<x>{_NUM})\s+(?:{_SIZE_NOUNS})\b"
    r"(?!\s*(?:of|out of|/|in)\b)"
    # "About 30% of them mismatched, which was 90,000 requests", "12% of them was 60 wrong
    # mutes": a share of the set just sized, restated as a count
    rf"|(?<![\d.,])(?P<p_>{_NUM})\s?%\s+of\s+(?:them|those|these)\s+(?:[a-z]+\s*)?"
    rf"(?:,?\s*(?:which|that)\s+(?:is|was|were|means|came to)|was|were|is|are|=)\s+"
    rf"(?P<hedge_>about\s+|around\s+|roughly\s+|~)?(?P<x_>{_NUM})\b(?!\s*(?:%|of|out of|/|in)\b)",
    re.I,
)


_HEDGES = ("about ", "around ", "roughly ", "~", "nearly ", "almost ")


def _before_rate(text: str, start: int, rates: dict[str, str]) -> str | None:
    """The rate a "...fell to N%" started from: the last one stated for the metric it names."""
    metric, _ = _metric_near(text, start + 1)
    for name, value in rates.items():
        if metric and metric in name:
            return value
    return None


def _rates(text: str) -> dict[str, str]:
    """The rates ``text`` states with their metric ("a 96% pass rate" -> pass rate: 96)."""
    return {
        (m.group("metric") or m.group("metric2")).lower(): m.group("p") or m.group("p2")
        for m in _RATE_WITH_METRIC.finditer(text)
    }


#: The metrics whose value a later sentence may give again after a change: "AUC was 0.97 ...
#: fixed the join, AUC 0.83 after", "came out at like 0.98 AUC ... AUC on the test months went
#: to 0.84". Rates and errors only: a count said twice is not a before and an after.
_TRACKED = (
    r"auc|auroc|roc[- ]auc|auprc|pr[- ]auc|gini|accuracy|precision|recall|f1|f-1|"
    r"ndcg(?:@\d+)?|mrr|map@\d+|hit rate|pass rate|success rate|error rate|ctr|cvr|mape|wape|"
    r"rmse|mae|brier|log ?loss|psi|p50|p90|p95|p99|latency|ttft|wer|cer"
)


def _said_value(k: str) -> str:
    """A value as said, in groups ``v<k>`` and ``u<k>`` (its unit)."""
    return (
        rf"(?:like\s+|about\s+|around\s+|roughly\s+|approx(?:imately|\.)?\s+|~\s?)?"
        rf"(?P<v{k}>{_NUM})\s?(?P<u{k}>%|ms\b|s\b|seconds?\b)?(?![\w.,]?\d)"
    )


_METRIC_VALUE = re.compile(
    rf"\b(?P<m1>{_TRACKED})\b(?P<mid>(?:\s+(?!and\b|but\b|vs\b)[a-z][\w'-]*){{0,6}}?)"
    rf"\s*(?:=|:)?\s*{_said_value('1')}"
    rf"|{_said_value('2')}\s+(?P<m2>{_TRACKED})\b",
    re.I,
)
#: The words that make a metric's second value the result of a change.
_CHANGED = re.compile(
    r"\b(?:went|dropped|fell|came|got|rose|climbed|recovered|moved|jumped|sank|ended up|"
    r"down|up|back)\s+(?:down\s+|up\s+|back\s+)?to\b|\b(?:is|was|are)\s+now\b|\bnow\b|"
    r"\bbecame\b|\bafter\b(?!\s*[:=-])",  # not a slide's "Before: 68%. After: 97.5%"
    re.I,
)
_SAME_METRIC = {
    "auroc": "auc",
    "roc auc": "auc",
    "roc-auc": "auc",
    "f-1": "f1",
    "logloss": "log loss",
}
#: Metrics on a 0-1 scale: a bare number above 1 after one is a count ("PSI for the 15 features").
_UNIT_SCALE = frozenset(
    "auc|auprc|pr-auc|pr auc|gini|accuracy|precision|recall|f1|mrr|hit rate|pass rate|"
    "success rate|error rate|ctr|cvr|psi|brier|wer|cer".split("|")
)
#: A value that is a bar to meet or an alarm level, not a state before a change.
_BAR = re.compile(
    r"(?:thresholds?|alerts?|alarms?|fires?|above|over|under|below|target|budget|sla|goal|needed|"
    r"must|limit|[<>≥≤])\W*(?:\w+\W+){0,3}$",
    re.I,
)


@dataclass(frozen=True)
class _MetricSaid:
    sentence: int
    metric: str
    figure: Figure
    changed: bool
    inside_pair: bool


def _metric_values(index: int, text: str) -> list[_MetricSaid]:
    """The values ``text`` (sentence ``index``) gives tracked metrics, a bar to meet left out."""
    out = []
    pair_spans: list[tuple[int, int]] | None = None
    for m in _METRIC_VALUE.finditer(text):
        k = "1" if m.group("v1") else "2"
        value = _value(m.group(f"v{k}"))
        if value is None:
            continue
        metric = (m.group(f"m{k}") or "").lower()
        metric = _SAME_METRIC.get(metric, metric)
        unit = (m.group(f"u{k}") or "").lower()
        unit = "s" if unit.startswith("s") else unit  # "s", "sec", "seconds" alike
        if metric in _UNIT_SCALE and not unit and value > 1:
            continue
        before = text[max(0, m.start() - 30) : m.start()]
        after = text[m.end() : m.end() + 12]
        words = (m.group("mid") or "") if k == "1" else before
        changed = bool(_CHANGED.search(words)) or bool(re.match(r"\s*after\b", after, re.I))
        if not changed and _BAR.search(text[max(0, m.start() - 40) : m.start(f"v{k}")]):
            continue  # "thresholds were PSI 0.25": what it is measured against
        if pair_spans is None:  # only for sentences that give a metric a value
            pair_spans = [p.span() for p in _PAIR.finditer(text)]
        inside = any(a <= m.start(f"v{k}") < b for a, b in pair_spans)
        said = text[m.start(f"v{k}") : max(m.end(f"v{k}"), m.end(f"u{k}"))]  # "210 ms"
        figure = Figure(value, unit, said)
        out.append(_MetricSaid(index, metric, figure, changed, inside))
    return out


def _pairs_across(texts: list[str]) -> dict[int, list[tuple[Figure, Figure]]]:
    """Before -> after pairs whose "before" an earlier clause or sentence gave: a metric's value,
    then the same metric's new value with a word of change, up to five clauses on ("AUC was
    0.97 ... fixed the join, AUC 0.83 after"). By the index of the sentence giving the "after"."""
    if not any(_CHANGED.search(text) for text in texts):
        return {}  # no word of change: no "after" to pair
    said = [s for i, text in enumerate(texts) for s in _metric_values(i, text)]
    found: dict[int, list[tuple[Figure, Figure]]] = {}
    for n, later in enumerate(said):
        if not later.changed or later.inside_pair:
            continue
        earlier = next(
            (
                s
                for s in reversed(said[:n])
                if s.metric == later.metric and later.sentence - s.sentence <= 5
            ),
            None,
        )
        if (
            earlier is not None
            and not earlier.inside_pair
            and earlier.figure.unit == later.figure.unit
            and earlier.figure.value != later.figure.value
        ):
            found.setdefault(later.sentence, []).append((earlier.figure, later.figure))
    return found


def _one_whole(m: re.Match[str]) -> bool:
    """Whether counts ``a`` and ``b`` can be ``p1``% and ``p2``% of one whole, each figure as
    rounded as it is written (a percentage to its last digit, a count to the unit) with 5% to
    spare; a zero share says nothing about the whole."""

    def whole(count: str, share: str) -> tuple[float, float] | None:
        c, p = _value(count), _value(share)
        if c is None or not p:
            return None
        half = _half_unit(share)
        return 100 * (c - 0.5) / (p + half) / 1.05, 100 * (c + 0.5) / max(p - half, 1e-9) * 1.05

    first, second = whole(m.group("a"), m.group("p1")), whole(m.group("b"), m.group("p2"))
    if first is None or second is None:
        return True
    return first[0] <= second[1] and second[0] <= first[1]


def _mismatched_share(m: re.Match[str], *, complement: bool) -> float | None:
    """The share x of n makes when it disagrees with the percentage p stated for it (groups
    ``p``, ``x``, ``n``); with ``complement``, p may also be the share of the rest."""
    p, x, n = _value(m.group("p")), _value(m.group("x")), _value(m.group("n"))
    if p is None or x is None or not n or x > n:
        return None
    share = 100 * x / n
    # "a bit under two thirds (77 of 120)": a hedged share is a rough one
    hedged = _HEDGE_BEFORE.search(m.string, max(0, m.start() - 30), m.start("p"))
    slack = 6.0 if hedged else 0.0
    if complement:
        off = min(abs(share - p), abs(100 - share - p))
        return share if off > max(1.5 + slack, 0.04 * p) else None
    return share if abs(share - p) > max(2.0 + slack, 0.05 * share) else None


_HEDGE_BEFORE = re.compile(
    r"\b(?:(?:a (?:bit|little|touch)|just|slightly|somewhat)\s+(?:under|over|below|above|"
    r"more than|less than)|roughly|about|around|nearly|almost|approximately|close to|"
    r"under|over|more than|less than)\s+$",
    re.I,
)


def _whole(noun: str) -> re.Pattern[str]:
    """A whole stated outright: '3000000 requests in total', 'a total of 1,200 tickets'."""
    return re.compile(
        rf"(?P<n>{_NUM})\s?(?P<noun>{noun})\s+in\s+total\b|"
        rf"\b(?:a\s+)?total\s+of\s+(?:about\s+|around\s+|roughly\s+|~)?(?P<m>{_NUM})\s?"
        rf"(?P<noun2>{noun})\b",
        re.I,
    )


_WHOLE = _whole(_SIZE_NOUNS)
_SHARE_OF = re.compile(
    rf"(?P<p>{_NUM})\s?%\s+of\s+(?:the|those|these|all|our)\s+(?P<noun>{_SIZE_NOUNS})\b"
    rf"[^.;%]{{0,50}}?(?:which (?:was|is|came to)|i\.e\.|that'?s|that is|\bor\b|=|—|\()\s*"
    rf"(?:about\s+|around\s+|roughly\s+|~|some\s+|nearly\s+|almost\s+)?(?P<x>{_NUM})",
    re.I,
)


def _noun(word: str) -> str:
    word = word.lower()
    return word[:-1] if word.endswith("s") else word


def _totals(text: str) -> dict[str, float]:
    """Wholes stated outright: '3000000 requests in total', 'a total of 1,200 tickets'."""
    out = {}
    for m in _WHOLE.finditer(text):
        value = _value(m.group("n") or m.group("m"))
        if value:
            out[_noun(m.group("noun") or m.group("noun2"))] = value
    return out


def _share_of_total_problems(text: str, totals: dict[str, float]) -> list[str]:
    """'12% of the requests, which was around 500,000' against a whole stated earlier."""
    problems = []
    for m in _SHARE_OF.finditer(text):
        whole = totals.get(_noun(m.group("noun")))
        p, x = _value(m.group("p")), _value(m.group("x"))
        if not whole or p is None or not x or x >= whole:
            continue
        expected = whole * p / 100
        if abs(x - expected) > 0.3 * expected:
            problems.append(
                f"{m.group('p')}% of {whole:,.0f} {m.group('noun')} is about {expected:,.0f}, "
                f"not {m.group('x')}"
            )
    return problems


_PER_DAY = re.compile(
    rf"(?P<r>{_NUM})\s?(?P<k>k\b|m\b)?\s?(?:[a-z-]+\s){{0,2}}?(?:a|per|each)\s+day\b", re.I
)
_FOR_DAYS = re.compile(
    r"\bfor\s+(?:a|one|(?P<n>\d+|two|three|four|five|six))\s+(?P<u>days?|weeks?|months?)\b|"
    r"\bfor\s+a\s+fortnight\b",
    re.I,
)
_TOTAL = re.compile(
    rf"(?P<t>{_NUM})\s?(?P<tk>k\b|m\b)?\s?(?:[a-z-]+\s){{0,2}}?in\s+total\b|"
    rf"\b(?:a\s+)?total\s+of\s+(?:about\s+|around\s+|roughly\s+|~)?(?P<u>{_NUM})",
    re.I,
)


_SMALL = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "1": 1}


def _rate_total_problems(text: str) -> list[str]:
    """'200,000 a day for a week, 3 million in total': a daily rate times the days is the total."""
    rate, days, total = _PER_DAY.search(text), _FOR_DAYS.search(text), _TOTAL.search(text)
    if not (rate and days and total):
        return []
    per_day = _value(rate.group("r"))
    if per_day and rate.group("k"):
        per_day *= 1e3 if rate.group("k").lower() == "k" else 1e6
    whole = _value(total.group("t") or total.group("u"))
    if whole and total.group("tk"):
        whole *= 1e3 if total.group("tk").lower() == "k" else 1e6
    if days.group("u") is None:
        span = 14.0
    else:
        unit = days.group("u").lower().rstrip("s")
        count = _SMALL.get((days.group("n") or "1").lower()) or _value(days.group("n"))
        span = float(count or 1) * {"day": 1, "week": 7, "month": 30}[unit]
    if not per_day or not whole:
        return []
    expected = per_day * span
    if not 1 / 1.5 <= whole / expected <= 1.5:
        return [
            f"{rate.group(0).strip()} for {span:g} days is about {expected:,.0f}, not the "
            f"{total.group(0).strip()} stated"
        ]
    return []


_IN_LINE = re.compile(
    rf"(?P<a>{_NUM})\s?%[^.;%]{{0,40}}?\b(?:exactly |roughly |right |very much |just )?"
    rf"(?:in line with|consistent with|matching|matched|the same as|as predicted by)\s+"
    rf"(?:the|our|what)\s+(?:[a-z-]+\s+){{0,2}}?(?P<b>{_NUM})\s?%",
    re.I,
)


def _in_line_problems(text: str) -> list[str]:
    """'CTR went up 8%, exactly in line with the 2% offline predicted': they are not in line."""
    problems = []
    for m in _IN_LINE.finditer(text):
        a, b = _value(m.group("a")), _value(m.group("b"))
        if a and b and max(a, b) / min(a, b) > 1.5 and abs(a - b) > 1:
            problems.append(f"{m.group('a')}% is not in line with {m.group('b')}%")
    return problems


#: "evaluated it on those same 220,000 returns it was trained on", "accuracy on the training set".
_ON_TRAINING_DATA = re.compile(
    r"(?<![\w-])(?:evaluat\w*|test\w*|scor\w*|measur\w*|validat\w*|got|reached|"
    r"hit|achiev\w*|obtain\w*|showed|gave)\b(?:[^.;]|\.(?=\d)){0,60}?\b(?:on|using)\s+(?:the\s+|its\s+|our\s+|those\s+|these\s+)?"
    r"(?:(?:very\s+)?same\s+(?![^.;]{0,40}?(?:held[- ]out|holdout|test|validation|unseen))"
    r"[^.;]{0,40}?(?:after training|(?:it|we|the model)\s+(?:was\s+)?"
    r"trained (?:[\w.-]+\s+)?on|used (?:for|in|to) train\w*)|"
    r"(?:same\s+)?(?:[\d,.]+k?\s+)?training (?:set|data|split|rows|"
    r"examples|records|samples)\b|"
    r"data (?:it|we|the model) (?:was\s+)?trained on)|"
    # "measured on our 180,000 images, the same set we trained v2 on" (but not "not the same...")
    r"(?<!not )(?<!never )(?<!than )(?<!of )\bthe (?:very )?same (?:[a-z]+ ){0,2}(?:that )?"
    r"(?:we|I|it|the model) (?:was )?trained (?:[\w.-]+ ){0,2}on\b|"
    # "evaluated on the full 50,000-product catalogue the model was fine-tuned on."
    r"(?<![\w-])(?:evaluat\w*|test\w*|scor\w*|measur\w*|validat\w*)\b[^.;]{0,80}?"
    r"(?<!not )(?<!never )\b(?:the model|it|we|I)\s+(?:was\s+|were\s+|had been\s+)?"
    r"(?:fine-?tuned|trained)\s+on\s*(?=[.;,)]|$)",
    re.I,
)


#: A figure given on held-out data ("0.91 on the held-out month"), not one denied ("not on
#: held-out data"): beside a training-set figure it is a gap, read as overfitting.
_ON_HELD_OUT = re.compile(
    r"(?<!\bnot )(?<!\bnever )\b(?:on|for|in)\s+(?:the\s+|a\s+|our\s+)?(?:held[- ]out|holdout|"
    r"validation|test set|out[- ]of[- ]time)\b",
    re.I,
)
#: "12,500 of them", "of which 410", "300 of those": a part of the set counted just before it
_PART_OF_THEM = re.compile(
    rf"(?<![\w.,])(?P<x>{_NUM})\s+of\s+(?:them|those|these)\b|\bof\s+which\s+(?P<y>{_NUM})"
    rf"(?![\d.,]|\s?%|\s?percent)",
    re.I,
)
#: "10,000 transactions", "365 retrains", "200 hand-labelled cases": a counted set of things
_COUNTED = re.compile(
    rf"(?<![\w.,$€£])(?P<n>{_NUM})\s?(?:[km]\s)?(?:(?!of\s)[a-z-]+\s){{0,2}}?(?P<noun>[a-z]{{3,}}s)\b",
    re.I,
)


def _set_size(count: re.Match[str]) -> float:
    """A counted set's size with its multiplier: "12k tickets" is 12,000, "2M events" 2,000,000."""
    value = _value(count.group("n")) or 0.0
    after = count.string[count.end("n") : count.end("n") + 2].lower().strip()
    return value * (1_000 if after.startswith("k") else 1_000_000 if after.startswith("m") else 1)


def _part_of_them_problems(text: str) -> list[str]:
    """A part larger than the set it is a part of: "we measured on 10,000 transactions and
    12,500 of them were right", "365 retrains of which 410 were promoted". Only when every
    count of things just before it is smaller: the part may be of the largest of them."""
    problems = []
    for m in _PART_OF_THEM.finditer(text):
        part = _value(m.group("x") or m.group("y"))
        sets = [
            c
            for c in _COUNTED.finditer(text, 0, m.start())
            if not re.fullmatch(_NOT_A_SET, c.group("noun").lower())
            # "40 tickets a day", "2 batches of queries": a rate, or what holds the set
            and not re.match(
                r"\s+(?:a|an|per|each|every|of(?!\s+(?:which|them|those|these)\b))\b",
                text[c.end() : c.end() + 14],
            )
            and m.start() - c.end() < 100  # a count far back is not what "of them" points at
        ]
        if part is None or not sets or part != int(part):
            continue
        wholes = [w for w in map(_set_size, sets) if w >= 2]  # "0 mismatches" is no set
        if not wholes:
            continue
        # "50,000 requests across 300 tenants, 12,000 of them": the part is of the larger set
        if all(w == int(w) and part > w * 1.02 for w in wholes):
            problems.append(
                f"{m.group(0).strip()} is more than the {sets[-1].group(0)} it is a part of"
            )
    return problems


def _direction_problems(text: str, m: re.Match[str], a: Figure, b: Figure) -> list[str]:
    """A change whose own words go the other way ("latency improved from 1.1 s to 1.6 s")."""
    metric, sign = _metric_near(text, m.start())
    if metric is None and (digit := re.search(r"\d", m.group(0))) is not None:
        # "before, the false positive rate was 35% and after 42%": named inside the pair
        metric, sign = _metric_near(text, m.start() + digit.start())
    if metric is None and a.unit in ("ms", "s", "$"):
        metric, sign = ("latency" if a.unit != "$" else "cost"), -1
    around = _clause_before(text, m.start())
    quote = m.group(0).strip()
    if _VERSUS.search(quote) and not re.search(r"\b(?:before|after)\b", quote, re.I):
        # "LightGBM won £540 vs £610" puts the new figure first, "900 ms vs 600 ms" may put
        # the old one first: the order says nothing about a direction
        return []
    if a.unit in _TIME_UNITS and b.unit in _TIME_UNITS:
        went_up = _seconds(b.value, b.unit) > _seconds(a.value, a.unit)
    else:
        went_up = b.value > a.value
    problems = []
    down = _DOWN_WORDS.search(around)
    up = _UP_WORDS.search(around)
    if re.search(r"\d(?:st|nd|rd|th)\b", quote):
        return []  # ranks: "fell from 1st to 14th" is a rise in number
    if down and went_up and not up:
        # "dropped from 8% to 9%" (words say down, figures go up)
        problems.append(f"'{quote}' is an increase, but the answer says it {down.group(0)}")
    elif up and not went_up and not down:
        problems.append(f"'{quote}' is a decrease, but the answer says it {up.group(0)}")
    good = next(
        (
            g
            for g in _GOOD_WORDS.finditer(around)
            if not _DESCRIBES_A_THING.search(around, 0, g.start()) and _says_of(g.group(0), metric)
        ),
        None,
    )  # "when we tried a cheaper model, accuracy went from 96% to 88%" calls the model cheap
    if good is None:  # "error went from 0.9 to 1.1, so that improved too"
        good = _GOOD_AFTER.match(text, m.end()) or _GOOD_APPOSITION.match(text, m.end())
    if good and sign and not problems:
        better = went_up if sign > 0 else not went_up
        if not better:
            problems.append(
                f"'{quote}' is worse for {metric}, but the answer calls it "
                f"{good.groupdict().get('word') or good.group(0)}"
            )
    rel = _REL_CHANGE.search(text[m.end() : m.end() + 60])
    if rel and _NEXT_CLAUSE.search(text[m.end() : m.end() + rel.start()]):
        rel = None  # "from 22 to 6, and about 4% more notices now go to a human": another figure
    if rel and a.value:
        stated = float(rel.group("p").replace(",", ""))
        relative = abs(b.value - a.value) / a.value * 100
        absolute = abs(b.value - a.value)
        if (
            abs(stated - relative) > max(5.0, 0.2 * relative)
            and abs(stated - absolute) > max(2.0, 0.2 * absolute)
            and not (a.unit == "%" and abs(stated - relative) <= 6)
        ):
            problems.append(
                f"'{quote}' is a {relative:.0f}% change, not the {rel.group('p')}% stated"
            )
    return problems


_GOOD_AFTER = re.compile(
    r"[^.;,\d]{0,20}?,?\s*(?:so|which|and)\s+(?:that\s+|this\s+|it\s+)?(?:\w+\s+){0,3}?"
    r"(?P<word>improved|improvement|got better|was better|is better|better|saving|savings|win)\b",
    re.I,
)
#: "from 12% to 18%, a big improvement": the change named good right after it
_GOOD_APPOSITION = re.compile(
    r",\s*(?:a|an)\s+(?:(?:big|huge|clear|real|major|massive|great|nice|solid|significant|"
    r"small|modest|definite)\s+)?(?P<word>improvement|win|gain)\b(?!\s+(?:for|in|on)\b)",
    re.I,
)
_VERSUS = re.compile(r"\bvs\.?(?!\w)|\bversus\b|\bagainst\b|\bcompared (?:to|with)\b", re.I)
_TIME_UNITS = frozenset(
    {"ms", "s", "sec", "secs", "second", "seconds", "millisecond", "milliseconds"}
)
_CLAUSE_BREAK = re.compile(r"[,;:()]|\.\s|\b(?:and|but|while|whereas|although|then)\b", re.I)


def _clause_before(text: str, start: int) -> str:
    """The words of the clause that leads up to ``start`` (at most 60 characters of it)."""
    window = text[max(0, start - 70) : start]
    breaks = list(_CLAUSE_BREAK.finditer(window))
    cuts = [0] + [m.end() for m in breaks]
    clause = window[cuts[-1] :]
    joined_by_word = bool(breaks) and breaks[-1].group(0)[0].isalpha()
    if len(cuts) > 1 and not _IMPROVE.search(clause) and not joined_by_word:
        # "... dropped below the threshold and MASE went from 0.8 to 2.3": a new subject
        # "latency improved as well, p50 went from 1.8 s to 2.4 s": the words are one clause back
        previous = window[cuts[-2] : cuts[-1]]
        if not re.search(r"\d", previous):
            clause = previous + clause
    return clause


def _rank(m: re.Match[str]) -> int:
    """The percentile a :data:`_PERCENTILE` match names (the median is the p50)."""
    return 50 if m.group("median") else int(m.group("p"))


def _percentile_problems(text: str) -> list[str]:
    found: dict[int, list[float]] = {}
    for m in _PERCENTILE.finditer(text):
        found.setdefault(_rank(m), []).append(_seconds(float(m.group("v")), m.group("u")))
    order = sorted(found)
    problems = []
    for lo, hi in zip(order, order[1:], strict=False):
        if len(found[lo]) == 1 and len(found[hi]) == 1 and found[hi][0] < found[lo][0]:
            problems.append(f"the p{hi} is below the p{lo}: a higher percentile cannot be lower")
    if problems:
        return problems
    # after a change: "p99 dropped from 180 ms to 45 ms, while p50 went to 60 ms"
    after: dict[int, float] = {}
    for m in _PERCENTILE_AFTER.finditer(text):
        after.setdefault(_rank(m), _seconds(float(m.group("v")), m.group("u")))
    order = sorted(after)
    return [
        f"after the change the p{hi} is below the p{lo}: a higher percentile cannot be lower"
        for lo, hi in zip(order, order[1:], strict=False)
        if after[hi] < after[lo]
    ]


#: "48 alerts, 75% of which were true positives and 40% false positives": one set's two
#: halves, which cannot add up to more than all of it.
_TRUE_AND_FALSE = re.compile(
    # not a true and a false positive *rate* (other denominators), nor "90% of true positives"
    rf"(?P<a>{_NUM})\s?%(?!\s+of\s+(?:the\s+|all\s+)?(?:true|false)\b)[^.;%]{{0,40}}?"
    rf"\b(?P<first>true|false) (?:positives?|alarms?)\b(?!\s+rates?\b)"
    rf"[^.;%]{{0,40}}?(?P<b>{_NUM})\s?%(?!\s+of\s+(?:the\s+|all\s+)?(?:true|false)\b)"
    rf"[^.;%\d]{{0,20}}?\b(?!(?P=first)\b)(?:true|false) (?:positives?|alarms?)\b"
    rf"(?!\s+rates?\b)",
    re.I,
)


def _true_and_false_problems(text: str) -> list[str]:
    """True and false positives given as shares of one set that add up to more than 100%."""
    return [
        f"the true and false positives add up to {total:g}% ({m.group('a')}% + "
        f"{m.group('b')}%) of one set"
        for m in _TRUE_AND_FALSE.finditer(text)
        if (total := (_value(m.group("a")) or 0) + (_value(m.group("b")) or 0)) > 101.5
    ]


def _share_problems(text: str) -> list[str]:
    """Three or more shares of one breakdown that add up to more than 100%."""
    text = _NOT_A_PART.sub(" ", text)
    if _ATTRIBUTES.search(text):
        return []  # "94% had a name, 61% an account number": one item can have several
    two = _TWO_SHARES.search(text)
    if text.count("%") < (2 if two else 3) or not _BREAKDOWN_CUE.search(text):
        return []
    spans = [m.span() for m in _SHARE.finditer(text)]
    among = text[spans[0][0] : spans[-1][1]] if spans else ""
    if re.search(r"->|→|\bfrom\b[^.;]{0,30}\bto\b|\bvs\.?\b|\bversus\b|\bthen\b", among, re.I):
        return []  # figures in a comparison are not parts of one whole
    if _HIGHER_RE.search(text) and re.search(r"\b(?:precision|recall|accuracy|f1)\b", text, re.I):
        return []  # metric values side by side, not shares
    if _SUBSET.search(text):
        return []  # "27% had a brand; hit@3 on those was 39%": shares of different wholes
    shares = [float(m.group("v")) for m in _SHARE.finditer(text)]
    wholes = {w.lower() for w in _WHOLE_OF_SHARE.findall(text)}
    if len(shares) == 2 and len(wholes) == 2:
        return []  # "80% of tokens were input, half of the input was ...": a share of a share
    if len(shares) == 2 and 101.5 < sum(shares) <= 180 and two:
        return [f"the shares add up to {sum(shares):g}% ({shares[0]:g}% + {shares[1]:g}%)"]
    if len(shares) >= 3 and 101.5 < sum(shares) <= 180 and max(shares) < 100:
        listed = " + ".join(f"{s:g}%" for s in shares)
        return [f"the shares add up to {sum(shares):g}% ({listed}), more than the whole"]
    return []


#: Percentages in a breakdown's sentence that are not parts of it: an interval's ends ("95% CI
#: 53-63%") and a cut-off of a ranking ("in the first 30% of the queue").
_NOT_A_PART = re.compile(
    rf"(?:\b\d{{2}}(?:\.\d)?\s?%\s*)?\b(?:CI|confidence interval)\s*[:=]?\s*[(\[]?\s*"
    rf"{_NUM}\s?%?\s*(?:-|–|to|,)\s*{_NUM}\s?%?|"
    rf"\b(?:first|top|bottom|last|highest|lowest|riskiest)\s+{_NUM}\s?%",
    re.I,
)
#: Shares of items that have something: several can hold for one item.
_ATTRIBUTES = re.compile(
    r"\d\s?%\s+(?:of\s+(?:them|those|these|the\s+\w+)\s+)?(?:had|have|has|contained|"
    r"included|mentioned|showed)\b",
    re.I,
)
_SUBSET = re.compile(
    r"\b(?:on|of|among|for|in)\s+(?:those|these|them|which|that (?:subset|slice|group))\b|"
    r"\b[a-z]+@\d+\b",
    re.I,
)
#: The whole a share is of: "80% of tokens" -> tokens, "50% of the input" -> input.
_WHOLE_OF_SHARE = re.compile(r"\d\s?%\s+of\s+(?:the\s+|all\s+|our\s+|these\s+)?([a-z][\w-]*)", re.I)
_TWO_SHARES = re.compile(
    r"%\s+of (?:the|all|our|these) [\w-]+ (?:came from|were|was|are|is|had|caused|due)", re.I
)


_DURATIONS = re.compile(
    r"\d+(?:\.\d+)?(?:\s*,\s*\d+(?:\.\d+)?)*(?:,?\s*(?:and|or)\s*\d+(?:\.\d+)?)?\s*-?"
    r"(?:days?|weeks?|months?|"
    r"hours?|min(?:ute)?s?|years?|ms|s)\b",
    re.I,
)


def _parts_problems(text: str) -> list[str]:
    """'400 cases: 200 X, 150 Y and 100 Z' (the parts add up to more than the total)."""
    problems = []
    for m in re.finditer(
        rf"(?P<total>{_NUM})[\s-]?(?:[a-z-]+\s){{0,2}}?(?:{_SIZE_NOUNS}|"
        # any plural that a breakdown follows: "14 alerts, of which 9 were..."
        rf"[a-z]{{3,}}s(?=,?\s+(?:of which|made up of|split into)\b))\b[^.;\n]{{0,25}}?"
        rf"(?::|\(|-|–|—|,|made up of|split into|including|of which|and found|found)\s*"
        rf"(?P<parts>[^.;\n()]{{8,160}})",
        text,
        re.I,
    ):
        total = _value(m.group("total"))
        listed = re.sub(r"(\d)\s+(?:were|was|are|is)\s+", r"\1 ", m.group("parts"))  # "140 were X"
        listed = re.sub(r"^of which\s+", "", listed)  # "14 alerts, of which 9 ..."
        # a range ends the list ("from 40 to 20"); a source does not ("610 from the prompt")
        parts_text = re.split(
            r"\b(?:went|was|were|is|are|then|so|which|after|before|giving|meaning|making|"
            r"in total)\b|"
            r"\b(?:from|to)\b(?=\s+(?:about\s+|around\s+|~)?[\d$€£])",
            listed,
        )[0]
        parts_text = _PAIR.sub(" ", _X_OF_N.sub(" ", parts_text))
        parts_text = _DURATIONS.sub(" ", parts_text)  # "over 7, 30 and 90 days" are windows
        if "%" in parts_text or total is None or total < 3:
            continue
        parts = [
            _value(p)
            for p in re.findall(rf"(?<![\w.@#]){_NUM}(?=\s+[a-z])", parts_text, re.I)
            if not re.match(r"\d+(?:\.\d+)?\s?(?:ms|s|x)\b", p)
        ]
        # "the 60-odd we found, and about 40 more we wrote": an addition to the whole, no part
        added = re.findall(rf"({_NUM})\s+(?:more|extra|additional|new)\b", parts_text, re.I)
        parts = [p for p in parts if p not in {_value(a) for a in added}]
        values = [p for p in parts if p is not None and p < total]
        if len(values) >= 2 and sum(values) > total * 1.02 and sum(values) < total * 2:
            problems.append(
                f"the parts add up to {sum(values):g}, more than the {m.group('total')} stated"
            )
    return problems


#: A time split into its parts: "of the 180 ms p99, feature fetch was 90 ms, inference 70 ms,
#: network 35 ms and serialisation 25 ms" (the parts cannot take longer than the whole).
_TIME_WHOLE = (
    rf"(?P<total>{_NUM})\s?(?P<unit>ms|s)\b(?:\s+(?:p\d{{2}}(?:\.\d)?|latency|budget|total|"
    rf"end[- ]to[- ]end|request|round[- ]trip)){{0,2}}"
)
_TIME_SPLIT = [
    re.compile(
        rf"\b(?:of|out of)\s+(?:the|our|that|a|an)\s+{_TIME_WHOLE}\s*[,:—–-]\s*"
        rf"(?P<parts>[^.;\n]{{10,200}})",
        re.I,
    ),
    # "the first version was at 140 ms p99: feature lookup about 90 ms, the model 35 ms"
    re.compile(rf"\b(?:at|was|is|took)\s+{_TIME_WHOLE}\s*:\s*(?P<parts>[^.;\n]{{10,200}})", re.I),
]
_TIME_PART = re.compile(rf"(?<![\w.])(?P<v>{_NUM})\s?(?P<unit>ms|s)\b", re.I)


def _time_split_problems(text: str) -> list[str]:
    """Parts of a stated time that add up to more than it (see :data:`_TIME_SPLIT`)."""
    problems = []
    for m in (m for pattern in _TIME_SPLIT for m in pattern.finditer(text)):
        total, unit = _value(m.group("total")), m.group("unit").lower()
        # a change of one part is no part: "retrieval went from 400 ms to 150 ms"
        parts_text = _PAIR.sub(" ", m.group("parts"))
        parts = [
            _value(p.group("v"))
            for p in _TIME_PART.finditer(parts_text)
            if p.group("unit").lower() == unit
        ]
        values = [v for v in parts if v is not None]
        if total and len(values) >= 2 and all(v < total for v in values):
            if sum(values) > total * 1.05:
                problems.append(
                    f"the parts add up to {sum(values):g} {unit}, more than the "
                    f"{m.group('total')} {unit} they are said to make up"
                )
    return problems


_STATED_TOTAL = _whole(r"[a-z]{3,}s")  # any plural: "120 features in total"
_CONTAINING = re.compile(
    rf"\b(?:containing|contains|contained|including|includes|with|had|has)\s+(?:about\s+|around\s+|"
    rf"~)?(?P<n>{_NUM})\s+(?P<noun>[a-z]{{3,}}s)\b",
    re.I,
)
_COUNT_OF = re.compile(
    rf"(?<![\w.,])(?P<n>{_NUM})\s+(?:(?:were|are|was)\s+(?=(?:true|actual|real|confirmed|correct)\s))?"
    rf"(?P<adj>(?:true|actual|real|confirmed|correct)\s+)?"
    rf"(?P<noun>[a-z]{{3,}}s)\b(?!\s+(?:a|an|per|each|every)\s+\w+|\s*/)",
    re.I,
)


def _count_problems(text: str) -> list[tuple[str, str]]:
    """Counts larger than their whole: '120 features in total' after '500 features', or '1,400
    were true frauds' in a set 'containing 1,200 frauds'. Each problem with the count it is
    about."""
    totals = {
        _noun(m.group("noun") or m.group("noun2")): (_value(m.group("n") or m.group("m")), m)
        for m in _STATED_TOTAL.finditer(text)
    }
    positives = {_noun(m.group("noun")): _value(m.group("n")) for m in _CONTAINING.finditer(text)}
    if not totals and not positives:  # no whole to exceed (most answers)
        return []
    problems = []
    for m in _COUNT_OF.finditer(text):
        noun, n = _noun(m.group("noun")), _value(m.group("n"))
        if n is None or text[max(0, m.start() - 8) : m.start()].rstrip().endswith("of"):
            continue
        total, where = totals.get(noun, (None, None))
        if total and where is not None and not where.start() <= m.start() < where.end():
            if n > total * 1.02:
                problems.append(
                    (f"{m.group(0)} is more than the {where.group(0)} stated", m.group(0))
                )
        whole = positives.get(noun)
        if m.group("adj") and whole and n > whole * 1.02:
            problem = f"{m.group(0)} is more than the {whole:,.0f} {m.group('noun')} in the set"
            problems.append((problem, m.group(0)))
    return problems


#: A list item on its own line: "- 45% tool-call timeouts", "2) 140 were duplicates".
_LIST_ITEM = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)])\s+")


def _list_problems(texts: list[str]) -> dict[int, list[str]]:
    """What cannot be true in a breakdown written as a list under a line ending with a colon
    ("we analysed 400 failed runs:" then "- 45% timeouts", "- 35% malformed JSON", ...): the
    list is read as one sentence, so its parts are added up like "400 runs: 45% X, 35% Y".
    Returns the problems by the index of each item's sentence."""
    found: dict[int, list[str]] = {}
    start = 0
    while start < len(texts):
        end = start + 1
        if texts[start].rstrip().endswith(":"):
            while end < len(texts) and _LIST_ITEM.match(texts[end]):
                end += 1
        if end - start > 2:  # two items or more
            items = ", ".join(_LIST_ITEM.sub("", t).rstrip(" .;,") for t in texts[start + 1 : end])
            joined = f"{texts[start].rstrip()} {items}"
            problems = [*_share_problems(joined), *_parts_problems(joined)]
            for index in range(start + 1, end) if problems else ():
                found[index] = problems
        start = end
    return found


def read_claims(sentences: list[str]) -> ClaimSet:
    """Read an answer's sentences (in order) into claims and check that they hang together."""
    if not sentences:
        return ClaimSet([], [], figures=0, noise=False, first_person=0, team=0, owned_actions=0)
    claims: list[Claim] = []
    problems: list[str] = []
    previous_context: str | None = None
    total_figures = 0
    noise = False
    first = team = owned = 0
    totals: dict[str, float] = {}  # noun -> the size of the whole it was last given as
    texts = [normalise_numbers(_EMPHASIS.sub("", sentence)) for sentence in sentences]
    # A pattern that matches in no sentence is not tried on each (the screen is sound for
    # substrings); most of the checks below find nothing in most answers.
    possible = _CLAIMS_SCREEN.possible("\n".join(dict.fromkeys([*texts, *sentences])))
    all_figures = [[f for f in _figures(text) if not _is_noise_figure(f)] for text in texts]
    in_lists = _list_problems(texts) if ":" in "".join(texts) else {}
    differences = any(
        p in possible for p in (_CHANGE_AS_COUNT, _COUNTS_AS_POINTS, _RATE_AS_SET_COUNT)
    )
    across = _pairs_across(texts) if _METRIC_VALUE in possible else {}
    size: float | None = None  # the set last sized, for a change restated as a count
    borrowed_before = False  # the sentence before gave a public benchmark's figures
    rates: dict[str, str] = {}  # the last rate stated for each metric
    for i, (sentence, text) in enumerate(zip(sentences, texts, strict=True)):
        share_problems = _share_of_total_problems(text, totals) if _SHARE_OF in possible else []
        if _F1_WITH_PR in possible:
            share_problems = [*share_problems, *_f1_problems(text)]
        if differences:  # and keep what a later sentence's change may be restated against
            share_problems = [*share_problems, *_difference_problems(text, size, rates)]
            if (sized := _SIZED_SET.search(text)) is not None:
                size = _value(sized.group("n"))
            rates.update(_rates(text))
        if _WHOLE in possible:
            totals.update(_totals(text))
        figures = all_figures[i]
        total_figures += len(figures)
        noise = noise or (_NOISE in possible and bool(_NOISE.search(text)))
        first += len(_FIRST_PERSON.findall(sentence))
        team += len(_TEAM.findall(sentence))
        owned += len(_OWN_ACT.findall(sentence))
        context = method = None
        if figures or (i + 1 < len(texts) and all_figures[i + 1]):  # else neither is read
            set_match = _SET.search(text) if _SET in possible else None
            method_match = _METHOD.search(text) if _METHOD in possible else None
            context = set_match.group(0) if set_match else None
            method = method_match.group(0) if method_match else None
            if method and method.lower().startswith("dashboard") and _JUDGED_QUALITY.search(text):
                method = _method_beside_dashboard(text)
        # "...on BEIR, 0.43 to 0.53. bge-reranker scores 0.51 on the same benchmark."
        borrowed_here = BORROWED in possible and bool(
            BORROWED.search(text) or borrowed_before and _SAME_BENCHMARK.search(text)
        )
        if figures:
            pairs = _pairs(text) if _PAIR in possible else []
            sentence_problems = [
                *_sentence_problems(text, pairs, possible),
                *_parts_problems(text),
                *_time_split_problems(text),
                *share_problems,
                *in_lists.get(i, ()),
            ]
            claims.append(
                Claim(
                    hypothetical=_HYPOTHETICAL in possible and bool(_HYPOTHETICAL.search(sentence)),
                    borrowed=borrowed_here,
                    unsupported=_EXTREME in possible
                    and bool(not_pass_criteria(_EXTREME.findall(text), text)),
                    sentence=sentence,
                    figures=figures,
                    pairs=[(a, b) for _, a, b in pairs] + across.get(i, []),
                    across=across.get(i, []),
                    measured_on=context or previous_context,
                    method=method,
                    problems=sentence_problems,
                )
            )
            problems.extend(sentence_problems)
        # "...on that set": the next sentence may lean on what this one was measured on (not on
        # a public benchmark's)
        borrowed_before = borrowed_here
        previous_context = None if borrowed_here else context or method
    whole = " ".join(texts)
    problems.extend(_percentile_problems(whole))
    # within one sentence with no "from ... to" in it: "p50 came down to 1.4 s and p95 to 1.2 s"
    problems.extend(p for t in texts if " from " not in t for p in _percentile_problems(t))
    normalised = dict(zip(sentences, texts, strict=True))
    for problem, count in _count_problems(whole):
        problems.append(problem)
        for claim in claims:
            if count in normalised[claim.sentence]:  # the claim stating it is no evidence
                claim.problems.append(problem)
    return ClaimSet(
        claims=claims,
        problems=list(dict.fromkeys(problems)),
        figures=total_figures,
        noise=noise,
        first_person=first,
        team=team,
        owned_actions=owned,
    )


#: "100%" that is a scope or a price, not a result: "kept 100% re-inspection", "ramped to 100%
#: of traffic", "a 100% discount code".
HUNDRED_PERCENT = (
    r"\b100\s?%(?!\s*(?:of (?:the |our |all )?(?:traffic|requests|users)\b|(?:[A-Z][\w-]*\s+)?"
    r"(?:manual |human )?"
    r"(?:re-?)?(?:inspect|review|sampl|rollout|traffic|discount|refund|code\b|off\b)))"
)
#: "10x better" is too neat to take on trust; "~10x cheaper", "roughly 10x faster" say they are
#: estimates, not measurements passed off as precise.
NEAT_RATIO = (
    r"(?<!~)(?<!about )(?<!roughly )(?<!around )(?<!approximately )(?<!some )"
    r"\b\d+\s?x\s+(?:better|faster|improvement|more accurate|cheaper|boost)"
)
_HYPOTHETICAL = re.compile(
    r"\b(?:if I (?:did|were|had)|(?:I'?|we')d\b(?!\s+(?:already\s+|never\s+|just\s+|also\s+)?"
    # "the questions we'd written": had, not would
    r"(?:been|done|had|got|gotten|seen|made|written|run|set|put|built|taken|given|found|left|"
    r"kept|spent|sent|told|thought|read|begun|grown|known|shown|drawn|(?!\w*eed\b)\w+ed)\b)|"
    r"I would|we would|"
    r"would (?:have|be|put|look|use|"
    r"start|add)|could (?:have|be)|should (?:have|be)|plan(?:ning)? to|want to|hope to|"
    r"in theory|typically|usually you|you (?:would|should|can|could))\b",
    re.I,
)
_EXTREME = re.compile(
    HUNDRED_PERCENT
    + r"|\b99\.9+\s?%|\bzero (?:[A-Za-z]+ )?(?:hallucinations?|errors?|bugs?|failures?|"
    r"incidents?|leaks?|issues|downtime)|\bno (?:more )?hallucinations\b|"
    r"\b(?:completely|totally|fully) (?:eliminat|remov|solv)\w*|" + NEAT_RATIO,
    re.I,
)
#: A pass criterion, not a result: "Pass = accuracy >= 92% and 100% schema-valid", "the build
#: fails under 100%", "we require 100% of fields".
_THRESHOLD = re.compile(
    r">=|≥|\bpass(?:es|ing)?\s*(?:=|:|if\b|when\b|means\b|criteri\w*|bar\b)|\bmust\b|"
    r"\brequir\w*|\bthreshold|\btarget\b|\bat least\b|\bfails? (?:if|when|under|below)\b|"
    r"\bblock\w* (?:if|when|unless)\b|\bif\b[^.;]{0,40}\b(?:not|below|under)\s+100",
    re.I,
)


def not_pass_criteria(found: list[str], sentence: str) -> list[str]:
    """``found`` (figures too perfect to take on trust: "99.9%", "100%") less a 100% in a
    sentence that states a pass criterion."""
    if found and _THRESHOLD.search(sentence):
        return [f for f in found if not f.startswith("100")]
    return found


_EMPHASIS = re.compile(r"\*\*|__")  # markdown bold around "**112%**"
_NAME_NUMBER = re.compile(r"(?:\b[A-Z]{2,}[A-Za-z]*|\b[A-Z][a-z]+|\b[A-Za-z]+-)\s?$")
#: "a 400% reduction", "cut the bill by 150%": a fall stated as more than the whole.
_OVER_WHOLE_FALL = re.compile(
    rf"(?<![\d.,])(?P<p>{_NUM})\s?%\s+(?:reduction|decrease|drop|decline|fall|cut|saving|"
    rf"fewer|less|lower|cheaper)\b|"
    rf"\b(?:reduc\w*|cut|dropp?\w*|decreas\w*|lower\w*|fell|fall\w*|sav\w*|shr[ai]nk\w*)"
    rf"(?:\s+[\w$']+){{0,4}}?\s+by\s+(?P<p2>{_NUM})\s?%",
    re.I,
)
#: "85% of requests now go to the small model and 35% escalate to the large one": the two
#: shares of one routing, which cannot add up to more than all of it.
_ROUTED_SHARES = re.compile(
    rf"(?<![\d.,])(?P<a>{_NUM})\s?%\s+of\s+(?:the\s+|all\s+|our\s+)?(?:requests|queries|"
    rf"traffic|calls|tickets|messages|conversations|questions)\s+(?:now\s+)?(?:go(?:es)?|went|"
    rf"(?:are|were|get|got)\s+(?:routed|sent)|routed|sent)\s+to\b[^.;%]{{0,60}}?"
    rf"\band\s+(?:the\s+other\s+|the\s+remaining\s+)?(?P<b>{_NUM})\s?%\s+(?!of\s+(?:them|those|these)\b)"
    rf"(?:now\s+)?(?:go(?:es)?|went|escalat\w*|(?:are|were|get|got)\s+(?:routed|sent|escalated)|"
    rf"routed|sent|fall\s+back)\b",
    re.I,
)


_CLAIMS_SCREEN = Screen(
    [
        *(_SHARE_OF, _WHOLE, _NOISE, _PAIR, _HYPOTHETICAL, _EXTREME, _BOUNDED_RATIO),
        *(_RATE_PERCENT, _X_OF_N, _RATE_AS_COUNT, _PERCENTILE, _PER_DAY, _IN_LINE, _OUT_OF_THEN),
        *(_ON_TRAINING_DATA, _SET, _METHOD, _INTERVAL, _RATE_OF_A_SET, _RATES_AS_COUNTS),
        *(_SHARE_OF_STATED, _CHANGE_AS_COUNT, _COUNTS_AS_POINTS, _F1_WITH_PR, _METRIC_VALUE),
        *(_OVER_WHOLE_FALL, _ROUTED_SHARES, _RATE_AS_SET_COUNT, _OUT_OF_FIRST, BORROWED),
    ]
)


def _is_noise_figure(figure: Figure) -> bool:
    """Ordinals, years and version-like numbers are not figures of the work."""
    if figure.unit in ("st", "nd", "rd", "th"):
        return True
    return 1990 <= figure.value <= 2035 and figure.unit == "" and "." not in figure.text
