"""Recognition: from the candidate's words to per-signal scores and flags, each resting on verbatim quotes.

`observe` runs what is exact by rule (sentences, times, quantities, names, the cue families) over the text with
grader-directed sentences blanked out; `recognize` lets the learned models (when shipped) decide the scores and
flags from those observations and the sentence embeddings. Pure apart from loading the model once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..models import FLAG_IDS
from . import learned
from .detectors import Hit
from .findings import Findings, SignalResult, analyse, sentence_hit
from .gaming import Ignored, gaming_sentences, masked
from .rule_scores import raise_flags, score_signals
from .text import Doc


@dataclass
class Observation:
    text: str
    ignored: list[Ignored]
    ignored_quotes: list[str]
    findings: Findings  # over the text with ignored sentences blanked
    rules: dict[str, SignalResult]
    rule_flags: dict[str, list[Hit]]


def observe(text: str) -> Observation:
    doc = Doc(text)
    ignored = gaming_sentences(doc)
    clean = masked(doc, ignored) if ignored else text
    f = analyse(clean)
    rules = score_signals(f)
    return Observation(
        text=text,
        ignored=ignored,
        ignored_quotes=[doc.text[slice(*ig.span(doc))].strip() for ig in ignored],
        findings=f,
        rules=rules,
        rule_flags=raise_flags(f, rules),
    )


@dataclass
class Recognition:
    results: dict[str, SignalResult]
    flags: dict[str, list[Hit]]
    calibrated: bool  # True when the learned model decided (and the overall uses its bands)
    note: str = ""  # why the rule detectors alone decided, when the learned model could not run


SHIPPED = "shipped"  # the default model argument: the weights in the package (rules alone if none ship)


def recognize(
    obs: Observation,
    model: learned.GraderModel | None | str = SHIPPED,
    x: np.ndarray | None = None,
    probs: np.ndarray | None = None,
) -> Recognition:
    """Scores and flags for an observed answer; `model=None` asks for the rule detectors alone."""
    if isinstance(model, str):
        model = learned.shipped_model()
    f = obs.findings
    if model is None:
        return Recognition(obs.rules, obs.rule_flags, calibrated=False)
    from .embed import EmbeddingUnavailable

    try:
        pred = learned.predict(model, f, obs.rules, obs.rule_flags, x=x, probs=probs)
    except EmbeddingUnavailable as e:
        return Recognition(obs.rules, obs.rule_flags, calibrated=False,
                           note=f"Graded by the rule detectors alone: {e}.")
    results = {}
    for sid, score in pred.scores.items():
        facts = obs.rules[sid].facts
        results[sid] = SignalResult(score, [sentence_hit(f, i) for i in pred.evidence[sid]], facts)
    flags: dict[str, list[Hit]] = {}
    for fid in FLAG_IDS:
        if fid not in pred.flags:
            continue
        where = [sentence_hit(f, i) for i in pred.flags[fid]]
        if not where:
            where = obs.rule_flags.get(fid) or ([sentence_hit(f, len(f.doc.sentences) - 1)] if f.doc.sentences else [])
        flags[fid] = where
    return Recognition(results, flags, calibrated=True)
