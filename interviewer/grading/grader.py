"""The offline grader: detectors -> Assessment (live, for the round engine) -> GradeReport (at the end)."""

from __future__ import annotations

from ..models import (
    FLAG_IDS,
    MAX_SCORE,
    SIGNAL_IDS,
    FlagHit,
    GradeReport,
    Level,
    Overall,
    Rubric,
    SignalScore,
    Turn,
    candidate_text,
)
from . import learned, scoring
from .assessment import Assessment, Entities
from .delivery import delivery_metrics
from .detectors import Hit
from .findings import Findings, SignalResult
from .recognize import SHIPPED, Recognition, observe, recognize

MAX_EVIDENCE = 3  # quotes kept per signal or flag
ENTITY_QUOTE_MAX_CHARS = 140
MAX_ENTITIES = 8


def _quotes(f: Findings, hits: list[Hit], limit: int = MAX_EVIDENCE) -> list[str]:
    """Verbatim sentence or clause quotes around the hits, deduplicated, in text order."""
    out: list[str] = []
    for h in sorted(hits, key=lambda h: h.start):
        q = f.doc.quote(h.start, h.end)
        if q and q not in out:
            out.append(q)
        if len(out) >= limit:
            break
    return out


def _verbatim(f: Findings, hits: list[Hit], limit: int = MAX_ENTITIES) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for h in hits:
        s = h.of(f.doc.text).strip()
        if s and s.lower() not in seen:
            seen.add(s.lower())
            out.append(s)
    return out[:limit]


def _entities(f: Findings, evidence: dict[str, list[str]]) -> Entities:
    # named systems first (a proper name or a modified noun), then plain ones ("the database"), in order
    generic = [
        h
        for h in f.cue_hits.get("generic_system", [])
        if not any(s.start <= h.start < s.end for s in f.systems)
    ]
    systems = _verbatim(f, f.systems + generic)
    quotes = []
    for sid in ("impact", "root_cause", "mitigation", "prevention"):
        for q in evidence.get(sid, [])[:1]:
            if len(q) <= ENTITY_QUOTE_MAX_CHARS and q not in quotes:
                quotes.append(q)
    return Entities(
        systems=systems,
        numbers=_verbatim(f, f.quantities),
        people=_verbatim(f, f.people),
        quotes=quotes,
    )


def _assess(
    text: str, model: learned.GraderModel | None | str = SHIPPED
) -> tuple[Findings, dict[str, SignalResult], Assessment, Recognition]:
    obs = observe(text)
    rec = recognize(obs, model)
    f = obs.findings
    results = rec.results
    evidence = {sid: _quotes(f, results[sid].evidence) for sid in SIGNAL_IDS}
    assessment = Assessment(
        scores={sid: results[sid].score for sid in SIGNAL_IDS},
        evidence=evidence,
        flags={fid: _quotes(f, rec.flags[fid]) for fid in FLAG_IDS if fid in rec.flags},
        entities=_entities(f, evidence),
        time_anchors=[h.of(text) for h in f.times],
        ignored=obs.ignored_quotes,
    )
    return f, results, assessment, rec


def ignored_note(quotes: list[str]) -> str:
    shown = "; ".join(f'"{q[:80]}"' for q in quotes[:3])
    return (
        f"{len(quotes)} sentence(s) were not counted as evidence: they address the grader, claim coverage of "
        f"rubric topics, or list terms without a story ({shown})."
    )


def assess(text: str, model: learned.GraderModel | None | str = SHIPPED) -> Assessment:
    """Run every detector over the candidate's words (`model=None`: the rule detectors alone).

    Returns per-signal scores 0-4 (level-neutral), verbatim evidence, raised flags, entities and time anchors.
    """
    return _assess(text, model)[2]


def summarize(scores: dict[str, int], flags: list[str], result: Overall, level: Level) -> str:
    """A short summary line: overall result, strongest and missing signals, red flags."""
    ranked = sorted(SIGNAL_IDS, key=lambda s: (-scores[s], SIGNAL_IDS.index(s)))
    strong = [s for s in ranked if scores[s] >= 3][:3]
    weak = [s for s in reversed(ranked) if scores[s] < 2][:3]
    parts = [
        f"{result.score:.0f}/100 ({result.letter}, {result.recommendation.value}) judged at {level.value}."
    ]
    parts.append(f"Strongest: {', '.join(strong)}." if strong else "No signal reached a solid level.")
    if weak:
        parts.append(f"Missing or token: {', '.join(weak)}.")
    if flags:
        parts.append(f"Red flags: {', '.join(flags)}.")
    return " ".join(parts)


def grade(turns: list[Turn], rubric: Rubric, level: Level, question: str | None = None) -> GradeReport:
    """Grade the candidate's answers in `turns` against `rubric` as expected at `level`."""
    level = Level(level)
    text = candidate_text(turns)
    _, results, a, rec = _assess(text)
    bands = learned.shipped_bands() if rec.calibrated else None
    scores = scoring.level_adjusted(results, level)
    flag_ids = [fid for fid in FLAG_IDS if fid in a.flags]
    known_signals = {s.id for s in rubric.signals}
    signals = [
        SignalScore(
            id=sid,
            score=scores[sid],
            evidence=a.evidence[sid],
            advice=rubric.signal(sid).advice if scores[sid] < MAX_SCORE else "",
            detector_score=scores[sid],
        )
        for sid in SIGNAL_IDS
        if sid in known_signals
    ]
    result = scoring.overall(scores, flag_ids, rubric, level, bands)
    return GradeReport(
        rubric=rubric.id,
        level=level,
        question=question,
        grader=OfflineGrader.name,
        signals=signals,
        flags=[FlagHit(id=fid, evidence=a.flags[fid]) for fid in flag_ids],
        delivery=delivery_metrics(turns),
        overall=result,
        improvements=scoring.improvements(scores, flag_ids, rubric, level, bands),
        summary=summarize(scores, flag_ids, result, level),
        notes=[n for n in (rec.note, ignored_note(a.ignored) if a.ignored else "") if n],
    )


class OfflineGrader:
    """The default grader: deterministic detectors, no network."""

    name = "offline"

    def grade(
        self, turns: list[Turn], rubric: Rubric, level: Level, question: str | None = None
    ) -> GradeReport:
        return grade(turns, rubric, level, question)
