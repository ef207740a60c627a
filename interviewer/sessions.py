"""Working with saved sessions: listing, history across sessions, replay, versioned re-grades and reports.

The session log stays append-only: a re-grade appends a `graded` event with the next version number and
writes `grade-v{n}.json` beside it; nothing already written is overwritten. Reports (`report.html`) are
derived files, written atomically.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .errors import InterviewerError, SessionError
from .models import (
    SIGNAL_IDS,
    Graded,
    GradeReport,
    Level,
    Rubric,
    Session,
    SessionMeta,
    Turn,
    candidate_text,
)
from .protocols import Grader
from .report.html import HistoryPoint, render_html
from .store import (
    CLOSING_AUDIO,
    GREETING_AUDIO,
    LOG_NAME,
    SessionStore,
    SessionWriter,
    read_session,
    write_atomic,
)

SPARK_CHARS = "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"
GRADE_FILE = "grade-v{version}.json"
HTML_REPORT = "report.html"
WRAP_COLUMNS = 100


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


def summarize(store: SessionStore) -> list[SessionSummary]:
    """Every session in the store, oldest first; an unreadable one is listed with the reason."""
    rows: list[SessionSummary] = []
    for sid in store.ids():
        try:
            s = store.load(sid)
        except SessionError as e:
            rows.append(SessionSummary(id=sid, status="unreadable", warnings=[str(e)]))
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
        date = r.created_at.strftime("%Y-%m-%d %H:%M") if r.created_at else "?"
        score = f"{r.score:.0f} {r.letter}" if r.score is not None else "-"
        if r.versions > 1:
            score += f" v{r.versions}"
        q = r.question if len(r.question) <= 60 else r.question[:59] + "\u2026"
        out.append(f"{r.id:<24} {date:<16} {r.persona:<12} {r.level:<5} {score:>7}  {r.status:<11} {q}")
        out.extend(f"{'':<24} warning: {w}" for w in r.warnings)
    return "\n".join(out)


# --- history ----------------------------------------------------------------------------------


def history_points(store: SessionStore, rubric: str | None = None) -> list[HistoryPoint]:
    """The latest grade of every graded session (optionally of one rubric), oldest first."""
    points: list[HistoryPoint] = []
    for sid in store.ids():
        try:
            s = store.load(sid)
        except SessionError:
            continue
        if not s.grades or (rubric and s.grades[-1].rubric != rubric):
            continue
        g = s.grades[-1]
        points.append(HistoryPoint(sid, s.meta.created_at, g.overall.score, {x.id: x.score for x in g.signals},
                                   label=s.meta.persona))
    points.sort(key=lambda p: (p.when, p.session_id))
    return points


def sparkline(values: Sequence[float], top: float) -> str:
    """A text sparkline: one block character per value, scaled 0..top."""
    steps = len(SPARK_CHARS) - 1
    return "".join(SPARK_CHARS[round(max(0.0, min(1.0, v / top)) * steps)] for v in values)


def format_history(points: Sequence[HistoryPoint]) -> str:
    if not points:
        return "no graded sessions yet"
    first, last = points[0].when.strftime("%Y-%m-%d"), points[-1].when.strftime("%Y-%m-%d")
    out = [f"{len(points)} graded sessions, {first} to {last} (oldest first)",
           f"{'signal':<14} {'trend':<{max(5, len(points))}}  first  latest  change"]
    width = max(5, len(points))
    rows: list[tuple[str, list[float], float]] = [("overall", [p.overall for p in points], 100.0)]
    for sid in SIGNAL_IDS:
        vals = [float(p.signals[sid]) for p in points if sid in p.signals]
        if vals:
            rows.append((sid, vals, 4.0))
    for name, vals, top in rows:
        change = vals[-1] - vals[0]
        out.append(f"{name:<14} {sparkline(vals, top):<{width}}  {vals[0]:>5.0f}  {vals[-1]:>6.0f}  {change:>+6.0f}")
    return "\n".join(out)


# --- replay -----------------------------------------------------------------------------------


def _clock(t: datetime, start: datetime) -> str:
    delta = max(0, int((t - start).total_seconds()))
    return f"{t.strftime('%H:%M:%S')} +{delta // 60}:{delta % 60:02d}"


def _wrapped(prefix: str, text: str) -> list[str]:
    body = textwrap.wrap(text, WRAP_COLUMNS - 4) or [""]
    return [prefix, *("    " + line for line in body)]


def replay_lines(session: Session) -> list[str]:
    """The conversation turn by turn with clock time and time since the session started."""
    m = session.meta
    start = m.created_at
    out = [f"session {m.id} \u00b7 {m.persona} \u00b7 {m.level.value} \u00b7 {m.mode} \u00b7 "
           f"{start.strftime('%Y-%m-%d %H:%M UTC')}"]
    out.extend(f"warning: {w}" for w in session.warnings)
    for t in session.turns:
        out.append("")
        out += _wrapped(f"[{_clock(t.asked_at, start)}] interviewer ({t.round.value}):", t.question)
        talk = f", {t.answer_seconds:.0f} s" if t.answer_seconds else ""
        answer = "(skipped)" if t.skipped else (t.answer or "(no answer)")
        out += _wrapped(f"[{_clock(t.answered_at, start)}] candidate{talk}:", answer)
    out.append("")
    if session.ended:
        out.append(f"[{_clock(session.ended.at, start)}] session ended: {session.ended.reason}")
    else:
        out.append("session not finished (resume it with: interviewer practice --resume " + m.id + ")")
    if session.grades:
        g = session.grades[-1]
        out.append(f"latest grade (v{len(session.grades)}): {g.overall.score:.0f}/100 {g.overall.letter} "
                   f"{g.overall.recommendation.value} by {g.grader}")
    return out


def audio_sequence(folder: Path, session: Session) -> Iterator[tuple[str, Path]]:
    """The saved audio of both sides in conversation order: (label, file), greeting and closing included
    where they were saved."""
    if session.turns and (folder / GREETING_AUDIO).is_file():
        yield "greeting", folder / GREETING_AUDIO
    for t in session.turns:
        for who, name in (("interviewer", t.question_audio), ("candidate", t.answer_audio)):
            if name:
                yield f"turn {t.index + 1} {who}", folder / name
    if session.turns and (folder / CLOSING_AUDIO).is_file():
        yield "closing", folder / CLOSING_AUDIO


def play_audio(folder: Path, session: Session, out=None, echo=print) -> int:
    """Play both sides in order through the voice stack's audio output; returns the number of clips played."""
    from .voice.audio import SoundDeviceOut, check_devices
    from .voice.tts import read_wav

    clips = list(audio_sequence(folder, session))
    if not clips:
        raise SessionError(f"session {session.meta.id} has no saved audio (it was a {session.meta.mode} session)")
    missing = [str(p.name) for _, p in clips if not p.is_file()]
    if missing:
        raise SessionError(f"{folder}: audio files missing: {', '.join(missing)}")
    if out is None:
        check_devices(need_input=False, need_output=True)
        out = SoundDeviceOut()
    played = 0
    try:
        for label, path in clips:
            echo(f"\u25b6 {label}: {path.name}")
            out.play(read_wav(path))
            out.wait()
            played += 1
    finally:
        out.stop()
    return played


# --- repairs ----------------------------------------------------------------------------------

TORN_NAME = "session.jsonl.torn"


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


# --- versioned grades -------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on the session folder, so two re-grades never take the same version number."""
    with open(folder / LOG_NAME, "rb") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def grade_versions(folder: Path) -> list[tuple[int, GradeReport]]:
    """Every grade in the log with its version number, in order (a torn last line is skipped)."""
    out: list[tuple[int, GradeReport]] = []
    for line in (folder / LOG_NAME).read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and data.get("type") == "graded":
            with contextlib.suppress(ValueError):
                ev = Graded.model_validate(data)
                out.append((ev.version, ev.report))
    return out


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


def regrade(store: SessionStore, session_id: str, grader: Grader, rubric: Rubric,
            level: Level | None = None) -> Regrade:
    """Grade the saved transcript again; append it as the next version. Earlier versions stay untouched."""
    folder = store.folder(session_id)
    session = read_session(folder)
    if not candidate_text(session.turns):
        raise SessionError(f"session {session_id} has no answers to grade")
    report = grader.grade(list(session.turns), rubric, level or session.meta.level, session.meta.question)
    with _locked(folder):
        repair_torn_tail(folder)
        versions = grade_versions(folder)
        for v, old in versions:  # make the derived files of earlier versions exist too
            write_grade_file(folder, v, old)
        version = max((v for v, _ in versions), default=0) + 1
        with SessionWriter(folder) as w:
            w.append(Graded(version=version, report=report))
        path = write_grade_file(folder, version, report)
    return Regrade(version, report, versions[-1][1] if versions else None, path)


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


# --- reports ----------------------------------------------------------------------------------


def session_html(store: SessionStore, session_id: str, rubric: Rubric | None = None) -> str:
    """The self-contained HTML report of a session's latest grade, with the history of the whole store."""
    folder = store.folder(session_id)
    session = read_session(folder)
    if not session.grades:
        raise SessionError(f"session {session_id} has not been graded yet (try: interviewer replay "
                           f"{session_id} --regrade)")
    history = history_points(store, session.grades[-1].rubric)
    return render_html(session.grades[-1], session.turns, title=f"Interview report \u00b7 {session_id}",
                       meta=session.meta, rubric=rubric, history=history, warnings=session.warnings,
                       version=len(session.grades))


def write_session_report(store: SessionStore, session_id: str, rubric: Rubric | None = None,
                         path: Path | None = None) -> Path:
    """Write report.html into the session folder (or `path`), atomically."""
    target = path or store.folder(session_id) / HTML_REPORT
    write_atomic(target, session_html(store, session_id, rubric))
    return target


def save_derived(store: SessionStore, session_id: str, rubric: Rubric | None = None) -> Path:
    """After a session is graded: grade-v{n}.json for every version in the log, and report.html."""
    folder = store.folder(session_id)
    for version, report in grade_versions(folder):
        write_grade_file(folder, version, report)
    return write_session_report(store, session_id, rubric)


# --- resume -----------------------------------------------------------------------------------


def resumable(store: SessionStore, session_id: str) -> tuple[SessionMeta, list[Turn], list[str]]:
    """The meta and finished turns of a session to continue; refuses one that already completed."""
    session = store.load(session_id)
    if session.ended is not None and session.ended.reason == "completed":
        raise SessionError(f"session {session_id} already completed; start a new one instead")
    if session.meta.mode not in ("text", "voice", "files"):
        raise InterviewerError(f"session {session_id} was imported ({session.meta.mode}); it cannot be resumed")
    folder = store.folder(session_id)
    with _locked(folder):
        note = repair_torn_tail(folder)
    return session.meta, list(session.turns), [*session.warnings, *([note] if note else [])]
