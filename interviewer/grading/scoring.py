"""From per-signal scores to the result: level adjustments, the overall score, letter, recommendation and
the improvements that would help most.

Pure functions over the 0-4 scores (from rule_scores.py or the learned model): `level_adjusted` applies the
level, `overall` and `improvements` apply the rubric's weights, flag penalties and cut-offs.
"""

from __future__ import annotations

from ..models import (
    MAX_SCORE,
    Improvement,
    Level,
    Overall,
    Recommendation,
    Rubric,
)
from .findings import SignalResult

# level multipliers on rubric weights: what each level is judged on most
LEVEL_WEIGHTS: dict[Level, dict[str, float]] = {
    Level.L3: {
        "diagnosis": 1.25,
        "mitigation": 1.25,
        "communication": 0.75,
        "prevention": 0.75,
        "root_cause": 0.9,
    },
    Level.L4: {},
    Level.L5: {"root_cause": 1.15, "communication": 1.15, "prevention": 1.15},
    Level.staff: {"prevention": 1.5, "root_cause": 1.25, "communication": 1.25, "ownership": 1.25},
}
STAFF_NOT_CLASS_WIDE_CAP = 2  # at staff, prevention that stops only this one incident is "present but thin"
L3_LENIENT = ("communication", "prevention")  # at L3 a thin mention of these counts one step higher
FLAG_SIGNAL = {
    "blame": "root_cause",
    "hero": "ownership",
    "conflation": "mitigation",
    "vague": "impact",
    "no_prevention": "prevention",
}
IMPROVEMENT_STEP = 2  # an improvement is judged as raising a signal by this many points
TOP_IMPROVEMENTS = 3


def level_adjusted(results: dict[str, SignalResult], level: Level) -> dict[str, int]:
    """Scores as judged at `level`: staff needs class-wide prevention, L3 gets credit for a thin mention."""
    scores = {sid: r.score for sid, r in results.items()}
    if level is Level.staff and not results["prevention"].facts.get("class_wide"):
        scores["prevention"] = min(scores["prevention"], STAFF_NOT_CLASS_WIDE_CAP)
    if level is Level.L3:
        for sid in L3_LENIENT:
            if 1 <= scores[sid] < MAX_SCORE - 1:
                scores[sid] += 1
    return scores


def weights(rubric: Rubric, level: Level) -> dict[str, float]:
    extra = LEVEL_WEIGHTS.get(level, {})
    return {s.id: s.weight * extra.get(s.id, 1.0) for s in rubric.signals}


def raw_score(scores: dict[str, int], flags: list[str], rubric: Rubric, level: Level) -> float:
    """Weighted signal score on 0-100 minus flag penalties, not yet calibrated or clamped."""
    w = weights(rubric, level)
    total = sum(w.values()) * MAX_SCORE
    raw = sum(w[sid] * scores.get(sid, 0) for sid in w) / total * 100 if total else 0.0
    known = {f.id for f in rubric.flags}
    return raw - sum(rubric.flag(fid).penalty for fid in flags if fid in known)


Bands = tuple[float, float]  # raw scores at the weak/mixed and mixed/strong boundaries
WEAK_CEILING, STRONG_FLOOR = 30.0, 70.0  # where those boundaries land on the 0-100 scale


def calibrated(raw: float, bands: Bands | None) -> float:
    """Map a raw score so the measured class boundaries land at 30 and 70 (piecewise linear, monotone)."""
    if bands is None:
        return raw
    weak, strong = bands
    if not 0 < weak < strong < 100:
        return raw
    if raw <= weak:
        return raw * WEAK_CEILING / weak
    if raw <= strong:
        return WEAK_CEILING + (raw - weak) * (STRONG_FLOOR - WEAK_CEILING) / (strong - weak)
    return STRONG_FLOOR + (raw - strong) * (100 - STRONG_FLOOR) / (100 - strong)


def overall_score(
    scores: dict[str, int], flags: list[str], rubric: Rubric, level: Level, bands: Bands | None = None
) -> float:
    return round(max(0.0, min(100.0, calibrated(raw_score(scores, flags, rubric, level), bands))), 1)


def letter_for(score: float, rubric: Rubric) -> str:
    for letter, cutoff in sorted(rubric.letter_cutoffs.items(), key=lambda kv: -kv[1]):
        if score >= cutoff:
            return letter
    return min(rubric.letter_cutoffs.items(), key=lambda kv: kv[1])[0]


def recommendation_for(score: float, rubric: Rubric) -> Recommendation:
    for rec, cutoff in sorted(rubric.recommendation_cutoffs.items(), key=lambda kv: -kv[1]):
        if score >= cutoff:
            return Recommendation(rec)
    return Recommendation.no_hire


def overall(
    scores: dict[str, int], flags: list[str], rubric: Rubric, level: Level, bands: Bands | None = None
) -> Overall:
    score = overall_score(scores, flags, rubric, level, bands)
    return Overall(
        score=score, letter=letter_for(score, rubric), recommendation=recommendation_for(score, rubric)
    )


def improvements(
    scores: dict[str, int], flags: list[str], rubric: Rubric, level: Level, bands: Bands | None = None
) -> list[Improvement]:
    """The signals whose improvement would raise the overall score most, with the estimated gain.

    Gains are measured before clamping to 0-100, so a very weak answer still learns what would help most.
    """
    base = calibrated(raw_score(scores, flags, rubric, level), bands)
    out: list[Improvement] = []
    for s in rubric.signals:
        if scores.get(s.id, 0) >= MAX_SCORE:
            continue
        better = dict(scores)
        better[s.id] = min(MAX_SCORE, scores.get(s.id, 0) + IMPROVEMENT_STEP)
        cleared = [fid for fid in flags if FLAG_SIGNAL.get(fid) != s.id]
        gain = calibrated(raw_score(better, cleared, rubric, level), bands) - base
        if gain <= 0:
            continue
        advice = s.advice
        for fid in flags:
            if FLAG_SIGNAL.get(fid) == s.id and any(f.id == fid for f in rubric.flags):
                advice = f"{advice} {rubric.flag(fid).advice}"
        out.append(Improvement(signal=s.id, advice=advice, gain=round(gain, 1)))
    out.sort(key=lambda i: -i.gain)
    return out[:TOP_IMPROVEMENTS]
