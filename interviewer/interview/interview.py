"""The interview as a pipeline: plan the next question -> phrase it -> say it -> listen -> log the turn.

The stages are behind small seams so text, voice and file-driven modes, and the offline and LLM personas,
all run the same loop:
- the round engine (`engine.plan_next`, pure) decides the round, the gap to press and an offline phrasing;
- the timebox (`timebox`, pure) cuts in after an opening story past the persona's limit (said before the next
  question; a spoken channel, told the limit, interrupts at the first pause past it) and asks once to "say
  more" after a very short answer;
- a `Phraser` turns that plan into the words the persona says (offline: the plan's text; LLM: streamed);
- a `Channel` delivers the words to the candidate and returns their answer (terminal, voice, audio files);
- the `SessionWriter` fsyncs every finished turn before the next question is asked;
- a `Grader` grades the whole transcript at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from .. import __version__
from ..grading import assess
from ..models import GradeReport, Level, Persona, Question, Rubric, SessionMeta, Turn, candidate_text, utcnow
from ..protocols import Channel, Grader, Phraser, PlannedQuestion
from ..session_log import Graded, SessionEnded, SessionStarted, TurnCompleted
from ..sessions.store import SessionStore
from . import engine, timebox


class OfflinePhraser:
    """The deterministic persona: says exactly what the round engine planned."""

    name = "offline"

    def phrase(self, planned: PlannedQuestion, persona: Persona, turns: list[Turn]) -> Iterator[str]:
        yield planned.text


@dataclass
class InterviewSetup:
    persona: Persona
    rubric: Rubric
    level: Level
    question: Question
    mode: str = "text"
    llm_model: str | None = None
    stt_model: str | None = None


@dataclass
class InterviewResult:
    session_id: str
    folder: Path
    turns: list[Turn]
    report: GradeReport | None
    reason: str


def run_interview(
    setup: InterviewSetup,
    channel: Channel,
    grader: Grader,
    store: SessionStore,
    phraser: Phraser | None = None,
    resume_turns: list[Turn] | None = None,
    session_id: str | None = None,
    grade_version: int = 1,
) -> InterviewResult:
    """Run the rounds of `setup.persona`, logging each finished turn, then grade.

    With `resume_turns` (and the `session_id` they came from) the interview continues after the last
    finished turn instead of starting over; `grade_version` is then one more than the last grade in its
    log (the caller has read the log already, so the loop never reads it again).
    """
    phraser = phraser or OfflinePhraser()
    turns: list[Turn] = list(resume_turns or [])
    sid, writer = store.create(session_id)
    channel.attach(writer.folder)
    reason = "completed"
    report: GradeReport | None = None
    try:
        if not resume_turns:
            writer.append(SessionStarted(meta=_meta(sid, setup)))
            channel.say(iter([setup.persona.greeting]), None)
        # a "say more" turn is not a round of the plan: a resumed interview goes on after the last round
        rounds = setup.persona.rounds[sum(1 for t in turns if t.question_id != timebox.SAY_MORE_ID) :]
        lead_in: str | None = None  # a cut-in said before the next question
        for round_kind in rounds:
            planned = engine.plan_next(
                round_kind, setup.persona, setup.question, turns, assess(candidate_text(turns)), setup.level
            )
            pieces = phraser.phrase(planned, setup.persona, turns)
            turn, quit_ = _ask(channel, chain([lead_in], pieces) if lead_in else pieces, planned, turns, phraser,
                               timebox.answer_limit(round_kind, setup.persona))
            lead_in = None
            if turn is not None:
                turns.append(turn)
                writer.append(TurnCompleted(turn=turn))
            if quit_ or turn is None:
                reason = "quit"
                break
            lead_in = timebox.cut_in(round_kind, turn.answer, turn.answer_seconds, setup.persona, turn.cut_off)
            more = None if turn.skipped or turn.cut_off else timebox.say_more(
                round_kind, planned.target, turn.answer, setup.persona)
            if more:
                again = PlannedQuestion(round=round_kind, text=more, question_id=timebox.SAY_MORE_ID,
                                        target=planned.target, note=planned.note, level=planned.level)
                extra, quit_ = _ask(channel, iter([more]), again, turns, None)
                if extra is not None:
                    turns.append(extra)
                    writer.append(TurnCompleted(turn=extra))
                if quit_:
                    reason = "quit"
                    break
        if reason == "completed":
            channel.say(iter([setup.persona.closing]), None)
        if any(t.answer for t in turns):
            report = grader.grade(turns, setup.rubric, setup.level, setup.question.text)
            writer.append(Graded(version=grade_version, report=report))
        writer.append(SessionEnded(reason=reason))
    except KeyboardInterrupt:
        writer.append(SessionEnded(reason="interrupted"))
        raise
    finally:
        writer.close()
    return InterviewResult(sid, writer.folder, turns, report, reason)


def _ask(channel: Channel, pieces: Iterator[str], planned: PlannedQuestion, turns: list[Turn],
         phraser: Phraser | None, limit_s: float | None = None) -> tuple[Turn | None, bool]:
    """Say one question and listen (the answer given `limit_s` of talk, if any): the finished turn (None when
    the candidate quit without answering) and whether they asked to end the interview."""
    asked_at = utcnow()
    said = channel.say(pieces, len(turns))
    answer = channel.listen(len(turns), limit_s)
    if answer.quit and not answer.text.strip():
        return None, True
    turn = Turn(
        index=len(turns),
        round=planned.round,
        question=said.text or planned.text,
        question_id=planned.question_id,
        target=planned.target,
        answer=answer.text.strip(),
        skipped=answer.skipped,
        asked_at=asked_at,
        answered_at=utcnow(),
        answer_seconds=answer.seconds,
        words=answer.words,
        question_audio=said.audio_file,
        answer_audio=answer.audio_file,
        note=planned.note,
        phrased_by=phraser.name if phraser is not None else OfflinePhraser.name,  # known once it has phrased
        audio_dropped=answer.audio_dropped,
        time_limit_s=limit_s,
        cut_off=answer.cut_off,
    )
    return turn, answer.quit


def _meta(sid: str, setup: InterviewSetup) -> SessionMeta:
    return SessionMeta(
        id=sid,
        persona=setup.persona.id,
        level=setup.level,
        rubric=setup.rubric.id,
        question_id=setup.question.id,
        question=setup.question.text,
        mode=setup.mode,  # type: ignore[arg-type]
        llm_model=setup.llm_model,
        stt_model=setup.stt_model,
        app_version=__version__,
    )
