"""`interviewer calibrate`: measure the configured LLM judge on labeled answers and store how far to trust it.

Runs the judge over the calibration subset shipped in the package (answers by authors the offline grader never
trained on), compares its per-signal calls and the offline grader's with the labels, prints both, and stores
the per-signal weights for this endpoint and model (see llm/trust.py). Later grades with the same endpoint
and model blend the judge by those weights instead of the fixed one-point cap.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml
from pydantic import BaseModel

from .errors import InterviewerError
from .models import SIGNAL_IDS, Level, RoundKind, Turn

CALIBRATION_FILE = Path(__file__).resolve().parent / "grading" / "model" / "calibration.yaml"
QUESTION = "Tell me about a production incident you handled."
LEVEL = Level.L5


class CalibrationAnswer(BaseModel):
    id: str
    klass: str
    text: str
    present: dict[str, bool]


def load_subset(path: Path = CALIBRATION_FILE) -> list[CalibrationAnswer]:
    try:
        items = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise InterviewerError(f"{path}: cannot read the calibration answers: {e}") from None
    return [CalibrationAnswer.model_validate(x) for x in items]


def calibrate(args: argparse.Namespace) -> int:
    from . import llm
    from .catalog import load_catalog
    from .grading import grade
    from .llm.errors import JudgeError
    from .llm.trust import measure, save

    setup, warning = llm.setup(args)
    if setup is None:
        raise InterviewerError(
            warning or "calibrate needs an LLM endpoint: set OPENAI_BASE_URL (and OPENAI_API_KEY) or pass --model"
        )
    rubric = load_catalog(getattr(args, "data_dir", None)).rubric()
    subset = load_subset()
    if args.limit:
        subset = subset[: args.limit]
    judge = setup.grader.judge
    llm_scores, offline_scores, gold, failed = [], [], [], 0
    for i, item in enumerate(subset, 1):
        turns = [Turn(index=0, round=RoundKind.opening, question=QUESTION, answer=item.text)]
        offline = {s.id: s.score for s in grade(turns, rubric, LEVEL, QUESTION).signals}
        try:
            verdict = judge.verdict(turns, rubric, LEVEL, QUESTION)
        except JudgeError as e:
            failed += 1
            print(f"[{i}/{len(subset)}] {item.id}: the judge gave no usable verdict ({e})", file=sys.stderr)
            verdict = None
        # a failed verdict counts as a judge that said nothing: its calls are all "absent"
        llm_scores.append({s: (verdict.signal(s).score if verdict else 0) for s in SIGNAL_IDS})
        offline_scores.append(offline)
        gold.append(item.present)
        print(f"[{i}/{len(subset)}] {item.id} judged", file=sys.stderr)
    trust = measure(llm_scores, offline_scores, gold, setup.grader.endpoint, setup.model)
    path = save(trust)
    print(f"judge {setup.model} at {setup.grader.endpoint or 'the default endpoint'}: "
          f"{len(subset)} labeled answers, {failed} without a usable verdict")
    print(f"{'signal':15} {'judge agrees':>12} {'offline agrees':>14} {'judge kappa':>11} {'weight':>7}")
    for s, t in trust.signals.items():
        print(f"{s:15} {t.llm_agreement:12.2f} {t.offline_agreement:14.2f} {t.llm_kappa:11.2f} {t.weight:7.2f}")
    print(f"saved to {path}; grades with this endpoint and model now weight the judge by these figures")
    return 0
