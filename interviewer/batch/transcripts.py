"""Transcripts: a .txt answer, or a labelled dialogue, to the turns that get graded.

A transcript is someone's spoken answer written down, so it cannot be longer than the longest recording we
accept: `MAX_AUDIO_SECONDS` (20 min) at a fast 200 words a minute gives `MAX_TRANSCRIPT_WORDS` (4,000 words).
The byte cap checked before reading (`MAX_TRANSCRIPT_BYTES`) allows 40 bytes a word, far more than any
language's words take in UTF-8, so no real answer is refused by size while a 10 MB file is never read.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputFileError
from ..media import MAX_AUDIO_SECONDS
from ..models import ROUND_ORDER, RoundKind, Turn
from .files import TooLarge, read_bounded

TRANSCRIPT_EXTENSIONS = (".txt",)
SPOKEN_WORDS_PER_MINUTE = 200  # fast speech; most people talk at 120-160
MAX_TRANSCRIPT_WORDS = int(MAX_AUDIO_SECONDS / 60 * SPOKEN_WORDS_PER_MINUTE)
MAX_TRANSCRIPT_BYTES = MAX_TRANSCRIPT_WORDS * 40
SPEAKERS = {
    "interviewer": "interviewer", "question": "interviewer", "q": "interviewer",
    "candidate": "candidate", "answer": "candidate", "a": "candidate", "me": "candidate", "you": "candidate",
}
SPEAKER_RX = re.compile(rf"^[ \t]*({'|'.join(SPEAKERS)})[ \t]*:[ \t]*", re.IGNORECASE | re.MULTILINE)


def _too_long(path: Path, amount: str) -> InputFileError:
    return InputFileError(f"{path}: {amount}, longer than a spoken answer could be (at most {MAX_TRANSCRIPT_WORDS} "
                          f"words: {MAX_AUDIO_SECONDS // 60} min at {SPOKEN_WORDS_PER_MINUTE} words a minute)")


def read_transcript_bytes(path: Path) -> bytes:
    """The raw bytes of a transcript file: a regular file, size-checked before a byte is read."""
    try:
        return read_bounded(path, MAX_TRANSCRIPT_BYTES)
    except TooLarge as e:
        raise _too_long(path, f"{e.size / 1e6:.1f} MB" if e.size >= 1e6 else f"{e.size} bytes") from None


def transcript_text(path: Path, raw: bytes) -> str:
    """The text of a transcript's bytes, or InputFileError saying exactly why it can't be used."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputFileError(
            f"{path}: not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start}); save it as UTF-8"
        ) from None
    if not text.strip():
        raise InputFileError(f"{path}: is empty" if not raw else f"{path}: contains only whitespace")
    words = len(text.split())
    if words > MAX_TRANSCRIPT_WORDS:
        raise _too_long(path, f"{words} words")
    return text


def read_transcript(path: Path) -> str:
    """The text of a transcript file, read once, or InputFileError naming the file and the problem."""
    return transcript_text(path, read_transcript_bytes(path))


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


def answer_turns(path: Path, raw: bytes, question: str | None) -> list[Turn]:
    """The turns to grade from a transcript's bytes; InputFileError when there is nothing to grade."""
    turns = transcript_turns(transcript_text(path, raw), question)
    if not any(t.answer for t in turns):
        raise InputFileError(f"{path}: the transcript has interviewer lines but no answers to grade")
    return turns


def _turn(index: int, question: str, answers: list[str]) -> Turn:
    round_kind = ROUND_ORDER[min(index, len(ROUND_ORDER) - 1)]
    answer = "\n\n".join(a for a in answers if a)
    return Turn(index=index, round=round_kind, question=question, answer=answer, skipped=not answer)
