"""`interviewer practice`: choose persona, level and opening question, run the interview, print the report.

Two seams other modes plug into:
- `make_channel` builds how the interview reaches the candidate (text today; voice and audio files later);
- `make_phraser_and_grader` builds who phrases the questions and who grades (offline today; LLM later).
"""

from __future__ import annotations

import argparse
import random
import select
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from .catalog import Catalog, load_catalog
from .errors import CatalogError, NoTerminalError
from .grading import OfflineGrader
from .interview import Answer, Channel, InterviewSetup, OfflinePhraser, Phraser, Said, run_interview
from .models import Level, Persona, Question, Turn
from .protocols import Grader
from .report.markdown import render_markdown
from .store import SessionStore, read_session, write_atomic

DONE_COMMANDS = ("/done",)
SKIP_COMMAND = "/skip"
QUIT_COMMAND = "/quit"
FIRST_INPUT_TIMEOUT_S = 30.0  # with a non-terminal stdin, how long to wait for the first answer line
REPORT_NAME = "report.md"
TEXT_HINT = "(type your answer; an empty line or /done ends it, /skip skips the question, /quit ends the interview)"


class TextChannel:
    """The terminal: prints the interviewer's words and reads typed answers line by line."""

    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None, speaker: str = "Interviewer"):
        self.stdin = stdin if stdin is not None else sys.stdin
        self.stdout = stdout if stdout is not None else sys.stdout
        self.speaker = speaker
        self._pending: list[str] = []  # lines read ahead by `check_input`
        self._eof = False
        self._hinted = False

    # -- setup --

    def attach(self, folder: Path) -> None:
        """Text needs no files in the session folder."""

    def check_input(self, timeout: float = FIRST_INPUT_TIMEOUT_S) -> None:
        """Fail fast when nobody can answer: stdin is not a terminal and carries no answers.

        With a terminal this returns at once. Otherwise it waits (up to `timeout`) for the first line and
        keeps it for the first answer, so piped answers work and an empty pipe or /dev/null does not hang.
        """
        if _isatty(self.stdin):
            return
        if not _readable_within(self.stdin, timeout):
            raise NoTerminalError(
                f"stdin is not a terminal and no answer arrived within {timeout:.0f} s; "
                "run `interviewer practice --text` in a terminal, or pipe the answers in"
            )
        line = self.stdin.readline()
        if line == "":
            raise NoTerminalError(
                "stdin is not a terminal and is empty, so there is nobody to answer; "
                "run `interviewer practice --text` in a terminal, or pipe the answers in "
                "(an empty line ends each answer)"
            )
        self._pending.append(line)

    # -- the Channel protocol --

    def say(self, pieces: Iterator[str], turn_index: int | None) -> Said:
        header = f"\n{self.speaker}: " if turn_index is None else f"\n[{turn_index + 1}] {self.speaker}: "
        self.stdout.write(header)
        parts: list[str] = []
        for piece in pieces:
            parts.append(piece)
            self.stdout.write(piece)
            self.stdout.flush()
        self.stdout.write("\n")
        self.stdout.flush()
        return Said(text="".join(parts).strip())

    def listen(self, turn_index: int) -> Answer:
        if not self._hinted:
            self.stdout.write(TEXT_HINT + "\n")
            self._hinted = True
        self.stdout.write("> ")
        self.stdout.flush()
        answer = self._read_answer()
        if not _isatty(self.stdin):  # piped answers: show them so the printed dialogue reads in order
            shown = "(skipped)" if answer.skipped else answer.text.replace("\n", "\n  ")
            self.stdout.write(f"{shown}{' /quit' if answer.quit else ''}\n")
            self.stdout.flush()
        return answer

    def _read_answer(self) -> Answer:
        lines: list[str] = []
        while True:
            raw = self._readline()
            if raw is None:  # end of input (Ctrl-D, or the pipe ran dry): whatever was typed is the last answer
                return Answer(text="\n".join(lines), quit=True)
            line = raw.rstrip("\r\n")
            command = line.strip().lower()
            if command == QUIT_COMMAND:
                return Answer(text="\n".join(lines), quit=True)
            if command == SKIP_COMMAND:
                return Answer(skipped=True)
            if command in DONE_COMMANDS or (not line.strip() and lines):
                if lines:
                    return Answer(text="\n".join(lines))
                continue  # /done or a blank line before any text: keep waiting for the answer
            if line.strip():
                lines.append(line.rstrip())

    def _readline(self) -> str | None:
        if self._pending:
            line = self._pending.pop(0)
        elif self._eof:
            return None
        else:
            line = self.stdin.readline()
        if line == "":
            self._eof = True
            return None
        return line


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _readable_within(stream: TextIO, timeout: float) -> bool:
    """True when a read would not block (data or end of file), as far as the platform can tell."""
    try:
        fd = stream.fileno()
    except (AttributeError, ValueError, OSError):
        return True  # an in-memory stream never blocks
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
    except (OSError, ValueError):
        return True  # select does not work on this kind of stream (e.g. Windows pipes): just read
    return bool(ready)


# --- the seams ------------------------------------------------------------------------------


def make_channel(args: argparse.Namespace, persona: Persona) -> tuple[Channel, str]:
    """How the interview reaches the candidate, and the session mode it records ("text", "voice", "files").

    --answers DIR: the voice loop on audio files; --text: typing; neither: microphone and speaker, or, when
    the machine cannot do sound, a message saying what is missing and the text mode.
    """
    if getattr(args, "answers", None):
        from .voice.factory import open_voice

        return open_voice(args, persona), "files"
    if not getattr(args, "text", False):
        from .voice.audio import SoundUnavailable
        from .voice.factory import open_voice
        from .voice.tts import TTSUnavailable

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
    from .llm import setup as llm_setup

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
        if question_id not in cat.questions:
            raise CatalogError(
                f"--question {question_id!r}: no such question; available: {', '.join(sorted(cat.questions))}"
            )
        return cat.questions[question_id]
    pool = sorted(cat.questions_for(level), key=lambda q: q.id) or sorted(cat.questions.values(), key=lambda q: q.id)
    if not pool:
        raise CatalogError("the question bank is empty; add a questions/*.yaml file")
    return random.Random(seed).choice(pool)


def _persona(cat: Catalog, persona_id: str) -> Persona:
    if persona_id not in cat.personas:
        raise CatalogError(f"--persona {persona_id!r}: no such persona; available: {', '.join(sorted(cat.personas))}")
    return cat.personas[persona_id]


def _rubric(cat: Catalog, rubric_id: str):
    if rubric_id not in cat.rubrics:
        raise CatalogError(f"--rubric {rubric_id!r}: no such rubric; available: {', '.join(sorted(cat.rubrics))}")
    return cat.rubrics[rubric_id]


def _resume_state(store: SessionStore, session_id: str) -> tuple[list[Turn], str, str, Level, str | None]:
    """The finished turns and choices of an unfinished session (a torn last line is set aside first)."""
    from .sessions import resumable

    meta, turns, notes = resumable(store, session_id)
    for note in notes:
        print(f"interviewer: {note}", file=sys.stderr)
    return turns, meta.persona, meta.rubric, meta.level, meta.question_id


# --- the command ----------------------------------------------------------------------------


def practice(args: argparse.Namespace) -> int:
    """Run one mock interview and print the report. Returns the exit status."""
    cat = load_catalog(getattr(args, "data_dir", None))
    store = SessionStore()
    resume_id = getattr(args, "resume", None)
    resume_turns: list[Turn] | None = None
    persona_id, rubric_id = args.persona, args.rubric
    level = Level(args.level) if args.level else None
    question_id = args.question
    if resume_id:
        resume_turns, persona_id, rubric_id, level, question_id = _resume_state(store, resume_id)
    persona = _persona(cat, persona_id)
    rubric = _rubric(cat, rubric_id)
    level = level or persona.level
    question = choose_question(cat, level, question_id, getattr(args, "seed", None))

    phraser, grader = make_phraser_and_grader(args, persona)
    channel, mode = make_channel(args, persona)
    setup = InterviewSetup(persona=persona, rubric=rubric, level=level, question=question, mode=mode,
                           stt_model=getattr(channel, "stt_model", None), llm_model=getattr(phraser, "model", None))
    result = run_interview(setup, channel, grader, store, phraser=phraser, resume_turns=resume_turns,
                           session_id=resume_id)

    print()
    if result.report is None:
        print("No answers were given, so there is nothing to grade.")
    else:
        meta = read_session(result.folder).meta
        text = render_markdown(result.report, result.turns, meta, rubric=rubric)
        write_atomic(result.folder / REPORT_NAME, text)
        print(text)
        from .sessions import save_derived

        html = save_derived(store, result.session_id, rubric)
        print(f"HTML report: {html}")
    print(f"Session saved in {result.folder}")
    return 0
