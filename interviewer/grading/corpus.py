"""The many-author labeled corpus: answers, two independent label passes, adjudication, and the gold labels.

Pure data handling (pydantic at the file boundary). Used by the training script (`scripts/train_grader.py`),
the tests that guard the held-out-author figures, and `interviewer calibrate` (which ships a small subset).
Layout, under one corpus folder:

    authors.yaml              who wrote what: one entry per author, with the split it belongs to
    answers/<author>.yaml     the author's answers (id, intent, style, incident, text)
    labels/<pass>/<file>.yaml one labeler's labels; passes are independent (A and B)
    adjudicated.yaml          the adjudicator's decisions where the two passes disagreed
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..models import FLAG_IDS, PRESENT_SCORE, SIGNAL_IDS

Klass = Literal["strong", "mixed", "weak"]
PASSES = ("A", "B")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Author(_Strict):
    id: str
    persona: str
    split: Literal["train", "heldout"]


class Answer(_Strict):
    id: str
    intent: Literal["strong", "mixed", "weak", "gaming"]
    style: Literal["spoken", "written"]
    incident: str
    text: str
    author: str = ""


class Label(_Strict):
    id: str
    klass: Klass = Field(alias="class")
    gaming: bool = False
    scores: dict[str, int]
    flags: list[str] = []
    evidence: dict[str, list[str]] = {}
    flag_evidence: dict[str, list[str]] = {}
    labeler: str = ""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("scores")
    @classmethod
    def _all_signals(cls, v: dict[str, int]) -> dict[str, int]:
        if set(v) != set(SIGNAL_IDS) or any(s not in range(5) for s in v.values()):
            raise ValueError("scores must give every signal a score 0-4")
        return v

    @field_validator("flags")
    @classmethod
    def _known_flags(cls, v: list[str]) -> list[str]:
        bad = set(v) - set(FLAG_IDS)
        if bad:
            raise ValueError(f"unknown flags {sorted(bad)}")
        return v

    def evidence_for(self, key: str) -> list[str]:
        return [str(q) for q in (self.evidence.get(key) or self.flag_evidence.get(key) or [])]


class Decision(_Strict):
    """The adjudicator's call on one answer: only the items the passes disagreed on."""

    id: str
    present: dict[str, bool] = {}
    flags: dict[str, bool] = {}
    klass: Klass | None = Field(default=None, alias="class")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


@dataclass
class Gold:
    """What the grader is measured against for one answer."""

    answer: Answer
    score: dict[str, float]  # mean of the passes, 0-4
    present: dict[str, bool]
    flags: set[str]
    klass: Klass
    gaming: bool
    labels: list[Label] = field(default_factory=list)


def _load_list(path: Path) -> list[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a YAML list")
    return data


def load_authors(root: Path) -> list[Author]:
    return [Author.model_validate(a) for a in _load_list(root / "authors.yaml")]


def load_answers(root: Path) -> dict[str, Answer]:
    out: dict[str, Answer] = {}
    for path in sorted((root / "answers").glob("*.yaml")):
        for item in _load_list(path):
            a = Answer.model_validate({**item, "author": path.stem})
            out[a.id] = a
    return out


def load_pass(root: Path, name: str) -> dict[str, Label]:
    out: dict[str, Label] = {}
    for path in sorted((root / "labels" / name).glob("*.yaml")):
        for item in _load_list(path):
            lab = Label.model_validate({**item, "labeler": item.get("labeler") or path.stem})
            out[lab.id] = lab
    return out


def load_decisions(root: Path) -> dict[str, Decision]:
    path = root / "adjudicated.yaml"
    if not path.exists():
        return {}
    return {d.id: d for d in (Decision.model_validate(x) for x in _load_list(path))}


def gold_for(answer: Answer, labels: list[Label], decision: Decision | None) -> Gold:
    """Two passes agree: their call. They disagree: the adjudicator's call; without one, the cautious call."""
    score = {s: sum(lab.scores[s] for lab in labels) / len(labels) for s in SIGNAL_IDS}
    present = {}
    for s in SIGNAL_IDS:
        votes = {lab.scores[s] >= PRESENT_SCORE for lab in labels}
        if len(votes) == 1:
            present[s] = votes.pop()
        elif decision is not None and s in decision.present:
            present[s] = decision.present[s]
        else:
            present[s] = score[s] >= PRESENT_SCORE
    flags = set()
    for f in FLAG_IDS:
        votes = {f in lab.flags for lab in labels}
        if f == "no_prevention":
            on = not present["prevention"]
        elif len(votes) == 1:
            on = votes.pop()
        elif decision is not None and f in decision.flags:
            on = decision.flags[f]
        else:
            on = False
        if on:
            flags.add(f)
    classes = {lab.klass for lab in labels}
    if len(classes) == 1:
        klass = classes.pop()
    elif decision is not None and decision.klass is not None:
        klass = decision.klass
    else:
        klass = "mixed"
    return Gold(
        answer=answer,
        score=score,
        present=present,
        flags=flags,
        klass=klass,
        gaming=any(lab.gaming for lab in labels),
        labels=labels,
    )


def load_gold(root: Path) -> list[Gold]:
    """Every answer that both passes labeled, with its gold labels, in a stable order."""
    answers = load_answers(root)
    passes = [load_pass(root, p) for p in PASSES]
    decisions = load_decisions(root)
    out = []
    for aid, answer in answers.items():
        labels = [p[aid] for p in passes if aid in p]
        if len(labels) == len(PASSES):
            out.append(gold_for(answer, labels, decisions.get(aid)))
    return out


_SPACE = re.compile(r"\s+")


def norm(s: str) -> str:
    return _SPACE.sub(" ", s).strip().lower()


def quote_covers(quote: str, sentence: str) -> bool:
    """Whether a labeler's quote marks this sentence: one contains the other, or they share most words."""
    q, s = norm(quote), norm(sentence)
    if not q or not s:
        return False
    if q in s or s in q:
        return True
    qw, sw = set(q.split()), set(s.split())
    return len(qw & sw) >= 0.7 * min(len(qw), len(sw)) and len(qw & sw) >= 4


# --- agreement --------------------------------------------------------------------------------


@dataclass
class FlagStats:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Agreement:
    n: int
    presence: float  # share of (answer, signal) pairs on the same side of "present"
    mae: float  # mean absolute error on 0-4
    flags: dict[str, FlagStats]
    per_signal: dict[str, float]


def agreement(pred_scores: list[dict[str, float]], pred_flags: list[set[str]], gold: list[Gold]) -> Agreement:
    """How a set of predictions (a grader, or another labeler) agrees with gold labels."""
    same = total = 0
    err = 0.0
    per: dict[str, list[int]] = {s: [0, 0] for s in SIGNAL_IDS}
    flags = {f: FlagStats() for f in FLAG_IDS}
    for ps, pf, g in zip(pred_scores, pred_flags, gold, strict=True):
        for s in SIGNAL_IDS:
            ok = (ps[s] >= PRESENT_SCORE) == g.present[s]
            same += ok
            total += 1
            per[s][0] += ok
            per[s][1] += 1
            err += abs(ps[s] - g.score[s])
        for f in FLAG_IDS:
            st = flags[f]
            if f in pf and f in g.flags:
                st.tp += 1
            elif f in pf:
                st.fp += 1
            elif f in g.flags:
                st.fn += 1
    return Agreement(
        n=len(gold),
        presence=same / total if total else 0.0,
        mae=err / total if total else 0.0,
        flags=flags,
        per_signal={s: a / b if b else 0.0 for s, (a, b) in per.items()},
    )
