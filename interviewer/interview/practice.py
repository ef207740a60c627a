"""`interviewer practice`: choose persona, level and opening question, run the interview, print the report.

Two seams other modes plug into:
- `make_channel` builds how the interview reaches the candidate (terminal, microphone and speaker, files);
- `make_phraser_and_grader` builds who phrases the questions and who grades (offline, or the LLM).

The level is `--level`, else `DEFAULT_LEVEL` (L5), the same default as `interviewer grade`: it picks the
opening question, the level-specific follow-ups and the grading. A persona's own level describes the
interviewer, not the bar the candidate is held to.
"""

from __future__ import annotations

import argparse
import random
import sys

from ..catalog import Catalog, load_catalog
from ..errors import CatalogError, InterviewerError
from ..grading import OfflineGrader
from ..models import DEFAULT_LEVEL, Level, Persona, Question, Turn
from ..protocols import Channel, Grader, Phraser
from ..report.markdown import render_markdown
from ..sessions.store import SessionStore, read_log, write_atomic
from .interview import InterviewSetup, OfflinePhraser, run_interview
from .rating import ask_self_rating, save_self_rating
from .text import TextChannel

REPORT_NAME = "report.md"


# --- the seams ------------------------------------------------------------------------------


def make_channel(args: argparse.Namespace, persona: Persona) -> tuple[Channel, str]:
    """How the interview reaches the candidate, and the session mode it records ("text", "voice", "files").

    --answers DIR: the voice loop on audio files; --text: typing; neither: microphone and speaker, or, when
    the machine cannot do sound, a message saying what is missing and the text mode.
    """
    if getattr(args, "answers", None):
        from ..voice.factory import open_voice

        return open_voice(args, persona), "files"
    if not getattr(args, "text", False):
        from ..voice.audio import SoundUnavailable
        from ..voice.factory import open_voice
        from ..voice.tts import TTSUnavailable

        try:
            return open_voice(args, persona), "voice"
        except (SoundUnavailable, TTSUnavailable) as e:
            print(f"interviewer: voice is not available: {e}", file=sys.stderr)
            print("interviewer: continuing in text mode (`interviewer doctor` checks the set-up)", file=sys.stderr)
    channel = TextChannel(speaker=persona.name)
    channel.check_input()
    return channel, "text"


def make_phraser_and_grader(args: argparse.Namespace, persona: Persona | None = None) -> tuple[Phraser, Grader]:
    """Who phrases the questions and who grades: the LLM persona and judge when an endpoint is configured
    (OPENAI_BASE_URL or OPENAI_API_KEY, and no --offline), else the offline persona and grader."""
    from ..llm import setup as llm_setup

    llm, warning = llm_setup(args)
    if warning:
        print(f"interviewer: {warning}", file=sys.stderr)
    if llm is None:
        return OfflinePhraser(), OfflineGrader()
    return llm.phraser, llm.grader


# --- choosing what to ask -------------------------------------------------------------------


def choose_question(cat: Catalog, level: Level, question_id: str | None, seed: int | None) -> Question:
    """The `--question` id, else a random bank question for the level (repeatable with `--seed`)."""
    if question_id:
        return cat.question(question_id, "--question")
    pool = sorted(cat.questions_for(level), key=lambda q: q.id) or sorted(cat.questions.values(), key=lambda q: q.id)
    if not pool:
        raise CatalogError("the question bank is empty; add a questions/*.yaml file")
    return random.Random(seed).choice(pool)


def _resume_state(store: SessionStore, session_id: str) -> tuple[list[Turn], str, str, Level, str | None, int]:
    """The finished turns, choices and next grade version of an unfinished session (a torn last line is set
    aside first)."""
    from ..sessions import resumable

    meta, turns, notes, next_version = resumable(store, session_id)
    for note in notes:
        print(f"interviewer: {note}", file=sys.stderr)
    return turns, meta.persona, meta.rubric, meta.level, meta.question_id, next_version


# --- the command ----------------------------------------------------------------------------


def practice(args: argparse.Namespace) -> int:
    """Run one mock interview and print the report. Returns the exit status."""
    if getattr(args, "retry", None):
        return practice_retry(args)
    if getattr(args, "signal", None):
        raise InterviewerError("--signal goes with --retry ID (the session whose signal to drill)")
    cat = load_catalog(getattr(args, "data_dir", None))
    store = SessionStore()
    resume_id = getattr(args, "resume", None)
    resume_turns: list[Turn] | None = None
    persona_id, rubric_id = args.persona, args.rubric
    level = Level(args.level) if args.level else None
    question_id = args.question
    grade_version = 1
    if resume_id:
        resume_turns, persona_id, rubric_id, level, question_id, grade_version = _resume_state(store, resume_id)
    persona = cat.persona(persona_id, "--persona")
    rubric = cat.rubric(rubric_id, "--rubric")
    level = level or DEFAULT_LEVEL
    question = choose_question(cat, level, question_id, getattr(args, "seed", None))

    phraser, grader = make_phraser_and_grader(args, persona)
    channel, mode = make_channel(args, persona)
    try:  # the microphone is released on every way out: the end, an error, Ctrl-C
        setup = InterviewSetup(persona=persona, rubric=rubric, level=level, question=question, mode=mode,
                               stt_model=getattr(channel, "stt_model", None),
                               llm_model=getattr(phraser, "model", None))
        result = run_interview(setup, channel, grader, store, phraser=phraser, resume_turns=resume_turns,
                               session_id=resume_id, grade_version=grade_version)
    finally:
        channel.close()

    print()
    if result.report is None:
        print("No answers were given, so there is nothing to grade.")
    else:
        from ..sessions import save_derived

        rating = ask_self_rating(args)
        if rating is not None:
            save_self_rating(result.folder, rating)
        log = read_log(result.folder)  # the one read of the log this command makes
        text = render_markdown(result.report, result.turns, log.session.meta, rubric=rubric)
        write_atomic(result.folder / REPORT_NAME, text)
        print(text)
        html = save_derived(store, result.session_id, rubric, log=log)
        print(f"HTML report: {html}")
    print(f"Session saved in {result.folder}")
    return 0


def practice_retry(args: argparse.Namespace) -> int:
    """`practice --retry ID [--signal S]`: the drill at one weak signal, graded again, before and after shown."""
    from ..sessions import save_derived
    from ..sessions.attempts import attempt_changes, change_lines, effective_turns
    from ..sessions.reports import retry_views
    from ..sessions.versions import prepare_append
    from .retry import choose_signal, run_retry

    if getattr(args, "resume", None):
        raise InterviewerError("--retry and --resume: choose one (--resume continues an unfinished interview)")
    cat = load_catalog(getattr(args, "data_dir", None))
    store = SessionStore()
    log, note = prepare_append(store.open_log(args.retry))  # the id is checked against the store's form first
    if note:
        print(f"interviewer: {note}", file=sys.stderr)
    persona = cat.persona(log.session.meta.persona, "--persona")
    rubric = cat.rubric(log.session.meta.rubric, "--rubric")
    signal = choose_signal(log, rubric, getattr(args, "signal", None))
    level = Level(args.level) if args.level else log.session.meta.level
    phraser, grader = make_phraser_and_grader(args, persona)
    channel, _mode = make_channel(args, persona)
    try:
        result = run_retry(log, signal, persona, rubric, channel, grader, phraser, level)
    finally:
        channel.close()
    print()
    if result.after is None:
        print(f"No new answer about {signal}, so the session was not graded again.")
        return 0
    rating = ask_self_rating(args)
    if rating is not None:
        save_self_rating(log.folder, rating, attempt=result.attempt.attempt)
    log = read_log(log.folder)
    [change] = [c for c in attempt_changes(log.session, log.versions) if c.attempt.attempt == result.attempt.attempt]
    print("\n".join(change_lines(change)))
    print(f"graded again as version {result.version}")
    text = render_markdown(result.after, effective_turns(log.session), log.session.meta, rubric=rubric,
                           retries=retry_views(log))
    write_atomic(log.folder / REPORT_NAME, text)
    html = save_derived(store, log.id, rubric, log=log)
    print(f"HTML report: {html}")
    return 0
