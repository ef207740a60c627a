"""Numbers the learned grader reads: per sentence (embedding, cue families, words, length) and per answer.

Shared by inference (`learned.py`) and training (`scripts/train_grader.py`), so both see the same features.
"""

from __future__ import annotations

import math
import re
import zlib

import numpy as np

from ..models import SIGNAL_IDS
from .findings import CUES, Findings, SignalResult

# cue families found by the rule detectors, one binary column each, in a fixed order
CUE_NAMES: tuple[str, ...] = (*sorted(CUES), "time", "qty", "blame", "hero", "system", "person")
SENTENCE_TARGETS: tuple[str, ...] = (*SIGNAL_IDS, "blame", "hero", "conflation")
N_EXTRA = 1


def cue_matrix(f: Findings) -> np.ndarray:
    """One row per sentence: which cue families fired in it, and its length."""
    n = len(f.doc.sentences)
    index = {name: k for k, name in enumerate(CUE_NAMES)}
    x = np.zeros((n, len(CUE_NAMES) + N_EXTRA), dtype=np.float32)
    for i, cues in enumerate(f.sentence_cues):
        for name in cues:
            if name in index:
                x[i, index[name]] = 1.0
    for kind in ("blame", "hero"):
        for h in f.cue_hits.get(kind, []):
            x[f.doc.sentence_index(h.start), index[kind]] = 1.0
    for kind, hits in (("system", f.systems), ("person", f.people)):
        for h in hits:
            x[f.doc.sentence_index(h.start), index[kind]] = 1.0
    base = len(CUE_NAMES)
    for i, span in enumerate(f.doc.sentences):
        # no position features: a sentence means the same wherever a speaker puts it (or when it stands alone)
        x[i, base] = math.log1p(len(span.of(f.doc.text).split())) / 4.0
    return x


BOW_DIM = 512
_TOKEN = re.compile(r"[a-z][a-z']+|\d+")


def _bucket(token: str) -> int:
    return zlib.crc32(token.encode()) % BOW_DIM


def bow_matrix(sentences: list[str]) -> np.ndarray:
    """Hashed lower-case word unigrams and bigrams per sentence (binary), for stance words like "should have"."""
    x = np.zeros((len(sentences), BOW_DIM), dtype=np.float32)
    for i, s in enumerate(sentences):
        words = _TOKEN.findall(s.lower())
        for w in words:
            x[i, _bucket(w)] = 1.0
        for a, b in zip(words, words[1:], strict=False):
            x[i, _bucket(f"{a} {b}")] = 1.0
    return x


def _top(p: np.ndarray, k: int) -> float:
    if p.size == 0:
        return 0.0
    return float(np.sort(p)[::-1][:k].mean())


def answer_vector(p: np.ndarray, rule: SignalResult, f: Findings) -> np.ndarray:
    """Answer-level features for one signal from its own sentence probabilities and the rule scorer's view.

    Only this signal's sentences count: a sentence that is no evidence for a signal cannot move it (so text
    tacked on for another signal's sake does not leak into this one).
    """
    words = max(f.words, 1)
    return np.array(
        [
            1.0,
            float(p.max()) if p.size else 0.0,
            _top(p, 2),
            _top(p, 3),
            min(float(p.sum()), 6.0) / 3.0,
            float((p >= 0.5).sum()) / 3.0,
            float((p >= 0.25).sum()) / 3.0,
            rule.score / 4.0,
            1.0 if rule.score >= 2 else 0.0,
            math.log1p(words) / 6.0,
            min(len(f.times), 8) / 4.0,
            min(len(f.quantities), 8) / 4.0,
        ],
        dtype=np.float64,
    )


N_ANSWER = 12


def flag_vector(p_flag: np.ndarray, rule_hit: bool, scores: dict[str, float], f: Findings) -> np.ndarray:
    """Answer-level features for blame, hero and conflation."""
    fixes = len(f.cue_hits.get("fix", []))
    return np.array(
        [
            1.0,
            float(p_flag.max()) if p_flag.size else 0.0,
            _top(p_flag, 2),
            min(float(p_flag.sum()), 4.0) / 2.0,
            1.0 if rule_hit else 0.0,
            min(fixes, 6) / 3.0,
            1.0 if f.cue_hits.get("fix_distinct") else 0.0,
            scores["mitigation"] / 4.0,
            scores["ownership"] / 4.0,
            scores["root_cause"] / 4.0,
        ],
        dtype=np.float64,
    )


N_FLAG = 10


def vague_vector(scores: dict[str, float], f: Findings, rule_vague: bool) -> np.ndarray:
    return np.array(
        [
            1.0,
            scores["impact"] / 4.0,
            scores["timeline"] / 4.0,
            scores["detection"] / 4.0,
            1.0 if (f.systems or f.cue_hits.get("generic_system")) else 0.0,
            min(len(f.quantities), 6) / 3.0,
            min(len(f.times), 6) / 3.0,
            math.log1p(max(f.words, 1)) / 6.0,
            1.0 if rule_vague else 0.0,
        ],
        dtype=np.float64,
    )


N_VAGUE = 9
