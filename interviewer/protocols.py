"""The seams: small protocols each backend implements with one main method.

Speech-to-text, text-to-speech, audio in/out and the LLM live behind these, so the interview loop and the
tests can swap a real engine for another real engine (or, where reality can't produce a fault on demand,
a small explicit fake).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .models import GradeReport, Level, Rubric, Turn, WordTiming

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
