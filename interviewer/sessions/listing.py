"""`interviewer sessions` and `interviewer history`: one row per session, each signal's trend across sessions.

Plain text (one line per item, parsed by scripts and tests) when stdout is not a terminal; a rich table
when it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..errors import SessionError
from ..models import SIGNAL_IDS
from ..report.data import HistoryPoint
from ..session_log import Session
from .store import SessionStore

SPARK_CHARS = "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"
QUESTION_CHARS = 60


@dataclass
class SessionSummary:
    """One line of `interviewer sessions`."""

    id: str
    created_at: datetime | None = None
    persona: str = ""
    level: str = ""
    question: str = ""
    turns: int = 0
    status: str = ""  # completed, quit, interrupted, in progress, unreadable
    score: float | None = None
    letter: str | None = None
    versions: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def date(self) -> str:
        return self.created_at.strftime("%Y-%m-%d %H:%M") if self.created_at else "?"

    @property
    def score_text(self) -> str:
        score = f"{self.score:.0f} {self.letter}" if self.score is not None else "-"
        return score + (f" v{self.versions}" if self.versions > 1 else "")

    @property
    def short_question(self) -> str:
        q = self.question
        return q if len(q) <= QUESTION_CHARS else q[: QUESTION_CHARS - 1] + "\u2026"


def _sessions(store: SessionStore, loaded: Mapping[str, Session] | None = None) -> list[tuple[str, Session | str]]:
    """Every session of the store read once (those in `loaded` not again): (id, session or why unreadable)."""
    loaded = loaded or {}
    out: list[tuple[str, Session | str]] = []
    for sid in store.ids():
        if sid in loaded:
            out.append((sid, loaded[sid]))
            continue
        try:
            out.append((sid, store.load(sid)))
        except SessionError as e:
            out.append((sid, str(e)))
    return out


def summarize(store: SessionStore) -> list[SessionSummary]:
    """Every session in the store, oldest first; an unreadable one is listed with the reason."""
    rows: list[SessionSummary] = []
    for sid, s in _sessions(store):
        if isinstance(s, str):
            rows.append(SessionSummary(id=sid, status="unreadable", warnings=[s]))
            continue
        last = s.grades[-1] if s.grades else None
        rows.append(SessionSummary(
            id=sid, created_at=s.meta.created_at, persona=s.meta.persona, level=s.meta.level.value,
            question=s.meta.question, turns=len(s.turns),
            status=s.ended.reason if s.ended else "in progress",
            score=last.overall.score if last else None, letter=last.overall.letter if last else None,
            versions=len(s.grades), warnings=s.warnings,
        ))
    rows.sort(key=lambda r: (r.created_at is None, r.created_at or datetime.min, r.id))
    return rows


def format_sessions(rows: Sequence[SessionSummary]) -> str:
    if not rows:
        return "no sessions yet"
    out = [f"{'id':<24} {'date':<16} {'persona':<12} {'lvl':<5} {'score':>7}  {'status':<11} question"]
    for r in rows:
        out.append(f"{r.id:<24} {r.date:<16} {r.persona:<12} {r.level:<5} {r.score_text:>7}  {r.status:<11} "
                   f"{r.short_question}")
        out.extend(f"{'':<24} warning: {w}" for w in r.warnings)
    return "\n".join(out)


# --- history ----------------------------------------------------------------------------------


def history_points(store: SessionStore, rubric: str | None = None,
                   loaded: Mapping[str, Session] | None = None) -> list[HistoryPoint]:
    """The latest grade of every graded session (optionally of one rubric), oldest first. Sessions already
    read (`loaded`, by id) are not read again."""
    points: list[HistoryPoint] = []
    for sid, s in _sessions(store, loaded):
        if isinstance(s, str) or not s.grades or (rubric and s.grades[-1].rubric != rubric):
            continue
        points += session_points(sid, s)
    points.sort(key=lambda p: (p.when, p.session_id, p.attempt))
    return points


def session_points(sid: str, s: Session) -> list[HistoryPoint]:
    """One point for the interview (its grade before any retry, else its latest) and one per graded retry."""
    retries = [a for a in s.attempts if a.version is not None and 1 <= a.version <= len(s.grades)]
    first = retries[0].before_version if retries else None
    base = s.grades[first - 1] if first is not None and 1 <= first <= len(s.grades) else s.grades[-1]
    out = [HistoryPoint(sid, s.meta.created_at, base.overall.score, {x.id: x.score for x in base.signals},
                        label=s.meta.persona, self_rating=s.self_rating)]
    for a in retries:
        g = s.grades[a.version - 1]  # type: ignore[operator]
        when = a.finished.at  # type: ignore[union-attr] (a graded attempt finished)
        out.append(HistoryPoint(sid, when, g.overall.score, {x.id: x.score for x in g.signals},
                                label=f"retry {a.attempt}: {a.signal}", attempt=a.attempt,
                                self_rating=a.self_rating))
    return out


def sparkline(values: Sequence[float], top: float) -> str:
    """A text sparkline: one block character per value, scaled 0..top."""
    steps = len(SPARK_CHARS) - 1
    return "".join(SPARK_CHARS[round(max(0.0, min(1.0, v / top)) * steps)] for v in values)


@dataclass
class TrendRow:
    name: str
    values: list[float]
    top: float

    @property
    def change(self) -> float:
        return self.values[-1] - self.values[0]


def history_title(points: Sequence[HistoryPoint]) -> str:
    first, last = points[0].when.strftime("%Y-%m-%d"), points[-1].when.strftime("%Y-%m-%d")
    retries = sum(1 for p in points if p.attempt)
    also = f" and {retries} retr{'y' if retries == 1 else 'ies'}" if retries else ""
    return f"{len(points) - retries} graded sessions{also}, {first} to {last} (oldest first)"


def trend_rows(points: Sequence[HistoryPoint]) -> list[TrendRow]:
    rows = [TrendRow("overall", [p.overall for p in points], 100.0)]
    for sid in SIGNAL_IDS:
        vals = [float(p.signals[sid]) for p in points if sid in p.signals]
        if vals:
            rows.append(TrendRow(sid, vals, 4.0))
    return rows


def format_history(points: Sequence[HistoryPoint]) -> str:
    if not points:
        return "no graded sessions yet"
    width = max(5, len(points))
    out = [history_title(points), f"{'signal':<14} {'trend':<{width}}  first  latest  change"]
    for r in trend_rows(points):
        out.append(f"{r.name:<14} {sparkline(r.values, r.top):<{width}}  {r.values[0]:>5.0f}  {r.values[-1]:>6.0f}  "
                   f"{r.change:>+6.0f}")
    out += calibration_lines(points)
    return "\n".join(out)


def rating_as_score(rating: int) -> float:
    """A 1-5 self-rating on the grade's 0-100 scale (1 -> 0, 3 -> 50, 5 -> 100)."""
    return (rating - 1) * 25.0


def calibration_lines(points: Sequence[HistoryPoint]) -> list[str]:
    """Self-rating against the grade, oldest first: the gap shows where you over- or under-rate yourself."""
    rated = [p for p in points if p.self_rating is not None]
    if not rated:
        return []
    out = ["", "self-rating against grade (your 1-5 on the 0-100 scale: 1=0, 3=50, 5=100)",
           f"{'when':<16} {'what':<26} {'self':>4}  {'as':>4}  {'grade':>5}  {'gap':>5}"]
    for p in rated:
        mine = rating_as_score(p.self_rating)  # type: ignore[arg-type]
        what = (p.label if p.attempt else "interview")[:26]
        out.append(f"{p.when.strftime('%Y-%m-%d %H:%M'):<16} {what:<26} {p.self_rating:>3}/5  {mine:>4.0f}  "
                   f"{p.overall:>5.0f}  {mine - p.overall:>+5.0f}")
    mean = sum(rating_as_score(p.self_rating) - p.overall for p in rated) / len(rated)  # type: ignore[arg-type]
    verdict = "you rate yourself higher than the grade" if mean > 10 else (
        "you rate yourself lower than the grade" if mean < -10 else "your self-rating matches the grade")
    out.append(f"mean gap {mean:+.0f}: {verdict}")
    return out
