"""What each section of a report page shows, worked out from a grade: plain values for the templates.

Nothing here builds markup; `templates/sections.html.j2` draws these values, escaping every one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime

from ..clock import clock
from ..grading import assess
from ..models import MAX_SCORE, SIGNAL_IDS, GradeReport, Rubric, SessionMeta, Turn
from . import charts
from .audio import SessionAudio
from .data import HistoryPoint, RetryView
from .evidence import Segment, Span, highlight
from .notes import turn_notes
from .playback import Marker, Piece, TimedWord, answer_timing, pieces


def signal_name(signal_id: str, rubric: Rubric | None) -> str:
    if rubric is not None:
        with contextlib.suppress(KeyError):
            return rubric.signal(signal_id).name
    return signal_id.replace("_", " ").capitalize()


def flag_name(flag_id: str, rubric: Rubric | None) -> str:
    if rubric is not None:
        with contextlib.suppress(KeyError):
            return rubric.flag(flag_id).name
    return flag_id.replace("_", " ").capitalize()


def overall(report: GradeReport, meta: SessionMeta | None, source: str | None, version: int | None) -> dict:
    o = report.overall
    facts: list[tuple[str, str]] = []
    if meta is not None:
        facts += [("Session", meta.id), ("Date", meta.created_at.strftime("%Y-%m-%d %H:%M UTC")),
                  ("Persona", meta.persona), ("Mode", meta.mode)]
    if source:
        facts.append(("Source", source))
    facts += [("Level", report.level.value), ("Rubric", report.rubric), ("Grader", report.grader)]
    if version is not None:
        facts.append(("Grade version", str(version)))
    facts.append(("Graded", report.graded_at.strftime("%Y-%m-%d %H:%M UTC")))
    return {"score": f"{o.score:.0f}", "color": charts.score_color(o.score, 100), "letter": o.letter,
            "rec": o.recommendation.value, "question": report.question or (meta.question if meta else None),
            "summary": report.summary, "notes": report.notes, "facts": facts, "bars": charts.signal_bars(report)}


def improvements(report: GradeReport, rubric: Rubric | None) -> list[dict]:
    return [{"name": signal_name(i.signal, rubric) if i.signal in SIGNAL_IDS else i.signal,
             "gain": f"{i.gain:.0f}", "advice": i.advice} for i in report.improvements]


def _quotes(evidence: Sequence[str], key: str, spans: Sequence[Span]) -> list[dict]:
    """Each quote with the id of its first mark in the transcript ('' when not found verbatim)."""
    anchors = {(sp.key, sp.quote): sp.anchor for sp in spans}
    return [{"text": q, "target": anchors.get((key, q.strip()), "")} for q in evidence]


def signals(report: GradeReport, rubric: Rubric | None, spans: Sequence[Span]) -> list[dict]:
    cards = []
    for s in report.signals:
        anchor_text = ""
        if rubric is not None:
            with contextlib.suppress(KeyError):
                anchor_text = rubric.signal(s.id).anchors.get(s.score, "")
        extra = []
        if s.detector_score is not None:
            extra.append(f"detectors {s.detector_score}")
        if s.llm_score is not None:
            extra.append(f"LLM judge {s.llm_score}")
        cards.append({"id": s.id, "name": signal_name(s.id, rubric), "score": s.score, "max": MAX_SCORE,
                      "color": charts.score_color(s.score), "pips": [i < s.score for i in range(MAX_SCORE)],
                      "extra": ", ".join(extra), "anchor": anchor_text, "quotes": _quotes(s.evidence, s.id, spans),
                      "advice": s.advice if s.advice and s.score < MAX_SCORE else ""})
    return cards


def flags(report: GradeReport, rubric: Rubric | None, spans: Sequence[Span]) -> list[dict]:
    items = []
    for f in report.flags:
        advice = ""
        if rubric is not None:
            with contextlib.suppress(KeyError):
                advice = rubric.flag(f.id).advice
        items.append({"name": flag_name(f.id, rubric), "quotes": _quotes(f.evidence, f"flag-{f.id}", spans),
                      "advice": advice})
    return items


def timeline(text: str, report: GradeReport) -> dict:
    assessment = assess(text)  # the detectors find the time expressions; the grade's quotes place the phases
    return charts.timeline(text, report, assessment.time_anchors, assessment.evidence)


def delivery(report: GradeReport) -> dict:
    d = report.delivery
    stats: list[tuple[str, str, str]] = [("Words", str(d.words), "")]
    if d.talk_seconds is not None:
        stats.append(("Talk time", clock(d.talk_seconds), "all answers"))
    stats.append(("Opening story", clock(d.estimated_seconds),
                  f"target {clock(d.target_seconds)} ({d.length_verdict.replace('_', ' ')})"
                  + ("" if d.talk_seconds is not None else ", estimated at a typical pace")))
    stats.append(("Pace", f"{d.words_per_minute:.0f} wpm" if d.words_per_minute else "n/a",
                  "" if d.words_per_minute else "known with voice timings"))
    stats.append(("Fillers", f"{d.filler_rate:.1f} / 100 words",
                  ", ".join(f"{k} \u00d7{v}" for k, v in sorted(d.fillers.items(), key=lambda kv: -kv[1])) or "none"))
    stats.append(("Long pauses", str(d.long_pauses) if d.long_pauses is not None else "n/a", "over 2 s"))
    ratio = "n/a" if d.i_we_ratio is None else f"{d.i_we_ratio * 100:.0f}% I"
    stats.append(("I vs we", ratio, f"I \u00d7{d.i_count}, we \u00d7{d.we_count}"))
    if d.hedges:
        stats.append(("Hedges", str(sum(d.hedges.values())), ", ".join(f"{k} \u00d7{v}" for k, v in d.hedges.items())))
    return {"stats": stats, "pace": charts.pace_gauge(d.words_per_minute),
            "i_we": charts.i_we_gauge(d.i_count, d.we_count), "note": d.filler_note or ""}


def _time(t: datetime, start: datetime | None) -> str:
    if start is None:
        return ""
    delta = max(0, int((t - start).total_seconds()))
    return f"{t.strftime('%H:%M:%S')} (+{delta // 60}:{delta % 60:02d})"


def _timed_parts(segments: Sequence[Segment], answer: str, timed: Sequence[TimedWord]) -> list[dict]:
    """Each highlighted segment of an answer with its text cut into spoken words (for seeking)."""
    parts, pos = [], 0
    for seg in segments:
        end = pos + len(seg.text)
        cut = pieces(answer, pos, end, timed) if timed else [Piece(seg.text)]
        parts.append({"seg": seg, "pieces": cut})
        pos = end
    return parts


def _strip(markers: Sequence[Marker], seconds: float) -> list[dict]:
    """Markers placed along an answer's audio, as percentages of its length."""
    if seconds <= 0:
        return []
    return [{"kind": m.kind, "at": f"{m.at:.2f}", "label": f"{clock(m.at)} {m.label}",
             "left": f"{min(100.0, 100 * m.at / seconds):.2f}",
             "width": f"{max(0.6, min(100.0, 100 * m.length / seconds)):.2f}"} for m in markers]


def _audio(t: Turn, audio: SessionAudio | None, markers: Sequence[Marker]) -> dict | None:
    if audio is None:
        return None
    q, a = audio.questions.get(t.index), audio.answers.get(t.index)
    if q is None and a is None:
        return None
    return {"q": q.uri if q else "", "a": a.uri if a else "", "seconds": f"{a.seconds:.2f}" if a else "",
            "strip": _strip(markers, a.seconds) if a else []}


def transcript(turns: Sequence[Turn], text: str, spans: Sequence[Span], names: dict[str, str],
               started: datetime | None, audio: SessionAudio | None = None) -> list[dict]:
    """Each turn: the question, and the answer cut into highlighted segments (or why there is none); with
    `audio`, both sides' clips and the answer's words timed for seeking."""
    out, offset = [], 0
    for t in turns:
        answer = t.answer.strip()
        item: dict = {"index": t.index, "round": t.round.value, "q_time": _time(t.asked_at, started),
                      "question": t.question, "missing": "skipped" if t.skipped else "" if answer else "no answer",
                      "parts": [], "a_time": "", "notes": turn_notes(t), "audio": None}
        timed, marks = answer_timing(t) if audio is not None else ([], [])
        item["audio"] = _audio(t, audio, marks)
        if not item["missing"]:
            start = text.find(answer, offset)
            if start < 0:  # should not happen: candidate_text joins the same stripped answers
                segments = [Segment(answer)]
            else:
                segments = highlight(text, start, start + len(answer), spans, names)
                offset = start + len(answer)
            secs = f" \u00b7 {t.answer_seconds:.0f} s" if t.answer_seconds else ""
            playable = item["audio"] is not None and item["audio"]["a"]
            item.update(parts=_timed_parts(segments, answer, timed if playable else []),
                        a_time=_time(t.answered_at, started) + secs)
        out.append(item)
    return out


def history(points: Sequence[HistoryPoint], current_id: str | None, rubric: Rubric | None) -> dict | None:
    if not points:
        return None
    chart_points = [(h.when.strftime("%m-%d %H:%M") + (f" retry {h.attempt}" if h.attempt else ""), h.overall)
                    for h in points]
    current = next((i for i in reversed(range(len(points))) if points[i].session_id == current_id), None)
    rows = []
    for sid in SIGNAL_IDS:
        vals = [float(h.signals[sid]) for h in points if sid in h.signals]
        if not vals:
            continue
        delta = vals[-1] - vals[0]
        rows.append({"name": signal_name(sid, rubric), "spark": charts.sparkline(vals),
                     "trend": "up" if delta > 0 else "down" if delta < 0 else "flat",
                     "text": f"{vals[-1]:.0f} ({delta:+.0f})"})
    retries = sum(1 for h in points if h.attempt)
    return {"chart": charts.line_chart(chart_points, 100, current=current), "single": len(points) == 1,
            "rows": rows, "retries": retries}


def retries(views: Sequence[RetryView], rubric: Rubric | None) -> list[dict]:
    """Each retry: its signal and the overall before and after, the quotes that made the difference, and the
    original answer beside the new one (the original stays in the log and on the page)."""
    out = []
    for v in views:
        delta = v.after_score - (v.before_score or 0)
        out.append({
            "attempt": v.attempt, "name": signal_name(v.signal, rubric), "max": MAX_SCORE,
            "before": "-" if v.before_score is None else str(v.before_score), "after": str(v.after_score),
            "trend": "up" if delta > 0 else "down" if delta < 0 else "flat",
            "color": charts.score_color(v.after_score),
            "overall_before": "-" if v.before_overall is None else f"{v.before_overall:.0f}",
            "overall_after": f"{v.after_overall:.0f}",
            "overall_delta": "" if v.before_overall is None else f"{v.after_overall - v.before_overall:+.0f}",
            "gained": v.gained, "lost": v.lost, "new": v.new,
            "original": [(q, a, v.original_audio[i] if i < len(v.original_audio) else "")
                         for i, (q, a) in enumerate(v.original)],
            "self_rating": v.self_rating,
        })
    return out
