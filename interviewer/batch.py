"""Transcripts for `interviewer grade`: reading a .txt answer or dialogue into turns, one result per input.

The seam is `grade_input(path, ctx) -> list[GradeResult]`: one input path (a file, or a folder of them) in,
one result per graded item out, a failed item carrying its error instead of a report. The `grade` command
itself (recordings and session folders too, streaming, caching, --out) is `batch_runner.grade_command`,
which grades each transcript through this seam.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputFileError, InterviewerError
from .models import ROUND_ORDER, GradeReport, Level, RoundKind, Rubric, Turn
from .protocols import Grader

TRANSCRIPT_EXTENSIONS = (".txt",)
SPEAKERS = {
    "interviewer": "interviewer", "question": "interviewer", "q": "interviewer",
    "candidate": "candidate", "answer": "candidate", "a": "candidate", "me": "candidate", "you": "candidate",
}
SPEAKER_RX = re.compile(rf"^[ \t]*({'|'.join(SPEAKERS)})[ \t]*:[ \t]*", re.IGNORECASE | re.MULTILINE)


@dataclass
class GradeContext:
    """Everything grading one input needs, chosen once per command."""

    rubric: Rubric
    level: Level
    grader: Grader
    question: str | None = None


@dataclass
class GradeResult:
    """One graded input: a report and the turns it came from, or an error naming what was wrong."""

    source: str
    report: GradeReport | None = None
    turns: list[Turn] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> str:
        if self.report is None:
            return json.dumps({"source": self.source, "error": self.error}, ensure_ascii=False)
        data = self.report.model_dump(mode="json")
        return json.dumps({"source": self.source, **data}, ensure_ascii=False)


def read_transcript(path: Path) -> str:
    """The text of a transcript file, or InputFileError saying exactly why it can't be used."""
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder, not a transcript")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InputFileError(f"{path}: cannot read: {e.strerror or e}") from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputFileError(
            f"{path}: not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start}); save it as UTF-8"
        ) from None
    if not text.strip():
        raise InputFileError(f"{path}: is empty" if not raw else f"{path}: contains only whitespace")
    return text


def transcript_turns(text: str, question: str | None) -> list[Turn]:
    """The turns of a transcript.

    A labelled transcript ("Interviewer: ..." / "Candidate: ...", also Q:/A:, Me:, You:) becomes one turn per
    interviewer line, so only the candidate's words are graded. Anything else is one answer to `question`.
    """
    marks = list(SPEAKER_RX.finditer(text))
    speakers = {SPEAKERS[m.group(1).lower()] for m in marks}
    if speakers != {"interviewer", "candidate"}:
        return [Turn(index=0, round=RoundKind.opening, question=question or "", answer=text.strip())]
    turns: list[Turn] = []
    preamble = text[: marks[0].start()].strip()
    pending_question = question or ""
    answers: list[str] = [preamble] if preamble else []
    for i, m in enumerate(marks):
        body = text[m.end() : marks[i + 1].start() if i + 1 < len(marks) else len(text)].strip()
        if SPEAKERS[m.group(1).lower()] == "interviewer":
            if answers or turns:
                turns.append(_turn(len(turns), pending_question, answers))
            pending_question, answers = body, []
        elif body:
            answers.append(body)
    turns.append(_turn(len(turns), pending_question, answers))
    return [t for t in turns if t.answer or t.question]


def _turn(index: int, question: str, answers: list[str]) -> Turn:
    round_kind = ROUND_ORDER[min(index, len(ROUND_ORDER) - 1)]
    answer = "\n\n".join(a for a in answers if a)
    return Turn(index=index, round=round_kind, question=question, answer=answer, skipped=not answer)


def grade_text_file(path: Path, ctx: GradeContext) -> GradeResult:
    turns = transcript_turns(read_transcript(path), ctx.question)
    if not any(t.answer for t in turns):
        raise InputFileError(f"{path}: the transcript has interviewer lines but no answers to grade")
    question = ctx.question or turns[0].question or None
    report = ctx.grader.grade(turns, ctx.rubric, ctx.level, question)
    return GradeResult(source=str(path), report=report, turns=turns)


def expand(path: Path) -> list[Path]:
    """A folder stands for the transcripts directly inside it; anything else stands for itself."""
    if not path.is_dir():
        return [path]
    found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in TRANSCRIPT_EXTENSIONS)
    if not found:
        raise InputFileError(f"{path}: folder has no transcripts ({', '.join(TRANSCRIPT_EXTENSIONS)} files)")
    return found


def grade_input(path: Path, ctx: GradeContext) -> list[GradeResult]:
    """Grade one command-line input. Never raises for a bad input: the error goes into its result."""
    try:
        items = expand(path)
    except InterviewerError as e:
        return [GradeResult(source=str(path), error=str(e))]
    results = []
    for item in items:
        try:
            results.append(grade_text_file(item, ctx))
        except InterviewerError as e:
            results.append(GradeResult(source=str(item), error=str(e)))
    return results
