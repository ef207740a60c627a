"""Self-contained HTML reports: one page per graded session or answer, and an index page per batch.

Nothing is loaded from the network: CSS, the small script and every chart (SVG) are inline, and a
Content-Security-Policy forbids fetching anything and runs only the page's own script (by a nonce made fresh
for every page). The pages are Jinja2 templates (`templates/`) with autoescaping on, so everything that comes
from a candidate, a file name, a rubric or an LLM is escaped where it is printed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import quote as urlquote

from markupsafe import Markup

from ..models import SIGNAL_IDS, GradeReport, Rubric, SessionMeta, Turn, candidate_text
from . import sections
from .audio import SessionAudio
from .charts import score_color, sparkline_svg, timeline_svg
from .data import BatchRow, HistoryPoint, RetryView
from .evidence import Segment, Span, evidence_spans, highlight, locate
from .sections import flag_name, signal_name
from .templating import CSP, asset, new_nonce, render

__all__ = [
    "BatchRow", "HistoryPoint", "RetryView", "Segment", "Span", "evidence_spans", "flag_name", "highlight", "locate",
    "render_batch_index", "render_history_page", "render_html", "score_color", "signal_name", "sparkline_svg",
    "timeline_svg",
]

SHORT_NAMES = {"detection": "detect", "mitigation": "mitig.", "diagnosis": "diagn.", "root_cause": "root",
               "communication": "comms", "ownership": "owner", "prevention": "prevent", "reflection": "reflect"}


def _page(template: str, title: str, script: str, back: tuple[str, str] | None = None, **context: object) -> str:
    nonce = new_nonce()
    csp = Markup(CSP.format(nonce=nonce))  # our constant and a base64 nonce: printed as is, quotes and all
    return render(template, title=title, csp=csp, nonce=nonce, css=asset("report.css"),
                  script=asset(script), back={"href": urlquote(back[0]), "label": back[1]} if back else None,
                  **context)


def render_html(
    report: GradeReport,
    turns: Sequence[Turn],
    *,
    title: str = "Interview report",
    meta: SessionMeta | None = None,
    source: str | None = None,
    rubric: Rubric | None = None,
    history: Sequence[HistoryPoint] = (),
    warnings: Iterable[str] = (),
    version: int | None = None,
    back: tuple[str, str] | None = None,
    audio: SessionAudio | None = None,
    retries: Sequence[RetryView] = (),
) -> str:
    """One self-contained page for a graded session or answer; `back` is an optional (href, label) link.

    With `audio` (see `report.audio.session_audio`) each turn carries both sides' clips, and quotes and
    transcript words play the answer from where they were said."""
    turns = list(turns)
    text = candidate_text(turns)
    spans, _missing = evidence_spans(text, report)
    names = {s.id: signal_name(s.id, rubric) for s in report.signals}
    names.update({f"flag-{f.id}": f"red flag: {flag_name(f.id, rubric)}" for f in report.flags})
    started = meta.created_at if meta is not None else None
    return _page(
        "report.html.j2", title, "report.js", back,
        warnings=[*warnings, *(audio.warnings if audio else [])],
        overall=sections.overall(report, meta, source, version),
        retries=sections.retries(retries, rubric),
        improvements=sections.improvements(report, rubric),
        signals=sections.signals(report, rubric, spans),
        flags=sections.flags(report, rubric, spans),
        timeline=sections.timeline(text, report),
        delivery=sections.delivery(report),
        transcript=sections.transcript(turns, text, spans, names, started, audio),
        history=sections.history(history, meta.id if meta else None, rubric),
    )


def render_history_page(points: Sequence[HistoryPoint], *, rubric: Rubric | None = None,
                        title: str = "Progress across sessions") -> str:
    """A page with only the history charts (`interviewer history --html`)."""
    current = points[-1].session_id if points else None
    return _page("history.html.j2", title, "report.js", history=sections.history(points, current, rubric))


def _batch_row(r: BatchRow) -> dict:
    row: dict = {"source": r.source, "link": urlquote(r.link) if r.link else "",
                 "seconds": f"{r.audio_seconds:.0f}" if r.audio_seconds else "", "error": None}
    if r.report is None:
        row["error"] = r.error or "unknown"
        return row
    rep = r.report
    scores = {s.id: s.score for s in rep.signals}
    row.update(
        score=f"{rep.overall.score:.0f}", color=score_color(rep.overall.score, 100), letter=rep.overall.letter,
        rec=rep.overall.recommendation.value.replace("_", " "),
        cells=[{"score": scores[s], "color": score_color(scores[s])} if s in scores else None for s in SIGNAL_IDS],
        flags=", ".join(f.id.replace("_", " ") for f in rep.flags),
    )
    return row


def render_batch_index(rows: Sequence[BatchRow], *, title: str = "Batch grading", rubric: Rubric | None = None,
                       generated_at: datetime | None = None) -> str:
    """The batch index: one row per input with its signal scores, flags and a link to its page."""
    ok = [r.report for r in rows if r.report is not None]
    means = None
    if ok:
        signal_means = [sum(s.score for rep in ok for s in rep.signals if s.id == sid) / len(ok) for sid in SIGNAL_IDS]
        overall = sum(rep.overall.score for rep in ok) / len(ok)
        means = {"score": f"{overall:.0f}", "color": score_color(overall, 100),
                 "cells": [{"score": f"{m:.1f}", "color": score_color(m)} for m in signal_means]}
    columns = [{"title": signal_name(s, rubric), "short": SHORT_NAMES.get(s, s)} for s in SIGNAL_IDS]
    return _page("batch.html.j2", title, "batch.js", rows=[_batch_row(r) for r in rows], columns=columns,
                 graded=len(ok), failed=len(rows) - len(ok), means=means,
                 generated=generated_at.strftime("%Y-%m-%d %H:%M UTC") if generated_at else "")
