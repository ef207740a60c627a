"""What a session's log holds: the events appended to `session.jsonl`, and a session as read back from them.

Every event is one JSON line; retries (`practice --retry`) and self-ratings are events in the same
append-only log, so nothing already written is ever rewritten.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from .models import GradeReport, SessionMeta, Turn, utcnow

# --- the session log ---------------------------------------------------------------------


class SessionStarted(BaseModel):
    type: Literal["session_started"] = "session_started"
    at: datetime = Field(default_factory=utcnow)
    meta: SessionMeta


class TurnCompleted(BaseModel):
    type: Literal["turn"] = "turn"
    at: datetime = Field(default_factory=utcnow)
    turn: Turn


class Graded(BaseModel):
    type: Literal["graded"] = "graded"
    at: datetime = Field(default_factory=utcnow)
    version: int = 1
    report: GradeReport


class SessionEnded(BaseModel):
    type: Literal["session_ended"] = "session_ended"
    at: datetime = Field(default_factory=utcnow)
    reason: Literal["completed", "quit", "interrupted", "error"] = "completed"
    detail: str | None = None


Event = SessionStarted | TurnCompleted | Graded | SessionEnded


# --- retries (`practice --retry`: a drill at one signal, an attempt in the same log) and self-ratings ---


class AttemptStarted(BaseModel):  # attempt n at `signal`, its answers in place of turn `replaces` (or added)
    type: Literal["attempt_started"] = "attempt_started"
    at: datetime = Field(default_factory=utcnow)
    attempt: int = Field(ge=1)
    signal: str
    replaces: int | None = None
    before_version: int | None = None  # the grade version the attempt sets out to improve


class AttemptTurn(BaseModel):
    type: Literal["attempt_turn"] = "attempt_turn"
    at: datetime = Field(default_factory=utcnow)
    attempt: int = Field(ge=1)
    turn: Turn


class AttemptFinished(BaseModel):
    type: Literal["attempt_finished"] = "attempt_finished"
    at: datetime = Field(default_factory=utcnow)
    attempt: int = Field(ge=1)
    reason: Literal["completed", "quit", "interrupted", "error"] = "completed"
    version: int | None = None  # the grade version it produced (the `graded` event just before)


class SelfRated(BaseModel):  # the candidate's own 1-5, asked before the grade is shown (attempt 0: the interview)
    type: Literal["self_rated"] = "self_rated"
    at: datetime = Field(default_factory=utcnow)
    rating: int = Field(ge=1, le=5)
    attempt: int = 0


class Attempt(BaseModel):  # a retry as read back from the log
    attempt: int
    signal: str
    replaces: int | None = None
    before_version: int | None = None
    turns: list[Turn] = Field(default_factory=list)
    finished: AttemptFinished | None = None
    self_rating: int | None = None
    version = property(lambda self: self.finished.version if self.finished is not None else None)  # its grade's


class Session(BaseModel):
    """A session as read back from its log."""

    meta: SessionMeta
    turns: list[Turn] = Field(default_factory=list)
    grades: list[GradeReport] = Field(default_factory=list)
    ended: SessionEnded | None = None
    warnings: list[str] = Field(default_factory=list)  # e.g. a torn last line from a crash
    attempts: list[Attempt] = Field(default_factory=list)  # retries (`practice --retry`), in order
    self_rating: int | None = None  # the candidate's own 1-5 rating of the interview

    @property
    def answered(self) -> list[Turn]:
        return [t for t in self.turns if not t.skipped]
