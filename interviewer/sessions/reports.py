"""A session's derived files: `grade-v{n}.json` per version and the self-contained `report.html`.

Each works from one reading of the session's log (a `SessionLog`); the history charts read the other
sessions of the store, never this one again.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import SessionError
from ..models import Rubric
from ..report.data import RetryView
from ..report.html import render_html
from .attempts import attempt_changes, effective_turns
from .listing import history_points
from .store import SessionLog, SessionStore, read_log, write_atomic
from .versions import write_grade_file

HTML_REPORT = "report.html"


def latest_grade(log: SessionLog):
    if not log.session.grades:
        raise SessionError(f"session {log.id} has not been graded yet (try: interviewer replay {log.id} --regrade)")
    return log.session.grades[-1]


def session_html(store: SessionStore, log: SessionLog, rubric: Rubric | None = None, audio: bool = True) -> str:
    """The self-contained HTML report of a session's latest grade, with the history of the whole store; with
    `audio`, both sides' saved audio of every turn, compressed into the page."""
    grade = latest_grade(log)
    session = log.session
    history = history_points(store, grade.rubric, loaded={log.id: session})
    turns = effective_turns(session)  # what the latest grade saw: retries' answers in place
    clips = None
    if audio and any(t.question_audio or t.answer_audio for t in turns):
        from ..report.audio import session_audio

        clips = session_audio(log.folder, turns)
    return render_html(grade, turns, title=f"Interview report \u00b7 {log.id}", meta=session.meta,
                       rubric=rubric, history=history, warnings=session.warnings, version=len(session.grades),
                       audio=clips, retries=retry_views(log, audio=clips is not None))


def retry_views(log: SessionLog, audio: bool = False) -> list[RetryView]:
    """Every graded retry of the session, before and after, for the report; with `audio`, the replaced
    answers' audio too (the new answers play in the transcript)."""
    out = []
    for c in attempt_changes(log.session, log.versions):
        uris: tuple[str, ...] = ()
        if audio and any(t.answer_audio for t in c.replaced):
            from ..report.audio import session_audio

            clips = session_audio(log.folder, c.replaced)
            uris = tuple(clips.answers[t.index].uri if t.index in clips.answers else "" for t in c.replaced)
        out.append(RetryView(
            attempt=c.attempt.attempt, signal=c.signal, before_score=c.score(c.before),
            after_score=c.score(c.after) or 0, before_overall=c.before.overall.score if c.before else None,
            after_overall=c.after.overall.score, gained=c.gained, lost=c.lost,
            original=[(t.question, t.answer) for t in c.replaced], new=[(t.question, t.answer) for t in c.attempt.turns],
            self_rating=c.attempt.self_rating, original_audio=uris))
    return out


def write_session_report(store: SessionStore, log: SessionLog, rubric: Rubric | None = None,
                         path: Path | None = None, audio: bool = True) -> Path:
    """Write report.html into the session folder (or `path`), atomically."""
    target = path or log.folder / HTML_REPORT
    write_atomic(target, session_html(store, log, rubric, audio))
    return target


def save_derived(store: SessionStore, session_id: str, rubric: Rubric | None = None,
                 log: SessionLog | None = None) -> Path:
    """After a session is graded: grade-v{n}.json for every version in the log, and report.html.

    Pass the `log` already read to avoid reading it again."""
    log = log or read_log(store.folder(session_id))
    for version, report in log.versions:
        write_grade_file(log.folder, version, report)
    return write_session_report(store, log, rubric)
