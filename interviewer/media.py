"""Decoding recorded answers, for batch grading and for practice's --answers files: the one audio decoder.

Any audio PyAV reads becomes 16 kHz mono float32. Each check raises `InputFileError` naming the file and the
problem: not a regular file (a pipe or device is never opened), zero bytes, not audio at all, no audio stream,
corrupt data, longer than `MAX_AUDIO_SECONDS`, or (`check_speech`) silence only. Decoding streams frame by
frame and stops at the cap, so an hours-long file never lands in memory. `AUDIO_EXTENSIONS` is the one list
of recording types the package accepts.
"""

from __future__ import annotations

import gc
import os
import stat
from pathlib import Path

import numpy as np

from .errors import InputFileError
from .protocols import SAMPLE_RATE

# the recording types `grade` and `practice --answers` accept (anything PyAV decodes; these are the usual ones)
AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".m4a", ".ogg", ".opus", ".aac", ".webm")
MAX_AUDIO_SECONDS = 20 * 60  # one spoken answer; longer is a meeting recording, not an answer
MIN_SPEECH_SECONDS = 0.5  # less detected speech than this counts as silence
SILENCE_PEAK = 1e-3  # a file whose loudest sample is below this is digital silence


def duration_hint(path: Path) -> float | None:
    """The container's stated duration in seconds, without decoding (None when unknown)."""
    import av

    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as c:
            if c.duration:
                return c.duration / av.time_base
            stream = next(iter(c.streams.audio), None)
            if stream is not None and stream.duration and stream.time_base:
                return float(stream.duration * stream.time_base)
    except Exception:  # PyAV raises many error types; decode() reports them properly
        return None
    return None


def decode(path: str | Path, max_seconds: float = MAX_AUDIO_SECONDS) -> np.ndarray:
    """Decode an audio file to 16 kHz mono float32, refusing what cannot be an answer."""
    import av

    path = Path(path)
    try:
        info = os.stat(path)
    except OSError as e:
        raise InputFileError(f"{path}: cannot read: {e.strerror or e}") from None
    if not stat.S_ISREG(info.st_mode):  # a named pipe would block the open forever; a device never ends
        raise InputFileError(f"{path}: not a regular file")
    size = info.st_size
    if size == 0:
        raise InputFileError(f"{path}: the file is empty (zero bytes)")
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore")
    except Exception as e:
        raise InputFileError(f"{path}: not an audio file PyAV can read ({_short(e)})") from None
    limit = int(max_seconds * SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    total = 0
    try:
        stream = next(iter(container.streams.audio), None)
        if stream is None:
            raise InputFileError(f"{path}: no audio stream in the file")
        stated = container.duration / av.time_base if container.duration else None
        if stated and stated > max_seconds:
            raise InputFileError(f"{path}: {_minutes(stated)} long; the limit for one answer is "
                                 f"{_minutes(max_seconds)} (MAX_AUDIO_SECONDS)")
        resampler = av.audio.resampler.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                arr = out.to_ndarray().reshape(-1)
                chunks.append(arr)
                total += arr.size
            if total > limit:
                raise InputFileError(f"{path}: longer than {_minutes(max_seconds)}, the limit for one answer "
                                     f"(MAX_AUDIO_SECONDS)")
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
        del resampler
    except InputFileError:
        raise
    except Exception as e:
        raise InputFileError(f"{path}: corrupt audio ({_short(e)})") from None
    finally:
        container.close()
        gc.collect()  # PyAV's resampler buffers are only freed by the collector
    if not chunks or sum(c.size for c in chunks) == 0:
        raise InputFileError(f"{path}: no audio samples in the file")
    return (np.concatenate(chunks).astype(np.float32) / 32768.0)


def speech_seconds(audio: np.ndarray) -> float:
    """Seconds of speech the Silero VAD (bundled with faster-whisper) finds."""
    if audio.size == 0 or float(np.max(np.abs(audio))) < SILENCE_PEAK:
        return 0.0
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    spans = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=500), sampling_rate=SAMPLE_RATE)
    return sum(s["end"] - s["start"] for s in spans) / SAMPLE_RATE


def check_speech(path: Path, audio: np.ndarray) -> float:
    """Raise when the recording holds no speech; return the seconds of speech found."""
    found = speech_seconds(audio)
    if found < MIN_SPEECH_SECONDS:
        raise InputFileError(f"{path}: silence only: no speech found in {len(audio) / SAMPLE_RATE:.1f} s of audio")
    return found


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"


def _short(e: Exception) -> str:
    msg = str(getattr(e, "strerror", None) or e).strip() or type(e).__name__
    return msg.splitlines()[0][:160]
