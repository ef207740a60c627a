"""Benchmark the offline grader on every labeled answer.

Prints mean and p95 milliseconds per answer for `assess` and the full `grade`, next to two baselines measured
in the same run: one case-insensitive regex pass over the whole text (the cheapest possible "detector"), and
building the GradeReport pydantic model alone. Target: well under 50 ms per answer. Run:

    .venv/bin/python bench/bench_grader.py [--repeat N]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from interviewer.catalog import load_catalog
from interviewer.grading import assess, grade
from interviewer.models import GradeReport, Level, RoundKind, Turn

LABELED_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "labeled"
TARGET_MS = 50.0
NAIVE_RX = re.compile(
    r"\b(?:rolled\s+back|alert|postmortem|percent|minutes|root\s+cause|I|we)\b", re.IGNORECASE
)


def load_answers() -> list[str]:
    out: list[str] = []
    for path in sorted(LABELED_DIR.glob("*.yaml")):
        out.extend(item["text"] for item in yaml.safe_load(path.read_text(encoding="utf-8")))
    return out


def timed(fn: Callable[[str], object], texts: list[str], repeat: int) -> list[float]:
    """Milliseconds per call, one sample per (answer, repetition)."""
    samples = []
    for _ in range(repeat):
        for text in texts:
            t0 = time.perf_counter()
            fn(text)
            samples.append((time.perf_counter() - t0) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="passes over the labeled set (default 20)")
    args = parser.parse_args()

    rubric = load_catalog().rubric("production-incident")
    texts = load_answers()
    sample_report = grade(
        [Turn(index=0, round=RoundKind.opening, question="q", answer=texts[0])], rubric, Level.L5
    )
    report_json = sample_report.model_dump()

    def full(text: str) -> GradeReport:
        return grade([Turn(index=0, round=RoundKind.opening, question="q", answer=text)], rubric, Level.L5)

    for text in texts:  # warm-up: imports, regex caches
        full(text)

    rows = {
        "baseline: one naive regex pass": timed(lambda t: NAIVE_RX.findall(t), texts, args.repeat),
        "baseline: GradeReport model only": timed(
            lambda _t: GradeReport.model_validate(report_json), texts, args.repeat
        ),
        "assess(text)": timed(assess, texts, args.repeat),
        "grade(turns, rubric, level)": timed(full, texts, args.repeat),
    }
    words = statistics.mean(len(t.split()) for t in texts)
    print(f"{len(texts)} labeled answers (mean {words:.0f} words), {args.repeat} passes each")
    print(f"{'':36} {'mean ms':>9} {'median':>9} {'p95 ms':>9} {'max ms':>9}")
    for name, s in rows.items():
        print(f"{name:36} {statistics.mean(s):9.3f} {statistics.median(s):9.3f} {p95(s):9.3f} {max(s):9.3f}")
    # ratios on medians: one scheduler hiccup on a shared machine should not swing them
    naive = statistics.median(rows["baseline: one naive regex pass"])
    model = statistics.median(rows["baseline: GradeReport model only"])
    full_median = statistics.median(rows["grade(turns, rubric, level)"])
    full_mean = statistics.mean(rows["grade(turns, rubric, level)"])
    print(
        f"median ratios: grade / naive regex pass {full_median / naive:.0f}x, "
        f"grade / model construction {full_median / model:.0f}x"
    )
    verdict = "within" if p95(rows["grade(turns, rubric, level)"]) < TARGET_MS else "OVER"
    print(
        f"p95 grade time is {verdict} the {TARGET_MS:.0f} ms target "
        f"({TARGET_MS / full_mean:.1f}x headroom on the mean)"
    )


if __name__ == "__main__":
    main()
