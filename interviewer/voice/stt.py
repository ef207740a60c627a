"""Speech to text with faster-whisper (int8 on the CPU), behind the `STT` protocol.

Audio arrives as 16 kHz mono float32 arrays; decoding files happens at the edge, in `interviewer.media.decode`.
One wrapper serves both paths: the voice loop (one transcription at a time, several CPU threads) and batch
grading (`workers` transcriptions at once on one model, one CPU thread each, stoppable between segments).
Domain biasing is kept only where bench/bench_wer.py showed it helps (24 espeak-ng answers, six voices):
- base: every variant made it worse (WER none 0.173, initial prompt 0.227, hotwords 0.264);
- tiny.en: hotwords lowered WER a little (0.277 -> 0.254; an initial prompt 0.268) but made every call
  1.5x to 2.4x slower (real-time factor 0.050 -> 0.074 in the 2026-12-01 run), which would push the tail
  transcription of a three-minute answer (412 ms p50 in bench_latency) toward the 800 ms turn budget.
So no model is biased by default (`DEFAULT_BIAS`); the options stay for the benchmark and for callers.
A prompt full of fillers keeps most "um"/"uh" (tiny.en 0/16 -> 15/16, base 7/16 -> 14/16) but raises WER on
fluent answers by 13-52%, so it is not used either: filler counts are a lower bound.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import numpy as np

from ..models import WordTiming
from ..protocols import SAMPLE_RATE, Transcription
from .models import ModelInfo, resolve_model

DEFAULT_BEAM = 1  # greedy: on tiny.en it is about as accurate as beam 5 on clean speech, and ~2.5x faster
COMPUTE_TYPE = "int8"
MAX_THREADS = 4
# Terms of the interview's domain, for the optional biasing measured in bench/bench_wer.py.
DOMAIN_TERMS = (
    "incident, outage, rollback, postmortem, on-call, pager, alert, latency, deploy, canary, "
    "feature flag, failover, runbook, root cause, mitigation, database, Kubernetes, SLO"
)
# A prompt written the way nervous people talk: Whisper imitates the prompt's style, so it keeps more fillers.
DISFLUENT_PROMPT = "Um, so, uh, the outage, um... I mean, uh, we rolled it back, um, and then, uh, yeah."
AUTO = "auto"  # use the biasing measured to help this model (DEFAULT_BIAS)
DEFAULT_BIAS: dict[str, dict[str, str]] = {}  # model name -> {"initial_prompt"/"hotwords": text}


def recognizer_identity(model: str | None, beam_size: int = DEFAULT_BEAM) -> str:
    """What identifies a recognizer's output (model and decoding), e.g. for a cache key."""
    return f"whisper:{model or 'tiny.en'}:beam{beam_size}"


class WhisperSTT:
    """faster-whisper on the CPU. Thread-safe: `workers` transcriptions at once (default one), each on
    `cpu_threads` threads (default: the cores, up to MAX_THREADS)."""

    def __init__(
        self,
        model: str | ModelInfo | None = None,
        beam_size: int = DEFAULT_BEAM,
        initial_prompt: str | None = AUTO,
        hotwords: str | None = AUTO,
        cpu_threads: int = 0,
        workers: int = 1,
    ):
        from faster_whisper import WhisperModel

        self.info = model if isinstance(model, ModelInfo) else resolve_model(model)
        self.beam_size = beam_size
        bias = DEFAULT_BIAS.get(self.info.name, {})
        self.initial_prompt = bias.get("initial_prompt") if initial_prompt == AUTO else initial_prompt
        self.hotwords = bias.get("hotwords") if hotwords == AUTO else hotwords
        threads = cpu_threads or min(MAX_THREADS, os.cpu_count() or 1)  # more threads than cores only thrash
        workers = max(1, workers)
        self._model = WhisperModel(str(self.info.path), device="cpu", compute_type=COMPUTE_TYPE, cpu_threads=threads,
                                   num_workers=workers)
        self._slots = threading.BoundedSemaphore(workers)  # transcriptions running at once

    @property
    def name(self) -> str:
        return self.info.name

    def transcribe(self, audio: np.ndarray, should_stop: Callable[[], bool] | None = None) -> Transcription:
        """Words with their timings. `should_stop` is asked between segments (about 30 s of audio each): when
        it says yes, the transcription ends early with what was recognized so far."""
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        duration = len(audio) / SAMPLE_RATE
        if len(audio) == 0:
            return Transcription(text="", words=[], duration=0.0)
        with self._slots:
            pending, _ = self._model.transcribe(
                audio,
                language="en",
                beam_size=self.beam_size,
                word_timestamps=True,
                condition_on_previous_text=False,
                initial_prompt=self.initial_prompt,
                hotwords=self.hotwords,
                vad_filter=False,
            )
            segments = []
            for seg in pending:  # decoding happens as the generator is read, window by window
                segments.append(seg)
                if should_stop is not None and should_stop():
                    break
        words: list[WordTiming] = []
        for seg in segments:
            for w in seg.words or []:
                words.append(
                    WordTiming(
                        word=w.word.strip(), start=round(w.start, 3), end=round(w.end, 3),
                        probability=round(w.probability, 3),
                    )
                )
        text = " ".join(s.text.strip() for s in segments if s.text.strip())
        return Transcription(text=text, words=[w for w in words if w.word], duration=duration)

