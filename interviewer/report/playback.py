"""Where each spoken word sits in an answer's text and in its audio: for seeking and highlighting in the report.

Whisper's word timings (`Turn.words`) are placed on the answer text in order, so every transcript word the
recogniser timed becomes a clickable piece with its start and end in the answer's audio; long pauses and
filler words become markers on a per-turn strip. Pure functions: no files, no markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..grading.delivery import FILLER_RX, LONG_PAUSE_SECONDS
from ..models import Turn, WordTiming

_EDGE_PUNCT = re.compile(r"^[^\w]+|[^\w]+$")


@dataclass(frozen=True)
class TimedWord:
    index: int  # position in Turn.words
    start: int  # character offsets in the stripped answer text
    end: int
    t0: float  # seconds into the answer's audio
    t1: float


@dataclass(frozen=True)
class Piece:
    """A run of an answer's text: a spoken word (or part of one, cut by an evidence mark) or the text between."""

    text: str
    word: TimedWord | None = None


@dataclass(frozen=True)
class Marker:
    kind: str  # "pause" or "filler"
    at: float  # seconds into the answer's audio
    length: float  # seconds (a pause) or the word's duration
    label: str


def align_words(answer: str, words: Sequence[WordTiming] | None) -> list[TimedWord]:
    """Each timed word found in `answer` (the stripped answer text), in order; words not found are skipped."""
    out: list[TimedWord] = []
    pos = 0
    lowered = answer.lower()
    for i, w in enumerate(words or ()):
        token = _EDGE_PUNCT.sub("", w.word.strip()).lower()
        if not token:
            continue
        at = lowered.find(token, pos)
        if at < 0 or at - pos > 40 + len(token) * 4:  # not nearby: a word the text does not have
            continue
        out.append(TimedWord(i, at, at + len(token), float(w.start), float(w.end)))
        pos = at + len(token)
    return out


def pieces(answer: str, start: int, end: int, timed: Sequence[TimedWord]) -> list[Piece]:
    """answer[start:end] cut into words and the text between them."""
    out: list[Piece] = []
    pos = start
    for w in timed:
        if w.end <= start or w.start >= end:
            continue
        a, b = max(w.start, start), min(w.end, end)
        if a > pos:
            out.append(Piece(answer[pos:a]))
        out.append(Piece(answer[a:b], w))
        pos = b
    if pos < end:
        out.append(Piece(answer[pos:end]))
    return out


def markers(answer: str, timed: Sequence[TimedWord], words: Sequence[WordTiming] | None) -> list[Marker]:
    """Pauses over LONG_PAUSE_SECONDS between words, and each filler word the delivery metrics count."""
    out: list[Marker] = []
    ws = list(words or ())
    for prev, nxt in zip(ws, ws[1:], strict=False):
        gap = nxt.start - prev.end
        if gap > LONG_PAUSE_SECONDS:
            out.append(Marker("pause", float(prev.end), float(gap), f"{gap:.1f} s pause"))
    for m in FILLER_RX.finditer(answer):
        at = m.start("f") if m.group("f") else m.start("like")
        word = next((w for w in timed if w.start <= at < w.end or w.start >= at), None)
        if word is not None:
            out.append(Marker("filler", word.t0, word.t1 - word.t0, f"filler: {(m.group('f') or 'like').lower()}"))
    return sorted(out, key=lambda mk: mk.at)


def answer_timing(turn: Turn) -> tuple[list[TimedWord], list[Marker]]:
    answer = turn.answer.strip()
    timed = align_words(answer, turn.words)
    return timed, markers(answer, timed, turn.words)
