"""The SVG charts of the reports, as geometry: every coordinate is worked out here, and
`templates/charts.html.j2` draws it (with every label escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..models import MAX_SCORE, GradeReport
from .evidence import locate
from .templating import render_macro

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
MISSING_COLOR = "#9aa3ad"
CHARTS = "charts.html.j2"


def score_color(score: float, top: float = MAX_SCORE) -> str:
    idx = round(max(0.0, min(1.0, score / top)) * (len(SCORE_COLORS) - 1))
    return SCORE_COLORS[idx]


def f1(v: float) -> str:
    return f"{v:.1f}"


# --- signal bars ---------------------------------------------------------------------------------


def signal_bars(report: GradeReport) -> dict:
    row_h, label_w, bar_w = 22, 110, 160
    rows = [{"y": i * row_h, "label": s.id.replace("_", " "), "score": s.score, "color": score_color(s.score),
             "width": f1(bar_w * s.score / MAX_SCORE)} for i, s in enumerate(report.signals)]
    return {"rows": rows, "label_w": label_w, "bar_w": bar_w, "width": label_w + bar_w + 24,
            "height": row_h * len(report.signals)}


# --- the incident timeline -----------------------------------------------------------------------


def wrap(text: str, width: int, lines: int) -> list[str]:
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


@dataclass
class Phase:
    id: str
    label: str
    x: int
    number: int
    present: bool
    color: str
    title: str
    near: str = ""
    lines: list[str] = field(default_factory=list)


def timeline(text: str, report: GradeReport, time_anchors: Sequence[str],
             phase_evidence: dict[str, list[str]] | None = None) -> dict:
    """Detection, mitigation, root cause and prevention as the candidate told them: each phase with the
    nearest time expressions and a quote; a phase never described is drawn hollow."""
    phase_evidence = phase_evidence or {}
    anchors = _anchor_offsets(text, time_anchors)
    col_w, left, top = 250, 130, 70
    used: set[int] = set()
    phases: list[Phase] = []
    for i, (pid, label) in enumerate(TIMELINE_PHASES):
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
        phases.append(Phase(
            id=pid, label=label, x=left + i * col_w, number=i + 1, present=present,
            color=score_color(score) if present else MISSING_COLOR,
            title=located[0][1] if located else "not described", near=DOT.join(near),
            lines=wrap(located[0][1], QUOTE_LINE_CHARS, 3) if present and located else [],
        ))
    return {"phases": phases, "left": left, "top": top, "right": left + col_w * (len(TIMELINE_PHASES) - 1),
            "width": left * 2 + col_w * (len(TIMELINE_PHASES) - 1), "height": top + 110,
            "chips": [a for _, a in anchors]}


def timeline_svg(text: str, report: GradeReport, time_anchors: Sequence[str],
                 phase_evidence: dict[str, list[str]] | None = None) -> str:
    """The timeline chart and its time-expression chips as HTML."""
    return render_macro(CHARTS, "timeline", timeline(text, report, time_anchors, phase_evidence))


# --- delivery gauges -----------------------------------------------------------------------------


def pace_gauge(wpm: float | None) -> dict:
    lo, hi = PACE_SCALE
    w = 300

    def x(v: float) -> float:
        return 10 + (min(max(v, lo), hi) - lo) / (hi - lo) * w

    return {"w": w, "lo": f"{lo:.0f}", "hi": f"{hi:.0f}", "band_x": f1(x(PACE_BAND[0])),
            "band_w": f1(x(PACE_BAND[1]) - x(PACE_BAND[0])), "mid": f1(x(sum(PACE_BAND) / 2)),
            "marker": {"x": f1(x(wpm)), "label": f"{wpm:.0f}"} if wpm else None}


def i_we_gauge(i_count: int, we_count: int) -> dict:
    total = i_count + we_count
    w = 300
    i_w = w * i_count / total if total else 0
    return {"w": w, "i": i_count, "we": we_count, "i_w": f1(i_w), "we_x": f1(10 + i_w),
            "we_w": f1(w - i_w if total else 0), "mid": f"{10 + w / 2:.0f}"}


# --- history -------------------------------------------------------------------------------------


def line_chart(points: Sequence[tuple[str, float]], top: float, width: int = 1040, height: int = 220,
               current: int | None = None) -> dict:
    pad_l, pad_r, pad_t, pad_b = 40, 56, 14, 30
    n = len(points)
    inner_w, inner_h = width - pad_l - pad_r, height - pad_t - pad_b

    def xy(i: int, v: float) -> tuple[float, float]:
        x = pad_l + (inner_w * i / (n - 1) if n > 1 else inner_w / 2)
        return x, pad_t + inner_h * (1 - v / top)

    grid = [{"y": f1(xy(0, top * k / 4)[1]), "ty": f1(xy(0, top * k / 4)[1] + 4), "label": f"{top * k / 4:.0f}"}
            for k in range(5)]
    coords = [xy(i, v) for i, (_, v) in enumerate(points)]
    step = max(1, n // 6)
    return {
        "width": width, "height": height, "pad_l": pad_l, "right": width - pad_r, "grid": grid,
        "path": " ".join(f"{x:.1f},{y:.1f}" for x, y in coords),
        "dots": [{"x": f1(x), "y": f1(y), "current": i == current, "title": f"{label}: {v:.0f}"}
                 for i, ((label, v), (x, y)) in enumerate(zip(points, coords, strict=False))],
        "labels": [{"x": f1(x), "text": points[i][0]} for i, (x, _) in enumerate(coords)
                   if i % step == 0 or i == n - 1],
    }


def sparkline(values: Sequence[float], top: float = MAX_SCORE, width: int = 120, height: int = 28) -> dict | None:
    n = len(values)
    if n == 0:
        return None
    xs = [2 + (width - 4) * i / (n - 1) if n > 1 else width / 2 for i in range(n)]
    ys = [2 + (height - 4) * (1 - v / top) for v in values]
    return {"width": width, "height": height, "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=False)),
            "x": f1(xs[-1]), "y": f1(ys[-1])}


def sparkline_svg(values: Sequence[float], top: float = MAX_SCORE, width: int = 120, height: int = 28) -> str:
    spark = sparkline(values, top, width, height)
    return render_macro(CHARTS, "sparkline", spark) if spark else ""
