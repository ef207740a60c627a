"""Measure the grader against gold labels: the figures the tests guard and the README reports.

`prepare` observes one labeled answer once (rules, sentences, labels per sentence); `predict_all` grades a set
with a given model; `score_report` turns predictions into agreement, flag precision and recall, calibration
bands and pairwise order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product

import numpy as np

from ..models import SIGNAL_IDS, Level, Rubric
from . import corpus as cp
from . import features as ft
from . import learned as ln
from . import scoring
from .recognize import Observation, observe, recognize

LEVEL = Level.L5  # bands and figures are measured at the grade command's level
STRONG_MIN, WEAK_MAX = 70.0, 30.0


@lru_cache(maxsize=1)
def default_rubric() -> Rubric:
    from ..catalog import load_catalog

    return load_catalog(None).rubric()


@dataclass
class Prepared:
    gold: cp.Gold
    obs: Observation
    sentences: list[str]
    targets: np.ndarray  # (sentences, SENTENCE_TARGETS): share of labelers who quoted the sentence for it
    embeddings: np.ndarray | None = None
    _inputs: dict = field(default_factory=dict)

    @property
    def findings(self):
        return self.obs.findings

    @property
    def rules(self):
        return self.obs.rules

    @property
    def rule_flags(self):
        return self.obs.rule_flags

    def inputs(self, variant: str) -> np.ndarray:
        """The sentence features of a model variant ("cues", "emb+cues", "ctx+cues", "ctx+cues+bow"), once."""
        if variant not in self._inputs:
            use_embedding = variant != "cues"
            assert self.embeddings is not None or not use_embedding, "embeddings not computed"
            self._inputs[variant] = ln.sentence_inputs(
                self.findings, use_embedding, self.embeddings,
                context=variant.startswith("ctx"), bow=variant.endswith("+bow"),
            )
        return self._inputs[variant]


def prepare(gold: cp.Gold) -> Prepared:
    obs = observe(gold.answer.text)
    f = obs.findings
    sentences = [f.doc.sentence_text(i) for i in range(len(f.doc.sentences))]
    targets = np.zeros((len(sentences), len(ft.SENTENCE_TARGETS)))
    for lab in gold.labels:
        for t, key in enumerate(ft.SENTENCE_TARGETS):
            quotes = lab.evidence_for(key)
            for i, s in enumerate(sentences):
                if any(cp.quote_covers(q, s) for q in quotes):
                    targets[i, t] += 1.0 / len(gold.labels)
    return Prepared(gold=gold, obs=obs, sentences=sentences, targets=targets)


@dataclass
class Graded:
    scores: dict[str, int]
    flags: set[str]
    overall: float


def variant_of(model: ln.GraderModel) -> str:
    if not model.use_embedding:
        return "cues"
    name = "ctx+cues" if model.meta.get("context") else "emb+cues"
    return name + "+bow" if model.meta.get("bow") else name


def grade_prepared(model: ln.GraderModel | None, p: Prepared) -> Graded:
    rec = recognize(p.obs, model, x=p.inputs(variant_of(model)) if model else None)
    scores = {s: r.score for s, r in rec.results.items()}
    return Graded(scores, set(rec.flags), overall_for(scores, list(rec.flags), model))


def overall_for(scores: dict[str, int], flags: list[str], model: ln.GraderModel | None) -> float:
    bands = model.bands if model is not None else None
    return scoring.overall_score(scores, flags, default_rubric(), LEVEL, bands)


def raw_overall(pred: ln.Prediction) -> float:
    return scoring.raw_score(pred.scores, list(pred.flags), default_rubric(), LEVEL)


def predict_all(model: ln.GraderModel | None, items: list[Prepared]) -> list[Graded]:
    return [grade_prepared(model, p) for p in items]


def _pairwise(items: list[tuple[str, float]], hi: str, lo: str) -> float | None:
    his = [v for k, v in items if k == hi]
    los = [v for k, v in items if k == lo]
    if not his or not los:
        return None
    return round(sum(a > b for a, b in product(his, los)) / (len(his) * len(los)), 3)


def score_report(preds: list[Graded], items: list[Prepared], model: ln.GraderModel | None) -> dict:
    """Agreement with gold, flag precision/recall, overall bands and pairwise order for a set of answers."""
    gold = [p.gold for p in items]
    ag = cp.agreement([{s: float(v) for s, v in g.scores.items()} for g in preds], [g.flags for g in preds], gold)
    by_class = [(p.gold.klass, g.overall) for p, g in zip(items, preds, strict=True)]
    strong = [v for k, v in by_class if k == "strong"]
    weak = [v for k, v in by_class if k == "weak"]
    mixed = [v for k, v in by_class if k == "mixed"]
    return {
        "answers": ag.n,
        "authors": len({p.gold.answer.author for p in items}),
        "presence": round(ag.presence, 3),
        "mae": round(ag.mae, 3),
        "per_signal": {s: round(v, 3) for s, v in ag.per_signal.items()},
        "flags": {
            f: {"precision": round(st.precision, 3), "recall": round(st.recall, 3), "gold": st.tp + st.fn}
            for f, st in ag.flags.items()
        },
        "bands": {
            "strong_at_least_70": round(sum(v >= STRONG_MIN for v in strong) / len(strong), 3) if strong else None,
            "weak_at_most_30": round(sum(v <= WEAK_MAX for v in weak) / len(weak), 3) if weak else None,
            "mixed_between": round(sum(WEAK_MAX < v < STRONG_MIN for v in mixed) / len(mixed), 3) if mixed else None,
            "mean": {k: round(float(np.mean(v)), 1) for k, v in (("strong", strong), ("mixed", mixed), ("weak", weak)) if v},
        },
        "pairwise": {
            "strong_over_weak": _pairwise(by_class, "strong", "weak"),
            "strong_over_mixed": _pairwise(by_class, "strong", "mixed"),
            "mixed_over_weak": _pairwise(by_class, "mixed", "weak"),
        },
        "signals": list(SIGNAL_IDS),
    }
