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


@dataclass
class BatchRow:
    """One graded input on a batch index page."""

    source: str
    report: GradeReport | None = None
    error: str | None = None
    link: str | None = None  # the per-answer page, relative to the index
    audio_seconds: float | None = None
    extra: dict[str, str] = field(default_factory=dict)
