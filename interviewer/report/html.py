"""Self-contained HTML reports: one page per graded session or answer, and an index page per batch.

Nothing is loaded from the network: CSS, the small script and every chart (SVG) are inline, and a
Content-Security-Policy forbids fetching anything. Everything that comes from a candidate, a file name or an
LLM is escaped before it reaches the page.
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote as urlquote

from ..grading import assess
from ..models import (
    MAX_SCORE,
    SIGNAL_IDS,
    GradeReport,
    Rubric,
    SessionMeta,
    Turn,
    candidate_text,
)

TIMELINE_PHASES: tuple[tuple[str, str], ...] = (
    ("detection", "Detection"),
    ("mitigation", "Mitigation"),
    ("root_cause", "Root cause"),
    ("prevention", "Prevention"),
)
DOT = " \u00b7 "
ANCHOR_NEAR_CHARS = 120  # a time expression this close to a phase's quote is drawn on that phase
QUOTE_LINE_CHARS = 34  # characters per line of a quote excerpt under a timeline marker
PACE_BAND = (120.0, 170.0)  # comfortable speaking pace, words per minute
PACE_SCALE = (60.0, 240.0)
MAX_TIMELINE_ANCHORS = 2  # per phase
SCORE_COLORS = ("#c0392b", "#e67e22", "#d4ac0d", "#7dad3a", "#1e8449")
SHORT_NAMES = {"detection": "detect", "mitigation": "mitig.", "diagnosis": "diagn.", "root_cause": "root",
               "communication": "comms", "ownership": "owner", "prevention": "prevent", "reflection": "reflect"}
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


@dataclass(frozen=True)
class HistoryPoint:
    """One graded session in the history charts."""

    session_id: str
    when: datetime
    overall: float
    signals: dict[str, int]
    label: str = ""  # e.g. the persona


@dataclass
class BatchRow:
    """One graded input on a batch index page."""

    source: str
    report: GradeReport | None = None
    error: str | None = None
    link: str | None = None  # the per-answer page, relative to the index
    audio_seconds: float | None = None
    extra: dict[str, str] = field(default_factory=dict)


def esc(value: object) -> str:
    """Escape any value for HTML text and attribute context."""
    return html.escape(str(value), quote=True)


def signal_name(signal_id: str, rubric: Rubric | None) -> str:
    if rubric is not None:
        try:
            return rubric.signal(signal_id).name
        except KeyError:
            pass
    return signal_id.replace("_", " ").capitalize()


def _flag_name(flag_id: str, rubric: Rubric | None) -> str:
    if rubric is not None:
        try:
            return rubric.flag(flag_id).name
        except KeyError:
            pass
    return flag_id.replace("_", " ").capitalize()


def score_color(score: float, top: float = MAX_SCORE) -> str:
    idx = round(max(0.0, min(1.0, score / top)) * (len(SCORE_COLORS) - 1))
    return SCORE_COLORS[idx]


# --- evidence spans ----------------------------------------------------------------------


@dataclass
class Span:
    start: int
    end: int
    key: str  # "impact", ..., or "flag-blame"
    quote: str = ""
    anchor: str = ""  # element id of the mark where this span starts


def locate(text: str, quote: str) -> int:
    """Offset of a verbatim quote in the transcript, or -1."""
    q = quote.strip()
    return text.find(q) if q else -1


def evidence_spans(text: str, report: GradeReport) -> tuple[list[Span], list[tuple[str, str]]]:
    """Spans of every evidence quote (signals and flags); also the quotes not found verbatim."""
    spans: list[Span] = []
    missing: list[tuple[str, str]] = []
    items = [(s.id, q) for s in report.signals for q in s.evidence]
    items += [(f"flag-{f.id}", q) for f in report.flags for q in f.evidence]
    anchors: dict[int, str] = {}
    for key, q in items:
        pos = locate(text, q)
        if pos < 0:
            missing.append((key, q))
            continue
        anchor = anchors.setdefault(pos, f"ev-{len(anchors)}")
        spans.append(Span(pos, pos + len(q.strip()), key, q.strip(), anchor))
    return spans, missing


def highlight(text: str, start: int, end: int, spans: Sequence[Span], names: dict[str, str]) -> str:
    """Escaped text[start:end] with every evidence span inside it wrapped in <mark>; overlaps nest as sets."""
    cuts = {start, end}
    for s in spans:
        if s.end > start and s.start < end:
            cuts.update(c for c in (s.start, s.end) if start < c < end)
    bounds = sorted(cuts)
    out: list[str] = []
    placed: set[str] = set()
    for a, b in zip(bounds, bounds[1:], strict=False):
        covering = [s for s in spans if s.start <= a and b <= s.end]
        piece = esc(text[a:b])
        if not covering:
            out.append(piece)
            continue
        keys = sorted({s.key for s in covering})
        anchor = next((s.anchor for s in covering if s.start == a and s.anchor not in placed), "")
        placed.add(anchor)
        cls = "ev flagged" if any(k.startswith("flag-") for k in keys) else "ev"
        title = ", ".join(names.get(k, k) for k in keys)
        id_attr = f' id="{esc(anchor)}"' if anchor else ""
        out.append(f'<mark class="{cls}"{id_attr} data-k="{esc(" ".join(keys))}" title="{esc(title)}">{piece}</mark>')
    return "".join(out)


# --- sections ----------------------------------------------------------------------------


def _overall(report: GradeReport, meta: SessionMeta | None, source: str | None, version: int | None) -> str:
    o = report.overall
    rec = o.recommendation.value
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
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts)
    question = report.question or (meta.question if meta else None)
    qhtml = f'<p class="question">&ldquo;{esc(question)}&rdquo;</p>' if question else ""
    notes = "".join(f"<li>{esc(n)}</li>" for n in report.notes)
    notes_html = f'<ul class="notes">{notes}</ul>' if notes else ""
    return f"""
<section id="overall" class="card overall">
  <div class="big" style="--c:{score_color(o.score, 100)}">
    <div class="score">{o.score:.0f}<small>/100</small></div>
    <div class="letter">{esc(o.letter)}</div>
    <div class="rec rec-{esc(rec)}">{esc(rec.replace("_", " "))}</div>
  </div>
  <div class="about">
    {qhtml}
    <p class="summary">{esc(report.summary)}</p>
    {notes_html}
    <dl>{dl}</dl>
  </div>
  <div class="bars">{_signal_bars_svg(report)}</div>
</section>"""


def _signal_bars_svg(report: GradeReport) -> str:
    row_h, label_w, bar_w = 22, 110, 160
    rows = []
    for i, s in enumerate(report.signals):
        y = i * row_h
        w = bar_w * s.score / MAX_SCORE
        rows.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{esc(s.id.replace("_", " "))}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="14" rx="3" class="track"/>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="14" rx="3" fill="{score_color(s.score)}"/>'
            f'<text x="{label_w + bar_w + 6}" y="{y + 15}">{s.score}</text>'
        )
    h = row_h * len(report.signals)
    return (f'<svg class="chart" viewBox="0 0 {label_w + bar_w + 24} {h}" role="img" '
            f'aria-label="signal scores">{"".join(rows)}</svg>')


def _signals(report: GradeReport, rubric: Rubric | None, spans: Sequence[Span]) -> str:
    cards = []
    anchors = {(sp.key, sp.quote): sp.anchor for sp in spans}
    for s in report.signals:
        anchor_text = ""
        if rubric is not None:
            with contextlib.suppress(KeyError):
                anchor_text = rubric.signal(s.id).anchors.get(s.score, "")
        quotes = []
        for q in s.evidence:
            target = anchors.get((s.id, q.strip()), "")
            if not target:
                quotes.append(f'<li class="missing" title="not found verbatim in the transcript">'
                              f'&ldquo;{esc(q)}&rdquo;</li>')
            else:
                quotes.append(f'<li><a href="#{esc(target)}">&ldquo;{esc(q)}&rdquo;</a></li>')
        quotes_html = f'<ul class="quotes">{"".join(quotes)}</ul>' if quotes else '<p class="none">No evidence.</p>'
        pips = "".join(
            f'<span class="pip{" on" if i < s.score else ""}" style="--c:{score_color(s.score)}"></span>'
            for i in range(MAX_SCORE)
        )
        extra = []
        if s.detector_score is not None:
            extra.append(f"detectors {s.detector_score}")
        if s.llm_score is not None:
            extra.append(f"LLM judge {s.llm_score}")
        extra_html = f'<span class="sub">{esc(", ".join(extra))}</span>' if extra else ""
        advice = f'<p class="advice">{esc(s.advice)}</p>' if s.advice and s.score < MAX_SCORE else ""
        cards.append(f"""
  <article class="signal" data-signal="{esc(s.id)}" tabindex="0" role="button" aria-pressed="false"
           title="Click to highlight this signal's evidence in the transcript">
    <header><h3>{esc(signal_name(s.id, rubric))}</h3>
      <span class="pips" aria-label="score {s.score} of {MAX_SCORE}">{pips}</span>
      <b class="num" style="color:{score_color(s.score)}">{s.score}/{MAX_SCORE}</b>{extra_html}</header>
    <p class="anchor">{esc(anchor_text)}</p>
    {quotes_html}
    {advice}
  </article>""")
    return f"""
<section id="signals" class="card">
  <h2>Signals</h2>
  <p class="hint">Each quote links to where it was said; click a signal to light up all of its evidence.</p>
  <div class="grid">{"".join(cards)}</div>
</section>"""


def _flags(report: GradeReport, rubric: Rubric | None, spans: Sequence[Span]) -> str:
    if not report.flags:
        body = '<p class="ok">No red flags raised.</p>'
    else:
        items = []
        for f in report.flags:
            desc = ""
            if rubric is not None:
                with contextlib.suppress(KeyError):
                    desc = rubric.flag(f.id).advice
            quotes = []
            for q in f.evidence:
                target = next((sp.anchor for sp in spans if sp.key == f"flag-{f.id}" and sp.quote == q.strip()), "")
                quote = f"&ldquo;{esc(q)}&rdquo;"
                quotes.append(f'<li><a href="#{esc(target)}">{quote}</a></li>' if target else f"<li>{quote}</li>")
            advice = f'<p class="advice">{esc(desc)}</p>' if desc else ""
            items.append(f'<li class="flag"><h3>{esc(_flag_name(f.id, rubric))}</h3>'
                         f'<ul class="quotes">{"".join(quotes)}</ul>{advice}</li>')
        body = f'<ul class="flags">{"".join(items)}</ul>'
    return f'<section id="flags" class="card"><h2>Red flags</h2>{body}</section>'


def _wrap(text: str, width: int, lines: int) -> list[str]:
    words, out, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            out.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    if cur:
        out.append(cur)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: width - 1].rstrip() + "\u2026"
    return out


def _anchor_offsets(text: str, anchors: Sequence[str]) -> list[tuple[int, str]]:
    """Offsets of the time expressions, searched in order so repeats map to successive mentions."""
    found, pos = [], 0
    for a in anchors:
        at = text.find(a, pos)
        if at < 0:
            at = text.find(a)
        if at >= 0:
            found.append((at, a))
            pos = at + len(a)
    return found


def timeline_svg(text: str, report: GradeReport, time_anchors: Sequence[str],
                 phase_evidence: dict[str, list[str]] | None = None) -> str:
    """The incident as the candidate told it: detection, mitigation, root cause and prevention markers, each
    with the nearest time expression and a quote; a dashed hollow marker means that phase was never described."""
    phase_evidence = phase_evidence or {}
    anchors = _anchor_offsets(text, time_anchors)
    col_w, left, top = 250, 130, 70
    width = left * 2 + col_w * (len(TIMELINE_PHASES) - 1)
    parts = [f'<line x1="{left}" y1="{top}" x2="{left + col_w * (len(TIMELINE_PHASES) - 1)}" '
             f'y2="{top}" class="axis"/>']
    used: set[int] = set()
    for i, (pid, label) in enumerate(TIMELINE_PHASES):
        x = left + i * col_w
        try:
            sig = report.signal(pid)
            quotes, score = list(sig.evidence), sig.score
        except KeyError:
            quotes, score = [], 0
        if not quotes:
            quotes = list(phase_evidence.get(pid, []))
        located = [(locate(text, q), q) for q in quotes]
        located = [(p, q) for p, q in located if p >= 0] or [(-1, q) for q in quotes]
        present = bool(quotes) and score > 0
        near: list[str] = []
        for p, q in located:
            if p < 0:
                continue
            for at, a in anchors:
                if at in used or len(near) >= MAX_TIMELINE_ANCHORS:
                    continue
                if p - ANCHOR_NEAR_CHARS <= at <= p + len(q) + ANCHOR_NEAR_CHARS:
                    near.append(a)
                    used.add(at)
        cls = "node on" if present else "node off"
        color = score_color(score) if present else "#9aa3ad"
        parts.append(f'<g class="phase" data-phase="{esc(pid)}">')
        parts.append(f'<text x="{x}" y="{top - 28}" text-anchor="middle" class="phase-label">{esc(label)}</text>')
        title = esc(located[0][1]) if located else "not described"
        parts.append(f'<circle cx="{x}" cy="{top}" r="13" class="{cls}" style="--c:{color}"><title>{title}</title>'
                     f"</circle>")
        parts.append(f'<text x="{x}" y="{top + 4}" text-anchor="middle" class="node-num">{i + 1}</text>')
        if near:
            parts.append(f'<text x="{x}" y="{top + 34}" text-anchor="middle" class="when">'
                         f'{esc(DOT.join(near))}</text>')
        if present and located:
            for j, line in enumerate(_wrap(located[0][1], QUOTE_LINE_CHARS, 3)):
                parts.append(f'<text x="{x}" y="{top + 56 + j * 16}" text-anchor="middle" class="q">{esc(line)}</text>')
        else:
            parts.append(f'<text x="{x}" y="{top + 56}" text-anchor="middle" class="q missing">not described</text>')
        parts.append("</g>")
    svg = (f'<svg class="timeline" viewBox="0 0 {width} {top + 110}" role="img" '
           f'aria-label="incident timeline">{"".join(parts)}</svg>')
    chips = "".join(f'<li>{esc(a)}</li>' for _, a in anchors) or "<li class='none'>none</li>"
    return f'{svg}<p class="hint">Time expressions, in the order you said them:</p><ul class="chips">{chips}</ul>'


def _timeline(text: str, report: GradeReport) -> str:
    assessment = assess(text)  # the detectors find the time expressions; the grade's quotes place the phases
    anchors, evidence = assessment.time_anchors, assessment.evidence
    return f"""
<section id="timeline" class="card">
  <h2>Incident timeline</h2>
  <p class="hint">The incident as you told it. A hollow dashed marker is a phase you never described.</p>
  {timeline_svg(text, report, anchors, evidence)}
</section>"""


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def _delivery(report: GradeReport) -> str:
    d = report.delivery
    stats: list[tuple[str, str, str]] = [("Words", str(d.words), "")]
    if d.talk_seconds is not None:
        stats.append(("Talk time", _clock(d.talk_seconds), "all answers"))
    stats.append(("Opening story", _clock(d.estimated_seconds),
                  f"target {_clock(d.target_seconds)} ({d.length_verdict.replace('_', ' ')})"
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
    cells = "".join(f'<div class="stat"><span>{esc(k)}</span><b>{esc(v)}</b><small>{esc(s)}</small></div>'
                    for k, v, s in stats)
    note = f'<p class="hint">{esc(d.filler_note)}</p>' if d.filler_note else ""
    return f"""
<section id="delivery" class="card">
  <h2>Delivery</h2>
  <div class="stats">{cells}</div>
  <div class="gauges">{_pace_svg(d.words_per_minute)}{_iwe_svg(d.i_count, d.we_count)}</div>
  {note}
</section>"""


def _pace_svg(wpm: float | None) -> str:
    lo, hi = PACE_SCALE
    w = 300

    def x(v: float) -> float:
        return 10 + (min(max(v, lo), hi) - lo) / (hi - lo) * w

    marker = ""
    if wpm:
        marker = (f'<line x1="{x(wpm):.1f}" y1="14" x2="{x(wpm):.1f}" y2="40" class="marker"/>'
                  f'<text x="{x(wpm):.1f}" y="11" text-anchor="middle">{wpm:.0f}</text>')
    return (f'<svg class="gauge" viewBox="0 0 {w + 20} 58" role="img" aria-label="pace">'
            f'<rect x="10" y="20" width="{w}" height="14" rx="4" class="track"/>'
            f'<rect x="{x(PACE_BAND[0]):.1f}" y="20" width="{x(PACE_BAND[1]) - x(PACE_BAND[0]):.1f}" height="14" '
            f'class="band"/>{marker}'
            f'<text x="10" y="54">{lo:.0f} wpm</text><text x="{w + 10}" y="54" text-anchor="end">{hi:.0f}</text>'
            f'<text x="{x(sum(PACE_BAND) / 2):.1f}" y="54" text-anchor="middle">comfortable</text></svg>')


def _iwe_svg(i_count: int, we_count: int) -> str:
    total = i_count + we_count
    w = 300
    i_w = w * i_count / total if total else 0
    return (f'<svg class="gauge" viewBox="0 0 {w + 20} 58" role="img" aria-label="I versus we">'
            f'<rect x="10" y="20" width="{w}" height="14" rx="4" class="track"/>'
            f'<rect x="10" y="20" width="{i_w:.1f}" height="14" class="i"/>'
            f'<rect x="{10 + i_w:.1f}" y="20" width="{w - i_w if total else 0:.1f}" height="14" class="we"/>'
            f'<text x="10" y="13">I \u00d7{i_count}</text><text x="{w + 10}" y="13" text-anchor="end">we \u00d7{we_count}</text>'
            f'<text x="{10 + w / 2:.0f}" y="54" text-anchor="middle">own decisions and team both visible is best</text></svg>')


def _improvements(report: GradeReport, rubric: Rubric | None) -> str:
    if not report.improvements:
        return '<section id="improvements" class="card"><h2>Top improvements</h2><p>None: well done.</p></section>'
    items = "".join(
        f'<li><b>{esc(signal_name(i.signal, rubric) if i.signal in SIGNAL_IDS else i.signal)}</b> '
        f'<span class="gain">+{i.gain:.0f} pts</span><p>{esc(i.advice)}</p></li>'
        for i in report.improvements
    )
    return f'<section id="improvements" class="card"><h2>Top improvements</h2><ol class="improve">{items}</ol></section>'


def _fmt_time(t: datetime, start: datetime | None) -> str:
    if start is None:
        return t.strftime("%H:%M:%S")
    delta = max(0, int((t - start).total_seconds()))
    return f"{t.strftime('%H:%M:%S')} (+{delta // 60}:{delta % 60:02d})"


def _transcript(turns: Sequence[Turn], text: str, spans: Sequence[Span], names: dict[str, str],
                started: datetime | None) -> str:
    blocks, offset = [], 0
    for t in turns:
        answer = t.answer.strip()
        q_time = _fmt_time(t.asked_at, started) if started else ""
        blocks.append(f'<div class="turn"><p class="q"><span class="who">Interviewer</span>'
                      f'<span class="round">{esc(t.round.value)}</span><time>{esc(q_time)}</time><br>'
                      f'{esc(t.question)}</p>')
        if t.skipped:
            blocks.append('<p class="a skipped">(skipped)</p></div>')
            continue
        if not answer:
            blocks.append('<p class="a skipped">(no answer)</p></div>')
            continue
        start = text.find(answer, offset)
        if start < 0:  # should not happen: candidate_text joins the same stripped answers
            body = esc(answer)
        else:
            body = highlight(text, start, start + len(answer), spans, names)
            offset = start + len(answer)
        secs = f" \u00b7 {t.answer_seconds:.0f} s" if t.answer_seconds else ""
        a_time = (_fmt_time(t.answered_at, started) if started else "") + secs
        blocks.append(f'<p class="a"><span class="who">Candidate</span><time>{esc(a_time)}</time><br>'
                      f'<span class="words">{body}</span></p></div>')
    return f"""
<section id="transcript" class="card">
  <h2>Transcript</h2>
  <p class="hint">Highlighted: words quoted as evidence (hover to see the signals; red: a red flag).</p>
  {"".join(blocks)}
</section>"""


def _line_chart(points: Sequence[tuple[str, float]], top: float, width: int = 1040, height: int = 220,
                current: int | None = None) -> str:
    pad_l, pad_r, pad_t, pad_b = 40, 56, 14, 30
    n = len(points)
    inner_w, inner_h = width - pad_l - pad_r, height - pad_t - pad_b

    def xy(i: int, v: float) -> tuple[float, float]:
        x = pad_l + (inner_w * i / (n - 1) if n > 1 else inner_w / 2)
        return x, pad_t + inner_h * (1 - v / top)

    grid = []
    for k in range(5):
        v = top * k / 4
        _, y = xy(0, v)
        grid.append(f'<line x1="{pad_l}" y1="{y:.1f}" x2="{width - pad_r}" y2="{y:.1f}" class="gridline"/>'
                    f'<text x="{pad_l - 6}" y="{y + 4:.1f}" text-anchor="end">{v:.0f}</text>')
    coords = [xy(i, v) for i, (_, v) in enumerate(points)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = []
    for i, ((label, v), (x, y)) in enumerate(zip(points, coords, strict=False)):
        cls = "dot cur" if i == current else "dot"
        dots.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" class="{cls}"><title>{esc(label)}: {v:.0f}</title></circle>')
    step = max(1, n // 6)
    labels = [f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle">{esc(points[i][0])}</text>'
              for i, (x, _) in enumerate(coords) if i % step == 0 or i == n - 1]
    return (f'<svg class="chart line" viewBox="0 0 {width} {height}" role="img" aria-label="overall score history">'
            f'{"".join(grid)}<polyline points="{path}" class="series"/>{"".join(dots)}{"".join(labels)}</svg>')


def sparkline_svg(values: Sequence[float], top: float = MAX_SCORE, width: int = 120, height: int = 28) -> str:
    n = len(values)
    if n == 0:
        return ""
    xs = [2 + (width - 4) * i / (n - 1) if n > 1 else width / 2 for i in range(n)]
    ys = [2 + (height - 4) * (1 - v / top) for v in values]
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=False))
    return (f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
            f'<polyline points="{pts}" class="series"/>'
            f'<circle cx="{xs[-1]:.1f}" cy="{ys[-1]:.1f}" r="2.5" class="dot cur"/></svg>')


def _history(history: Sequence[HistoryPoint], current_id: str | None, rubric: Rubric | None) -> str:
    if not history:
        body = '<p class="hint">No graded sessions in the store yet.</p>'
    else:
        pts = [(h.when.strftime("%m-%d %H:%M"), h.overall) for h in history]
        cur = next((i for i, h in enumerate(history) if h.session_id == current_id), None)
        rows = []
        for sid in SIGNAL_IDS:
            vals = [float(h.signals[sid]) for h in history if sid in h.signals]
            if not vals:
                continue
            delta = vals[-1] - vals[0]
            trend = "up" if delta > 0 else "down" if delta < 0 else "flat"
            rows.append(f'<tr><th>{esc(signal_name(sid, rubric))}</th><td>{sparkline_svg(vals)}</td>'
                        f'<td class="{trend}">{vals[-1]:.0f} ({delta:+.0f})</td></tr>')
        note = "" if len(history) > 1 else '<p class="hint">One graded session so far; trends appear after the next.</p>'
        body = (f'<h3>Overall score</h3>{_line_chart(pts, 100, current=cur)}{note}'
                f'<h3>Signals (first to latest)</h3><table class="spark-table">{"".join(rows)}</table>')
    return f'<section id="history" class="card"><h2>History across sessions</h2>{body}</section>'


# --- pages ---------------------------------------------------------------------------------


def _page(title: str, body: str, script: str = "", back: tuple[str, str] | None = None) -> str:
    nav = f'<a class="back" href="{esc(urlquote(back[0]))}">&larr; {esc(back[1])}</a>' if back else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<link rel="icon" href="data:,">
<style>{_CSS}</style>
</head>
<body>
<header class="top">{nav}<h1>{esc(title)}</h1></header>
<main>
{body}
</main>
<footer>Generated by interviewer. Self-contained: this page loads nothing from the network.</footer>
<script>{script}</script>
</body>
</html>
"""


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
) -> str:
    """One self-contained page for a graded session or answer; `back` is an optional (href, label) link."""
    turns = list(turns)
    text = candidate_text(turns)
    spans, _missing = evidence_spans(text, report)
    names = {s.id: signal_name(s.id, rubric) for s in report.signals}
    names.update({f"flag-{f.id}": f"red flag: {_flag_name(f.id, rubric)}" for f in report.flags})
    warn = "".join(f"<li>{esc(w)}</li>" for w in warnings)
    warn_html = f'<section id="warnings" class="card warn"><h2>Warnings</h2><ul>{warn}</ul></section>' if warn else ""
    started = meta.created_at if meta is not None else None
    body = "".join([
        warn_html,
        _overall(report, meta, source, version),
        _improvements(report, rubric),
        _signals(report, rubric, spans),
        _flags(report, rubric, spans),
        _timeline(text, report),
        _delivery(report),
        _transcript(turns, text, spans, names, started),
        _history(history, meta.id if meta else None, rubric),
    ])
    return _page(title, body, _REPORT_JS, back)


def render_history_page(points: Sequence[HistoryPoint], *, rubric: Rubric | None = None,
                        title: str = "Progress across sessions") -> str:
    """A page with only the history charts (`interviewer history --html`)."""
    return _page(title, _history(points, points[-1].session_id if points else None, rubric), _REPORT_JS)


def render_batch_index(rows: Sequence[BatchRow], *, title: str = "Batch grading", rubric: Rubric | None = None,
                       generated_at: datetime | None = None) -> str:
    """The batch index: one row per input with its signal scores, flags and a link to its page."""
    ok = [r for r in rows if r.report is not None]
    failed = len(rows) - len(ok)
    head = "".join(f'<th title="{esc(signal_name(s, rubric))}" data-sort="num">{esc(SHORT_NAMES.get(s, s))}</th>'
                   for s in SIGNAL_IDS)
    body_rows = []
    for r in rows:
        name = esc(r.source)
        cell = f'<a href="{esc(urlquote(r.link))}">{name}</a>' if r.link else name
        secs = f"{r.audio_seconds:.0f}" if r.audio_seconds else ""
        if r.report is None:
            body_rows.append(f'<tr class="error"><td class="src">{cell}</td><td>{secs}</td>'
                             f'<td colspan="{len(SIGNAL_IDS) + 3}" class="err">error: {esc(r.error or "unknown")}</td></tr>')
            continue
        rep = r.report
        scores = {s.id: s.score for s in rep.signals}
        cells = "".join(
            f'<td class="sc" style="--c:{score_color(scores[s])}">{scores[s]}</td>' if s in scores else "<td></td>"
            for s in SIGNAL_IDS)
        flags = ", ".join(f.id.replace("_", " ") for f in rep.flags)
        body_rows.append(
            f'<tr><td class="src">{cell}</td><td>{secs}</td>'
            f'<td class="ovr" style="--c:{score_color(rep.overall.score, 100)}">{rep.overall.score:.0f}</td>'
            f'<td>{esc(rep.overall.letter)}</td><td>{esc(rep.overall.recommendation.value.replace("_", " "))}</td>'
            f'{cells}<td class="flagcol">{esc(flags)}</td></tr>')
    means = ""
    if ok:
        mean_cells = "".join(
            f'<td class="sc" style="--c:{score_color(m)}">{m:.1f}</td>'
            for m in (sum(s.score for r in ok for s in r.report.signals if s.id == sid) / len(ok)  # type: ignore[union-attr]
                      for sid in SIGNAL_IDS))
        mean_overall = sum(r.report.overall.score for r in ok) / len(ok)  # type: ignore[union-attr]
        means = (f'<tfoot><tr><th>mean of {len(ok)}</th><td></td><td class="ovr" style="--c:{score_color(mean_overall, 100)}">{mean_overall:.0f}</td>'
                 f'<td></td><td></td>{mean_cells}<td></td></tr></tfoot>')
    when = f" \u00b7 {generated_at.strftime('%Y-%m-%d %H:%M UTC')}" if generated_at else ""
    summary = (f'<p class="summary"><b>{len(ok)}</b> graded, <b class="{"bad" if failed else ""}">{failed}</b> '
               f'failed, {len(rows)} inputs{esc(when)}</p>')
    table = (f'<table id="batch" class="batch"><thead><tr><th data-sort="text">input</th>'
             f'<th data-sort="num" title="audio seconds">sec</th><th data-sort="num">score</th><th>grade</th>'
             f'<th data-sort="text">recommendation</th>{head}<th>red flags</th></tr></thead>'
             f'<tbody>{"".join(body_rows)}</tbody>{means}</table>')
    body = (f'<section id="summary" class="card">{summary}<p class="hint">Click a column heading to sort; '
            f'click an input to open its report.</p><div class="scroll">{table}</div></section>')
    return _page(title, body, _BATCH_JS)


_REPORT_JS = r"""
(function () {
  'use strict';
  var cards = document.querySelectorAll('[data-signal]');
  function light(key, on) {
    document.querySelectorAll('mark.ev').forEach(function (m) {
      var keys = (m.getAttribute('data-k') || '').split(' ');
      m.classList.toggle('lit', on && keys.indexOf(key) >= 0);
    });
    document.body.classList.toggle('focus', on);
  }
  cards.forEach(function (card) {
    function toggle() {
      var on = card.getAttribute('aria-pressed') !== 'true';
      cards.forEach(function (c) { c.setAttribute('aria-pressed', 'false'); });
      card.setAttribute('aria-pressed', on ? 'true' : 'false');
      light(card.getAttribute('data-signal'), on);
    }
    card.addEventListener('click', function (e) { if (e.target.tagName !== 'A') { toggle(); } });
    card.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); toggle(); } });
  });
  document.body.setAttribute('data-ready', 'report');
})();
"""

_BATCH_JS = r"""
(function () {
  'use strict';
  var table = document.getElementById('batch');
  if (!table) { return; }
  var body = table.tBodies[0];
  table.querySelectorAll('thead th').forEach(function (th, col) {
    var kind = th.getAttribute('data-sort');
    if (!kind) { return; }
    th.classList.add('sortable');
    var asc = false;
    th.addEventListener('click', function () {
      asc = !asc;
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col] ? a.cells[col].textContent : '', y = b.cells[col] ? b.cells[col].textContent : '';
        if (kind === 'num') { x = parseFloat(x); y = parseFloat(y); x = isNaN(x) ? -1 : x; y = isNaN(y) ? -1 : y; }
        return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  document.body.setAttribute('data-ready', 'batch');
})();
"""

_CSS = """
:root{--ink:#1d2733;--mute:#5d6b7a;--line:#dfe4ea;--bg:#f4f6f9;--card:#fff;--accent:#2f6fdf;--bad:#c0392b}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:var(--bg)}
header.top{background:#17324f;color:#fff;padding:14px 28px}
header.top h1{margin:0;font-size:21px;font-weight:600}
header.top .back{color:#cfe0f5;font-size:13px;text-decoration:none}
main{max-width:1140px;margin:0 auto;padding:18px}
footer{text-align:center;color:var(--mute);font-size:12px;padding:18px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin-bottom:16px;box-shadow:0 1px 2px rgba(0,0,0,.04)}
h2{margin:0 0 10px;font-size:18px}h3{margin:4px 0;font-size:15px}
.hint{color:var(--mute);font-size:13px;margin:4px 0 10px}
.overall{display:grid;grid-template-columns:170px 1fr 320px;gap:20px;align-items:start}
.big{text-align:center;border-right:1px solid var(--line);padding-right:14px}
.big .score{font-size:54px;font-weight:700;color:var(--c);line-height:1.1}
.big .score small{font-size:16px;color:var(--mute);font-weight:400}
.big .letter{font-size:28px;font-weight:700}
.rec{display:inline-block;margin-top:6px;padding:3px 10px;border-radius:12px;background:#e8eef8;font-weight:600;text-transform:capitalize}
.rec-strong_hire,.rec-hire{background:#dcf1e2;color:#176132}.rec-lean_hire{background:#eef5d9;color:#4d6511}
.rec-lean_no_hire{background:#fbeedb;color:#8a4b08}.rec-no_hire{background:#f8dedb;color:#8e2116}
.question{font-style:italic;margin:0 0 6px;color:var(--mute)}
.summary{margin:0 0 8px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0 0;font-size:13px}
dt{color:var(--mute)}dd{margin:0;overflow-wrap:anywhere}
.notes{margin:4px 0;padding-left:18px;color:#8a4b08;font-size:13px}
svg text{font-size:12px;fill:var(--ink)}
svg .track{fill:#eceff3}svg .gridline{stroke:#e6e9ee}
.chart{width:100%;height:auto}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:12px}
.signal{border:1px solid var(--line);border-radius:8px;padding:10px 12px;cursor:pointer;outline:none}
.signal:hover,.signal:focus{border-color:var(--accent)}
.signal[aria-pressed=true]{border-color:var(--accent);box-shadow:0 0 0 2px #c9dafb}
.signal header{display:flex;align-items:center;gap:8px;flex-wrap:wrap}
.signal h3{flex:1}.num{font-size:15px}.sub{color:var(--mute);font-size:12px;width:100%}
.pips{display:inline-flex;gap:3px}.pip{width:14px;height:8px;border-radius:2px;background:#e3e7ec}.pip.on{background:var(--c)}
.anchor{color:var(--mute);font-size:13px;margin:4px 0}
.quotes{margin:6px 0;padding-left:18px;font-size:14px}
.quotes a{color:inherit;text-decoration:none;border-bottom:1px dotted var(--accent)}
.quotes li.missing{color:var(--mute)}
.advice{font-size:13px;color:#23507f;background:#eef4fc;border-radius:6px;padding:5px 8px;margin:6px 0 0}
.none{color:var(--mute);font-size:13px}
.flags{list-style:none;padding:0;margin:0;display:grid;gap:10px}
.flag{border-left:4px solid var(--bad);background:#fdf3f2;padding:8px 12px;border-radius:4px}
.ok{color:#176132;font-weight:600}
.timeline{width:100%;height:auto;max-height:240px}
.timeline .axis{stroke:#b8c2cd;stroke-width:3}
.timeline .node{stroke-width:3}.timeline .node.on{fill:var(--c);stroke:#fff}
.timeline .node.off{fill:#fff;stroke:#9aa3ad;stroke-dasharray:4 3}
.timeline .node-num{fill:#fff;font-weight:700;font-size:12px}
.timeline .phase-label{font-weight:700;font-size:14px}
.timeline .when{fill:var(--accent);font-weight:600}
.timeline .q{fill:var(--mute);font-size:13px;font-style:italic}.timeline .q.missing{fill:#9aa3ad}
.chips{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:6px}
.chips li{background:#e8eef8;color:#23507f;border-radius:12px;padding:2px 10px;font-size:13px}
.stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:10px}
.stat{border:1px solid var(--line);border-radius:8px;padding:8px 10px;display:flex;flex-direction:column}
.stat span{color:var(--mute);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.stat b{font-size:20px}.stat small{color:var(--mute);font-size:12px}
.gauges{display:grid;grid-template-columns:1fr 1fr;gap:20px;margin-top:12px}
.gauge{width:100%;max-width:440px;height:auto}.gauge .band{fill:#bfe3c8}.gauge .marker{stroke:var(--ink);stroke-width:3}
.gauge .i{fill:#2f6fdf}.gauge .we{fill:#7fb2f0}
.improve{margin:0;padding-left:22px}.improve li{margin-bottom:8px}.improve p{margin:2px 0 0}
.gain{background:#dcf1e2;color:#176132;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600}
.turn{border-top:1px solid var(--line);padding:8px 0}
.turn .q{margin:0 0 6px;color:#23354a;font-weight:500}.turn .a{margin:0}
.who{font-weight:700;margin-right:8px;font-size:13px;text-transform:uppercase;letter-spacing:.04em}
.round{background:#eceff3;border-radius:10px;padding:0 8px;font-size:12px;margin-right:8px}
time{color:var(--mute);font-size:12px}
.words{white-space:pre-wrap}
.skipped{color:var(--mute);font-style:italic}
mark.ev{background:#fff1a8;border-radius:3px;padding:0 1px;scroll-margin-top:80px}
mark.ev.flagged{background:#fde2df;text-decoration:underline wavy var(--bad)}
mark.ev:target{outline:2px solid var(--accent)}
body.focus mark.ev{background:transparent}body.focus mark.ev.flagged{text-decoration:none}
body.focus mark.ev.lit{background:#9fd0ff}
.spark-table{border-collapse:collapse}.spark-table th{text-align:left;font-weight:500;padding:2px 16px 2px 0}
.spark-table td{padding:2px 12px 2px 0}
.spark .series,.line .series{fill:none;stroke:var(--accent);stroke-width:2}
.dot{fill:#fff;stroke:var(--accent);stroke-width:2}.dot.cur{fill:var(--accent)}
.up{color:#176132}.down{color:var(--bad)}.flat{color:var(--mute)}
.warn{border-color:#e0b252;background:#fffaf0}
.scroll{overflow-x:auto}
table.batch{border-collapse:collapse;width:100%;font-size:13px}
table.batch th,table.batch td{border-bottom:1px solid var(--line);padding:5px 6px;text-align:center}
table.batch th{background:#f0f3f7;position:sticky;top:0}
table.batch th.sortable{cursor:pointer}table.batch th.sortable:hover{color:var(--accent)}
table.batch td.src{text-align:left;min-width:160px;max-width:280px;overflow-wrap:anywhere}
table.batch td.sc,table.batch td.ovr{font-weight:700;color:#fff;background:var(--c)}
table.batch tr.error td.err{color:var(--bad);text-align:left}
table.batch td.flagcol{color:var(--bad);text-align:left;min-width:150px}
.bad{color:var(--bad)}
@media (max-width:900px){.overall{grid-template-columns:1fr}.big{border:0}.gauges{grid-template-columns:1fr}}
@media print{body{background:#fff}.card{box-shadow:none;break-inside:avoid}}
"""
