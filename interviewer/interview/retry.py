"""`interviewer practice --retry ID [--signal SIGNAL]`: a short drill at one weak signal of a saved session.

The persona asks the question aimed at the signal (the weakest of the latest grade unless one is named)
and, when the new answer is still thin there (the detectors score it below solid), one follow-up. The drill
is saved in the same session log as an attempt, each finished turn fsynced before the next question; the
session is then graded again with the new answers in place of the ones they replace, as the next grade
version. Nothing already in the log is changed.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from ..durable import fsync_dir
from ..errors import InterviewerError
from ..grading import assess
from ..models import FollowUp, GradeReport, Level, Persona, RoundKind, Rubric, Turn, candidate_text, utcnow
from ..protocols import Answer, Channel, Grader, Phraser, PlannedQuestion, Said
from ..session_log import Attempt, AttemptFinished, AttemptStarted, AttemptTurn
from ..sessions.attempts import effective_turns, next_turn_index, replaced_turn, weakest_signal
from ..sessions.store import SessionLog, SessionWriter
from ..sessions.versions import append_grade
from .text import TextChannel

SOLID_SCORE = 3  # below this the new answer is still thin, and the drill asks one follow-up
ATTEMPT_FOLDER = "retry-{attempt}"  # the attempt's audio, beside the session's own turns


class RetryError(InterviewerError):
    """A session that cannot be retried (never graded, no such signal)."""


def choose_signal(log: SessionLog, rubric: Rubric, signal: str | None) -> str:
    if not log.session.grades:
        raise RetryError(f"session {log.id} has not been graded yet, so there is no weak signal to retry "
                         f"(try: interviewer replay {log.id} --regrade)")
    known = [s.id for s in rubric.signals]
    if signal is None:
        return weakest_signal(log.session.grades[-1])
    if signal not in known:
        raise RetryError(f"--signal {signal!r}: not a signal of rubric {rubric.id}; choose from {', '.join(known)}")
    return signal


def _plain(template: str | None) -> str | None:
    """A follow-up text with no placeholders to fill, else None."""
    if not template:
        return None
    try:
        if any(name is not None for _, name, _, _ in string.Formatter().parse(template)):
            return None
    except ValueError:
        return None
    return " ".join(template.split())


def _aimed(persona: Persona, signal: str, level: Level) -> list[tuple[FollowUp, str]]:
    out = []
    for fu in persona.followups:
        if fu.signal == signal and fu.flag is None and (not fu.levels or level in fu.levels):
            text = _plain(fu.text) or _plain(fu.fallback)
            if text:
                out.append((fu, text))
    return out


def drill_questions(persona: Persona, rubric: Rubric, signal: str, level: Level,
                    original: Turn | None) -> tuple[PlannedQuestion, PlannedQuestion]:
    """The question aimed at the signal (the original one again when there was one) and the follow-up."""
    aimed = _aimed(persona, signal, level)
    name = rubric.signal(signal).name
    if original is not None and original.target == signal:
        first = PlannedQuestion(round=original.round, text=f"Let's try that one again. {original.question}",
                                question_id=original.question_id, target=signal)
        aimed = [(fu, t) for fu, t in aimed if fu.id != original.question_id]
    elif aimed:
        fu, text = aimed.pop(0)
        first = PlannedQuestion(round=fu.round, text=text, question_id=fu.id, target=signal)
    else:
        first = PlannedQuestion(round=RoundKind.constraint, target=signal,
                                text=f"Let's go back to {name.lower()}. Walk me through it again, in detail.")
    if aimed:
        fu, text = aimed[0]
        second = PlannedQuestion(round=fu.round, text=text, question_id=fu.id, target=signal)
    else:
        advice = rubric.signal(signal).advice.rstrip(".")
        second = PlannedQuestion(round=first.round, target=signal,
                                 text=f"Say a little more about {name.lower()}: {advice[:1].lower()}{advice[1:]}?")
    return first, second


class _Subfolder:
    """A channel whose files go to the attempt's own folder; turn indexes count from 0 in the drill."""

    def __init__(self, channel: Channel, folder: Path, relative: str):
        self.channel, self.relative = channel, relative
        if not isinstance(channel, TextChannel) and not folder.exists():  # typing saves no audio
            folder.mkdir(parents=True)
            fsync_dir(folder.parent)
        channel.attach(folder)

    def say(self, pieces: Iterator[str], k: int) -> Said:
        said = self.channel.say(pieces, k)
        return Said(said.text, f"{self.relative}/{said.audio_file}" if said.audio_file else None)

    def listen(self, k: int, limit_s: float | None = None) -> Answer:
        a = self.channel.listen(k, limit_s)
        return replace(a, audio_file=f"{self.relative}/{a.audio_file}") if a.audio_file else a


@dataclass
class RetryResult:
    attempt: Attempt
    before: GradeReport
    after: GradeReport | None
    version: int | None
    log: SessionLog  # as read before the retry


def run_retry(log: SessionLog, signal: str, persona: Persona, rubric: Rubric, channel: Channel, grader: Grader,
              phraser: Phraser, level: Level | None = None) -> RetryResult:
    """Ask the drill, log each finished turn, grade with the new answers in place; see the module doc."""
    session = log.session
    before = session.grades[-1]
    level = level or session.meta.level
    number = len(session.attempts) + 1
    replaces = replaced_turn(session, signal, before)
    original = next((t for t in session.turns if t.index == replaces), None)
    questions = drill_questions(persona, rubric, signal, level, original)
    relative = ATTEMPT_FOLDER.format(attempt=number)
    drill = _Subfolder(channel, log.folder / relative, relative)
    attempt = Attempt(attempt=number, signal=signal, replaces=replaces, before_version=log.versions[-1][0])
    index = next_turn_index(session)
    reason = "completed"
    with SessionWriter(log.folder) as writer:
        writer.append(AttemptStarted(attempt=number, signal=signal, replaces=replaces,
                                     before_version=attempt.before_version))
        try:
            for k, planned in enumerate(questions):
                if k == 1 and assess(candidate_text(attempt.turns)).scores.get(signal, 0) >= SOLID_SCORE:
                    break  # the new answer is solid: no follow-up
                asked_at = utcnow()
                said = drill.say(phraser.phrase(planned, persona, [*session.turns, *attempt.turns]), k)
                answer = drill.listen(k)
                if answer.quit and not answer.text.strip():
                    reason = "quit"
                    break
                turn = Turn(index=index + k, round=planned.round, question=said.text or planned.text,
                            question_id=planned.question_id, target=signal, answer=answer.text.strip(),
                            skipped=answer.skipped, asked_at=asked_at, answered_at=utcnow(),
                            answer_seconds=answer.seconds, words=answer.words, question_audio=said.audio_file,
                            answer_audio=answer.audio_file, phrased_by=phraser.name,
                            audio_dropped=answer.audio_dropped)
                attempt.turns.append(turn)
                writer.append(AttemptTurn(attempt=number, turn=turn))
                if answer.quit:
                    reason = "quit"
                    break
        except KeyboardInterrupt:
            writer.append(AttemptFinished(attempt=number, reason="interrupted"))
            raise
        after, version = None, None
        if any(t.answer for t in attempt.turns):
            turns = effective_turns(session, extra=attempt)
            after = grader.grade(turns, rubric, level, session.meta.question)
    if after is not None:
        version, _path, _ = append_grade(log, after)
    finished = AttemptFinished(attempt=number, reason=reason if after is None else "completed", version=version)
    with SessionWriter(log.folder) as writer:
        writer.append(finished)
    attempt.finished = finished
    return RetryResult(attempt, before, after, version, log)
