"""The hand-labeled answers under tests/data/labeled, and the agreement statistics the grading tests assert on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, field_validator

from interviewer.grading import assess
from interviewer.models import FLAG_IDS, PRESENT_SCORE, SIGNAL_IDS

LABELED_DIR = Path(__file__).resolve().parent / "data" / "labeled"
HOLDOUT_FILE = "holdout.yaml"


class LabeledAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    klass: Literal["strong", "mixed", "weak"]
    style: Literal["spoken", "written"]
    incident: str
    present: list[str]
    flags: list[str]
    text: str

    @field_validator("present")
    @classmethod
    def _signals(cls, v: list[str]) -> list[str]:
        bad = set(v) - set(SIGNAL_IDS)
        if bad:
            raise ValueError(f"unknown signals {sorted(bad)}")
        return v

    @field_validator("flags")
    @classmethod
    def _flags(cls, v: list[str]) -> list[str]:
        bad = set(v) - set(FLAG_IDS)
        if bad:
            raise ValueError(f"unknown flags {sorted(bad)}")
        return v


def _load_file(path: Path) -> list[LabeledAnswer]:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for item in items:
        item = dict(item)
        item["klass"] = item.pop("class")
        out.append(LabeledAnswer.model_validate(item))
    return out


def load_tuning() -> list[LabeledAnswer]:
    """The answers the detectors were tuned on (every set_*.yaml)."""
    return [a for p in sorted(LABELED_DIR.glob("set_*.yaml")) for a in _load_file(p)]


def load_holdout() -> list[LabeledAnswer]:
    """Answers written after tuning, never used to adjust a detector."""
    return _load_file(LABELED_DIR / HOLDOUT_FILE)


@dataclass
class Confusion:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    misses: list[str] = field(default_factory=list)  # answer ids that disagree

    def add(self, predicted: bool, actual: bool, answer_id: str) -> None:
        if predicted and actual:
            self.tp += 1
        elif predicted:
            self.fp += 1
            self.misses.append(f"{answer_id}(+)")
        elif actual:
            self.fn += 1
            self.misses.append(f"{answer_id}(-)")
        else:
            self.tn += 1

    @property
    def agreement(self) -> float:
        total = self.tp + self.fp + self.fn + self.tn
        return (self.tp + self.tn) / total if total else 1.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Agreement:
    signals: dict[str, Confusion]
    flags: dict[str, Confusion]

    @property
    def pair_agreement(self) -> float:
        agree = sum(c.tp + c.tn for c in self.signals.values())
        total = sum(c.tp + c.fp + c.fn + c.tn for c in self.signals.values())
        return agree / total if total else 1.0

    def table(self) -> str:
        lines = [f"{'signal':<14} {'TP':>3} {'FP':>3} {'FN':>3} {'TN':>3} {'agree':>6}  disagreements"]
        for sid, c in self.signals.items():
            lines.append(
                f"{sid:<14} {c.tp:>3} {c.fp:>3} {c.fn:>3} {c.tn:>3} {c.agreement:>6.2f}  {' '.join(c.misses)}"
            )
        lines.append(f"{'ALL PAIRS':<14} {'':>15} {self.pair_agreement:>6.3f}")
        lines.append(
            f"{'flag':<14} {'TP':>3} {'FP':>3} {'FN':>3} {'TN':>3} {'prec':>6} {'recall':>6}  disagreements"
        )
        for fid, c in self.flags.items():
            lines.append(
                f"{fid:<14} {c.tp:>3} {c.fp:>3} {c.fn:>3} {c.tn:>3} {c.precision:>6.2f} {c.recall:>6.2f}  "
                f"{' '.join(c.misses)}"
            )
        return "\n".join(lines)


def agreement(answers: list[LabeledAnswer]) -> Agreement:
    """Compare detector presence (score >= 2) and raised flags with the labels."""
    signals = {sid: Confusion() for sid in SIGNAL_IDS}
    flags = {fid: Confusion() for fid in FLAG_IDS}
    for a in answers:
        result = assess(a.text.strip())
        for sid in SIGNAL_IDS:
            signals[sid].add(result.scores[sid] >= PRESENT_SCORE, sid in a.present, a.id)
        for fid in FLAG_IDS:
            flags[fid].add(fid in result.flags, fid in a.flags, a.id)
    return Agreement(signals, flags)
