"""How consistent and how right is the LLM judge? Grades the calibration answers N times with the configured endpoint.

The answers are the calibration subset shipped for `interviewer calibrate`: written by authors the offline grader
never trained on, each labeled by two independent labelers, so neither grader is measured on its own tuning data.

Prints, per signal, agreement with the labels (presence = score >= 2) for the offline grader (the baseline,
measured in the same run), the raw LLM judge and the combined grade, and the spread of the LLM's scores
across runs (max - min per answer, averaged). Uses OPENAI_BASE_URL / OPENAI_API_KEY / INTERVIEWER_MODEL.

    .venv/bin/python bench/bench_judge_consistency.py --runs 3 [--limit 10] [--level L5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict

from interviewer.calibrate import load_subset  # noqa: E402
from interviewer.catalog import DEFAULT_RUBRIC, load_catalog  # noqa: E402
from interviewer.grading import grade as offline_grade  # noqa: E402
from interviewer.llm import LLMError, load_config, make_grader  # noqa: E402
from interviewer.models import PRESENT_SCORE, SIGNAL_IDS, Level, RoundKind, Turn  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--limit", type=int, help="only the first N labeled answers")
    ap.add_argument("--level", default="L5", choices=[lv.value for lv in Level])
    ap.add_argument("--model", help="model name (else INTERVIEWER_MODEL or the endpoint's default)")
    args = ap.parse_args()

    try:
        config = load_config(args)
    except LLMError as e:
        print(f"LLM endpoint unusable: {e}", file=sys.stderr)
        return 2
    if config is None:
        print("No LLM endpoint configured: set OPENAI_BASE_URL and/or OPENAI_API_KEY.", file=sys.stderr)
        return 2
    answers = load_subset()[: args.limit] if args.limit else load_subset()
    rubric = load_catalog().rubrics[DEFAULT_RUBRIC]
    level = Level(args.level)
    print(f"endpoint: {config.describe()}; {len(answers)} labeled answers x {args.runs} runs at {level.value}")

    def turns_of(text: str) -> list[Turn]:
        return [Turn(index=0, round=RoundKind.opening, question="Tell me about a production incident.",
                     answer=text.strip())]

    start = time.perf_counter()
    offline = {a.id: {s.id: s.score for s in offline_grade(turns_of(a.text), rubric, level).signals}
               for a in answers}
    offline_seconds = (time.perf_counter() - start) / len(answers)

    raw: dict[tuple[str, str], list[int]] = defaultdict(list)  # (answer, signal) -> LLM score per run
    combined: dict[tuple[str, str], list[int]] = defaultdict(list)
    failures = 0
    grader = make_grader(config)
    start = time.perf_counter()
    for run in range(args.runs):
        for a in answers:
            report = grader.grade(turns_of(a.text), rubric, level)
            if report.grader == "offline":
                failures += 1
            for s in report.signals:
                combined[(a.id, s.id)].append(s.score)
                if s.llm_score is not None:
                    raw[(a.id, s.id)].append(s.llm_score)
        print(f"  run {run + 1}/{args.runs} done", file=sys.stderr)
    llm_seconds = (time.perf_counter() - start) / (len(answers) * args.runs)

    def agree(score: int, a, sid: str) -> bool:
        return (score >= PRESENT_SCORE) == a.present[sid]

    print(f"\n{'signal':<14} {'offline':>8} {'llm raw':>8} {'combined':>9} {'llm spread':>11} {'changed':>8}")
    totals = defaultdict(list)
    for sid in SIGNAL_IDS:
        off = [agree(offline[a.id][sid], a, sid) for a in answers]
        llm = [agree(v, a, sid) for a in answers for v in raw[(a.id, sid)]]
        comb = [agree(v, a, sid) for a in answers for v in combined[(a.id, sid)]]
        spreads = [max(v) - min(v) for a in answers if (v := raw[(a.id, sid)])]
        changed = [s > 0 for s in spreads]
        row = {
            "offline": statistics.mean(off),
            "llm": statistics.mean(llm) if llm else float("nan"),
            "combined": statistics.mean(comb),
            "spread": statistics.mean(spreads) if spreads else float("nan"),
            "changed": statistics.mean(changed) if changed else float("nan"),
        }
        for k, v in row.items():
            totals[k].append(v)
        print(f"{sid:<14} {row['offline']:>8.2f} {row['llm']:>8.2f} {row['combined']:>9.2f} "
              f"{row['spread']:>11.2f} {row['changed']:>8.2f}")
    print(f"{'ALL':<14} " + " ".join(f"{statistics.mean(totals[k]):>{w}.2f}" for k, w in
                                        (("offline", 8), ("llm", 8), ("combined", 9), ("spread", 11),
                                         ("changed", 8))))
    print(f"\njudge failures (offline grade used): {failures} of {len(answers) * args.runs}")
    print(f"seconds per answer: offline {offline_seconds:.4f}, LLM path {llm_seconds:.2f} "
          f"(ratio {llm_seconds / max(offline_seconds, 1e-9):.0f}x)")
    print("agreement = share of (answer, signal) pairs where presence (score >= 2) matches the label; "
          "spread = max - min of the LLM's raw score across runs, per answer; changed = share with any spread")
    return 0


if __name__ == "__main__":
    sys.exit(main())
