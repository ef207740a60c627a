"""What the report pages are made from besides a grade: history points and batch rows (light to import)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..models import GradeReport


@dataclass(frozen=True)
class HistoryPoint:
    """One graded session in the history charts."""

    session_id: str
    when: datetime
    overall: float
    signals: dict[str, int]
    label: str = ""  # e.g. the persona
    attempt: int = 0  # 0: the interview; n: its n-th retry (`practice --retry`)
    self_rating: int | None = None  # the candidate's own 1-5 rating of it


@dataclass(frozen=True)
class RetryView:
    """One retry on a report page: before and after for its signal and overall, and what was said."""

    attempt: int
    signal: str
    before_score: int | None
    after_score: int
    before_overall: float | None
    after_overall: float
    gained: list[str]  # the signal's quotes the retry added
    lost: list[str]
    original: list[tuple[str, str]]  # (question, answer) it replaced
    new: list[tuple[str, str]]  # (question, answer) of the drill
    self_rating: int | None = None
    original_audio: tuple[str, ...] = ()  # data: URIs of the replaced answers' audio, in `original` order


@dataclass
class BatchRow:
    """One graded input on a batch index page."""

    source: str
    report: GradeReport | None = None
    error: str | None = None
    link: str | None = None  # the per-answer page, relative to the index
    audio_seconds: float | None = None
    extra: dict[str, str] = field(default_factory=dict)
