"""The learned part of the offline grader: small linear models over sentence embeddings and rule cues.

Per sentence, a logistic model per signal (and for blame, hero, conflation) gives the chance that the sentence
is evidence for it; per answer, a linear model turns those chances plus the rule scorer's view into a 0-4
score, and thresholds decide presence and flags. Trained by `scripts/train_grader.py` on the many-author corpus
(`tests/data/corpus`), split by author; the weights ship as `model/grader.npz` (about 70 kB).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..models import FLAG_IDS, MAX_SCORE, PRESENT_SCORE, SIGNAL_IDS
from . import features as ft
from .findings import Findings, SignalResult

MODEL_FILE = Path(__file__).resolve().parent / "model" / "grader.npz"
EVIDENCE_P = 0.5  # a sentence at least this likely is quoted as evidence
FALLBACK_P = 0.05  # a scored signal with no sentence above EVIDENCE_P quotes its best one if at least this
MAX_QUOTED = 3
LEARNED_FLAGS = ("blame", "hero", "conflation")


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


@dataclass
class GraderModel:
    use_embedding: bool
    sent_w: np.ndarray  # (targets, features)
    sent_b: np.ndarray  # (targets,)
    ans_w: np.ndarray  # (signals, N_ANSWER): linear score model
    tau: np.ndarray  # (signals,): presence threshold on the linear score
    flag_w: np.ndarray  # (3, N_FLAG): logistic, for LEARNED_FLAGS
    flag_t: np.ndarray  # (3,)
    vague_w: np.ndarray  # (N_VAGUE,)
    vague_t: float
    bands: tuple[float, float]  # raw overall at the weak/mixed and mixed/strong boundaries
    meta: dict

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            use_embedding=np.array(self.use_embedding),
            sent_w=self.sent_w.astype(np.float32),
            sent_b=self.sent_b.astype(np.float32),
            ans_w=self.ans_w,
            tau=self.tau,
            flag_w=self.flag_w,
            flag_t=self.flag_t,
            vague_w=self.vague_w,
            vague_t=np.array(self.vague_t),
            bands=np.array(self.bands),
            meta=np.array(json.dumps(self.meta)),
        )

    @classmethod
    def load(cls, path: Path) -> GraderModel:
        with np.load(path, allow_pickle=False) as z:
            return cls(
                use_embedding=bool(z["use_embedding"]),
                sent_w=z["sent_w"].astype(np.float64),
                sent_b=z["sent_b"].astype(np.float64),
                ans_w=z["ans_w"],
                tau=z["tau"],
                flag_w=z["flag_w"],
                flag_t=z["flag_t"],
                vague_w=z["vague_w"],
                vague_t=float(z["vague_t"]),
                bands=tuple(float(b) for b in z["bands"]),
                meta=json.loads(str(z["meta"])),
            )


@lru_cache(maxsize=1)
def shipped_model() -> GraderModel | None:
    """The trained weights in the package, or None before the first training run."""
    return GraderModel.load(MODEL_FILE) if MODEL_FILE.exists() else None


def shipped_bands() -> tuple[float, float] | None:
    """Where the shipped model puts the weak/mixed and mixed/strong boundaries on the raw scale."""
    model = shipped_model()
    return model.bands if model is not None else None


# embeddings are unit vectors of 384 parts, cues are 0/1: scaled up so the shared penalty does not starve them
EMBEDDING_SCALE = 5.0


def scaled(embeddings: np.ndarray) -> np.ndarray:
    return embeddings.astype(np.float64) * EMBEDDING_SCALE


def with_context(embeddings: np.ndarray) -> np.ndarray:
    """Each sentence's embedding beside the mean of its neighbours' (evidence often spans two sentences)."""
    e = scaled(embeddings)
    if len(e) == 0:
        return np.zeros((0, 2 * e.shape[1] if e.ndim == 2 else 0))
    prev = np.vstack([e[:1] * 0, e[:-1]])
    nxt = np.vstack([e[1:], e[:1] * 0])
    count = np.ones((len(e), 1)) * 2
    count[0] -= 1
    count[-1] -= 1
    ctx = (prev + nxt) / np.maximum(count, 1)
    return np.hstack([e, ctx])


def sentence_inputs(f: Findings, use_embedding: bool, embeddings: np.ndarray | None = None,
                    context: bool = False, bow: bool = False) -> np.ndarray:
    cues = ft.cue_matrix(f).astype(np.float64)
    if not use_embedding:
        return cues
    sentences = [f.doc.sentence_text(i) for i in range(len(f.doc.sentences))]
    if embeddings is None:
        from .embed import embedder

        embeddings = embedder().embed(sentences)
    e = with_context(embeddings) if context else scaled(embeddings)
    parts = [e, cues]
    if bow:
        parts.append(ft.bow_matrix(sentences).astype(np.float64))
    return np.hstack(parts)


def sentence_probs(model: GraderModel, x: np.ndarray) -> np.ndarray:
    """(sentences, targets) probabilities; targets in features.SENTENCE_TARGETS order."""
    if x.shape[0] == 0:
        return np.zeros((0, len(ft.SENTENCE_TARGETS)))
    return sigmoid(x @ model.sent_w.T + model.sent_b)


@dataclass
class Prediction:
    raw: dict[str, float]  # the linear score per signal, before rounding
    scores: dict[str, int]
    evidence: dict[str, list[int]]  # sentence indices, best first
    flags: dict[str, list[int]]  # raised flags with their sentence indices (may be empty)
    probs: np.ndarray


def integer_score(raw: float, present: bool) -> int:
    s = int(round(min(max(raw, 0.0), MAX_SCORE)))
    return max(s, PRESENT_SCORE) if present else min(s, PRESENT_SCORE - 1)


def _evidence(p: np.ndarray) -> list[int]:
    order = [int(i) for i in np.argsort(-p, kind="stable")]
    picked = [i for i in order if p[i] >= EVIDENCE_P][:MAX_QUOTED]
    if not picked and order and p[order[0]] >= FALLBACK_P:
        picked = order[:1]
    return picked


def predict(
    model: GraderModel,
    f: Findings,
    rules: dict[str, SignalResult],
    rule_flags: dict[str, list],
    x: np.ndarray | None = None,
    probs: np.ndarray | None = None,
) -> Prediction:
    if probs is None:
        if x is None:
            x = sentence_inputs(f, model.use_embedding, context=model.meta.get("context", False),
                                bow=model.meta.get("bow", False))
        probs = sentence_probs(model, x)
    raw: dict[str, float] = {}
    scores: dict[str, int] = {}
    evidence: dict[str, list[int]] = {}
    for k, sid in enumerate(SIGNAL_IDS):
        p = probs[:, k]
        value = float(ft.answer_vector(p, rules[sid], f) @ model.ans_w[k])
        present = value >= model.tau[k]
        picked = _evidence(p)
        if sid == "timeline":
            # time anchors the rules find exactly come first; the model adds the ones said in other words
            timed = sorted({f.doc.sentence_index(h.start) for h in rules[sid].evidence})
            picked = list(dict.fromkeys(timed + picked))[:MAX_QUOTED]
        score = integer_score(value, present)
        if score == 0 and picked and p[picked[0]] >= EVIDENCE_P:
            score = 1  # a sentence that plainly shows the signal is at least a token mention
        if not picked:
            score = 0  # no verbatim quote, no score
        raw[sid] = value
        scores[sid] = score
        evidence[sid] = picked if score > 0 else []
    flags: dict[str, list[int]] = {}
    fscores = {s: float(v) for s, v in scores.items()}
    for j, fid in enumerate(LEARNED_FLAGS):
        p = probs[:, len(SIGNAL_IDS) + j]
        v = ft.flag_vector(p, fid in rule_flags, fscores, f)
        if float(sigmoid(v @ model.flag_w[j])) >= model.flag_t[j]:
            where = [int(i) for i in np.argsort(-p, kind="stable")[:2] if p[i] >= FALLBACK_P]
            if not where and fid in rule_flags:
                where = sorted({f.doc.sentence_index(h.start) for h in rule_flags[fid]})[:2]
            if where:
                flags[fid] = where
    v = ft.vague_vector(fscores, f, "vague" in rule_flags)
    if f.doc.sentences and float(sigmoid(v @ model.vague_w)) >= model.vague_t:
        flags["vague"] = []
    if scores["prevention"] < PRESENT_SCORE and f.doc.sentences:
        flags["no_prevention"] = []
    ordered = {fid: flags[fid] for fid in FLAG_IDS if fid in flags}
    return Prediction(raw=raw, scores=scores, evidence=evidence, flags=ordered, probs=probs)
