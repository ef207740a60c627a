"""The seams: small protocols each backend implements with one main method.

Speech-to-text, text-to-speech, audio in/out, the channel to the candidate, the phraser, the grader and the
LLM live behind these, so the interview loop and the tests can swap a real engine for another real engine
(or, where reality can't produce a fault on demand, a small explicit fake). The small data types the seams
pass (`PlannedQuestion`, `Said`, `Answer`, `Speech`, `Transcription`) live here too, so every implementation
imports only this module and the models, never the interview loop (no import cycles).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from .models import GradeReport, InterviewerNote, Level, Persona, RoundKind, Rubric, Turn, WordTiming

SAMPLE_RATE = 16_000  # Hz, mono float32 everywhere inside the package


@dataclass
class Transcription:
    text: str
    words: list[WordTiming] = field(default_factory=list)
    duration: float = 0.0  # seconds of audio transcribed


class STT(Protocol):
    def transcribe(self, audio: np.ndarray) -> Transcription:
        """Transcribe 16 kHz mono float32 samples."""
        ...


@dataclass
class Speech:
    samples: np.ndarray  # float32 mono
    sample_rate: int


class TTS(Protocol):
    def synthesize(self, text: str) -> Speech:
        """Render text to audio samples (not played)."""
        ...


class AudioOut(Protocol):
    def play(self, speech: Speech) -> None:
        """Start playback; returns at once. `stop()` cuts it, `wait()` blocks until it ends."""
        ...

    def stop(self) -> None: ...

    def wait(self) -> None: ...

    def playing(self) -> bool:
        """True while a `play()` is still sounding (barge-in listens to the microphone meanwhile)."""
        ...


class LLM(Protocol):
    def chat(self, messages: list[dict], **options) -> str:
        """One chat completion; returns the reply text."""
        ...

    def stream(self, messages: list[dict], **options) -> Iterator[str]:
        """A chat completion as text deltas."""
        ...


class Grader(Protocol):
    def grade(
        self, turns: list[Turn], rubric: Rubric, level: Level, question: str | None
    ) -> GradeReport:
        """Grade the candidate's answers in `turns` against `rubric` at `level`."""
        ...


# --- the interview loop's seams: what to ask, how to phrase it, how it reaches the candidate ----------


@dataclass
class PlannedQuestion:
    """What the round engine decided to ask next."""

    round: RoundKind
    text: str  # the offline phrasing, always complete and usable as is
    question_id: str | None = None  # bank question id or persona follow-up id
    target: str | None = None  # the signal or flag pressed on
    note: InterviewerNote = field(default_factory=InterviewerNote)
    level: Level | None = None  # the level the session is held at (set by the round engine)


class Phraser(Protocol):
    name: str

    def phrase(self, planned: PlannedQuestion, persona: Persona, turns: list[Turn]) -> Iterator[str]:
        """Yield the question in pieces (whole sentences where possible) as they become ready."""
        ...


@dataclass
class Said:
    text: str  # everything that was said, joined
    audio_file: str | None = None  # saved question audio, relative to the session folder


@dataclass
class Answer:
    text: str = ""
    skipped: bool = False
    quit: bool = False
    words: list[WordTiming] | None = None
    seconds: float | None = None
    audio_file: str | None = None  # relative to the session folder
    audio_dropped: int = 0  # microphone overflows (lost blocks of audio) while this answer was recorded
    cut_off: bool = False  # the channel ended it at the talk-time limit it was given (a spoken cut-in follows)


class Channel(Protocol):
    """How the interview reaches the candidate: a terminal, a microphone and speaker, or audio files."""

    def attach(self, folder: Path) -> None:
        """Called once with the session folder, where the channel may save audio."""
        ...

    def say(self, pieces: Iterator[str], turn_index: int | None) -> Said:
        """Deliver the interviewer's words (turn_index None for greeting and closing)."""
        ...

    def listen(self, turn_index: int, limit_s: float | None = None) -> Answer:
        """Return the candidate's answer to the question just said.

        `limit_s` is the talk time the answer is given (the persona's opening limit, else None); a channel
        that can interrupt (voice) cuts the candidate off at a pause past it and says so in `Answer.cut_off`,
        one that cannot (typing) ignores it.
        """
        ...

    def close(self) -> None:
        """Release the microphone and anything else held open; called once on every way out of a session."""
        ...
