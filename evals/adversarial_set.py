"""Injection resistance on a payload file of someone else's: per family, how many injected answers
were flagged and how many scored above their clean twin, offline and through the obeying stand-in
judge (a scripted model that obeys any payload text reaching it).

    python evals/adversarial_set.py PAYLOADS.yaml [--hosts-per-payload 4] [--provider offline]

PAYLOADS.yaml is in the format of ``evals/injection/payloads.yaml`` (id, family, position, text).
The hosts are the goldens' weak and middling answers that the regression suite uses, so the
figures sit beside the suite's own adversarial check on the project's payloads.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from agent import get_grader, load_bank, load_golden_answers
from agent.adversarial import STAND_IN, choose_hosts, load_payloads, run_adversarial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("payloads", type=Path)
    parser.add_argument("--hosts-per-payload", type=int, default=4)
    parser.add_argument("--provider", default="offline")
    args = parser.parse_args()
    grader = get_grader(args.provider)
    result = run_adversarial(
        load_payloads(args.payloads),
        choose_hosts(load_golden_answers()),
        load_bank(),
        {grader.info.name: grader},
        hosts_per_payload=args.hosts_per_payload,
    )
    names = [grader.info.name, STAND_IN]
    print(f"{args.payloads}: {result.pairs} injected answers, flagged {result.flagged:.1%}")
    for name in names:
        print(f"  {name}: above the clean twin {len(result.leaks[name])}/{result.pairs}")
    print("family | pairs | flagged | " + " | ".join(f"above twin ({n})" for n in names))
    for family, figures in sorted(result.families.items()):
        above = " | ".join(str(figures.leaks.get(n, 0)) for n in names)
        print(f"{family} | {figures.pairs} | {figures.flagged} | {above}")


if __name__ == "__main__":
    main()
