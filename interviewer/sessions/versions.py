"""Versioned re-grades, repairs of a torn log tail, and resuming an unfinished session.

The session log stays append-only: a re-grade appends a `graded` event with the next version number and
writes `grade-v{n}.json` beside it; nothing already written is overwritten. Each works from one reading of
the log (a `SessionLog`) and reads it again only when someone else appended in the meantime.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import InterviewerError, SessionError
from ..models import GradeReport, Level, Rubric, SessionMeta, Turn, candidate_text
from ..protocols import Grader
from ..session_log import Graded
from .attempts import effective_turns
from .store import LOG_NAME, SessionLog, SessionStore, SessionWriter, read_log, write_atomic

GRADE_FILE = "grade-v{version}.json"
TORN_NAME = "session.jsonl.torn"


# --- repairs ----------------------------------------------------------------------------------


def repair_torn_tail(folder: Path) -> str | None:
    """Before appending to a log whose last line was cut off by a crash, move that fragment aside.

    Appending after a torn line would glue the new event onto it. The fragment is kept, appended to
    `session.jsonl.torn`, and the log is truncated to its last complete line. Returns a note, or None.
    """
    path = folder / LOG_NAME
    data = path.read_bytes()
    if not data:
        return None
    body = data[:-1] if data.endswith(b"\n") else data
    cut = body.rfind(b"\n") + 1  # start of the last line
    last = data[cut:]
    try:
        json.loads(last)
        if data.endswith(b"\n"):
            return None
        complete = False  # a valid line missing only its newline: keep it, add the newline
    except ValueError:
        complete = None
    with open(path, "r+b") as fh:
        if complete is False:
            fh.seek(0, 2)
            fh.write(b"\n")
            note = None
        else:
            with open(folder / TORN_NAME, "ab") as torn:
                torn.write(last.rstrip(b"\n") + b"\n")
                torn.flush()
                os.fsync(torn.fileno())
            fh.truncate(cut)
            note = f"{path}: moved an incomplete last line ({len(last)} bytes) to {TORN_NAME}"
        fh.flush()
        os.fsync(fh.fileno())
    return note


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on the session folder, so two re-grades never take the same version number."""
    fd = os.open(folder / LOG_NAME, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _current(log: SessionLog) -> SessionLog:
    """Under the lock: the log as read, or read again if something was appended since."""
    try:
        size = os.stat(log.path).st_size
    except OSError as e:
        raise SessionError(f"{log.path}: cannot read: {e.strerror or e}") from e
    return log if size == log.size else read_log(log.folder)


def _ready_to_append(log: SessionLog) -> tuple[SessionLog, str | None]:
    """Under the lock: the current log, with a torn last line set aside so an append starts a fresh line."""
    log = _current(log)
    if log.clean_end:
        return log, None
    note = repair_torn_tail(log.folder)
    session = log.session.model_copy(update={"warnings": []})
    return replace(log, session=session, size=os.stat(log.path).st_size, clean_end=True), note


def prepare_append(log: SessionLog) -> tuple[SessionLog, str | None]:
    """Under the folder's lock: the current log with a torn last line set aside (and a note saying so), so
    the next append starts a fresh line."""
    with _locked(log.folder):
        return _ready_to_append(log)


# --- versioned grades -------------------------------------------------------------------------


def grade_versions(folder: Path) -> list[tuple[int, GradeReport]]:
    """Every grade in the log with its version number, in order (a torn last line is skipped)."""
    return read_log(folder).versions


def write_grade_file(folder: Path, version: int, report: GradeReport) -> Path:
    """grade-v{n}.json, written atomically and never replaced once it exists."""
    path = folder / GRADE_FILE.format(version=version)
    if not path.exists():
        write_atomic(path, report.model_dump_json(indent=2) + "\n")
    return path


@dataclass
class Regrade:
    version: int
    report: GradeReport
    previous: GradeReport | None
    path: Path
    log: SessionLog  # the log with this grade in it, for the report


def append_grade(log: SessionLog, report: GradeReport) -> tuple[int, Path, SessionLog]:
    """Append `report` as the next grade version (under the folder's lock) and write its grade file; returns
    the version, the file and the log as it was just before the append."""
    with _locked(log.folder):
        log, _note = _ready_to_append(log)
        for v, old in log.versions:  # make the derived files of earlier versions exist too
            write_grade_file(log.folder, v, old)
        version = max((v for v, _ in log.versions), default=0) + 1
        with SessionWriter(log.folder) as w:
            w.append(Graded(version=version, report=report))
        path = write_grade_file(log.folder, version, report)
    return version, path, log


def regrade(log: SessionLog, grader: Grader, rubric: Rubric, level: Level | None = None) -> Regrade:
    """Grade the saved transcript again (with every graded retry's answers in place); append it as the next
    version. Earlier versions stay untouched."""
    session = log.session
    turns = effective_turns(session)
    if not candidate_text(turns):
        raise SessionError(f"session {log.id} has no answers to grade")
    report = grader.grade(turns, rubric, level or session.meta.level, session.meta.question)
    version, path, log = append_grade(log, report)
    previous = log.versions[-1][1] if log.versions else None
    graded = log.session.model_copy(update={"grades": [*log.session.grades, report]})
    log = replace(log, session=graded, versions=[*log.versions, (version, report)],
                  size=os.stat(log.path).st_size)
    return Regrade(version, report, previous, path, log)


def grade_diff(old: GradeReport | None, new: GradeReport) -> list[str]:
    """What changed since the previous grade, per signal, in flags and overall."""
    if old is None:
        return ["first grade of this session"]
    out = [f"overall  {old.overall.score:.0f} {old.overall.letter} -> {new.overall.score:.0f} {new.overall.letter}"
           f"  ({new.overall.score - old.overall.score:+.0f}); {old.overall.recommendation.value} -> "
           f"{new.overall.recommendation.value}; grader {old.grader} -> {new.grader}"]
    olds = {s.id: s for s in old.signals}
    changed = 0
    for s in new.signals:
        o = olds.get(s.id)
        if o is None:
            out.append(f"  {s.id:<14} new: {s.score}")
            changed += 1
            continue
        gained = [q for q in s.evidence if q not in o.evidence]
        lost = [q for q in o.evidence if q not in s.evidence]
        if o.score == s.score and not gained and not lost:
            continue
        changed += 1
        mark = "=" if o.score == s.score else ("\u2191" if s.score > o.score else "\u2193")
        out.append(f"  {s.id:<14} {o.score} -> {s.score} {mark}")
        out.extend(f"      + \u201c{q}\u201d" for q in gained)
        out.extend(f"      - \u201c{q}\u201d" for q in lost)
    if not changed:
        out.append("  signals: no change")
    of, nf = set(old.flag_ids()), set(new.flag_ids())
    if of != nf:
        out.append(f"  flags: {', '.join(sorted(of)) or 'none'} -> {', '.join(sorted(nf)) or 'none'}")
    return out


# --- resume -----------------------------------------------------------------------------------


def resumable(store: SessionStore, session_id: str) -> tuple[SessionMeta, list[Turn], list[str], int]:
    """The meta, finished turns, notes and next grade version of a session to continue (one read of its log);
    refuses one that already completed."""
    log = store.open_log(session_id)
    session = log.session
    if session.ended is not None and session.ended.reason == "completed":
        raise SessionError(f"session {session_id} already completed; start a new one instead")
    if session.meta.mode not in ("text", "voice", "files"):
        raise InterviewerError(f"session {session_id} was imported ({session.meta.mode}); it cannot be resumed")
    with _locked(log.folder):
        _log, note = _ready_to_append(log)
    next_version = max((v for v, _ in log.versions), default=0) + 1
    return session.meta, list(session.turns), [*session.warnings, *([note] if note else [])], next_version
