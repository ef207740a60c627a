"""A session's saved audio, compressed for the HTML report: Opus in WebM through PyAV, as data: URIs.

Speech at 20 kbit/s mono Opus is about 2.3 kB a second, so a 15-minute session (both sides) is about 2 MB of
audio, under 3 MB once base64-encoded inside the page. Chromium, Firefox and Safari 15+ play Opus in WebM.
A file that is missing or cannot be decoded is left out of the page with a warning; the rest still plays.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from pathlib import Path

from ..models import Turn

OPUS_RATE = 16_000  # Opus' wideband rate: all of speech, half the bits of 48 kHz
OPUS_BITRATE = 20_000  # bits per second, mono: clear speech, ~2.3 kB/s
MIME = "audio/webm"


class AudioEncodeError(Exception):
    """An audio file that PyAV cannot decode or encode."""


def encode_opus(path: Path, bitrate: int = OPUS_BITRATE) -> tuple[bytes, float]:
    """Any audio file PyAV reads -> (Opus in WebM bytes, duration in seconds)."""
    import av  # installed with faster-whisper; imported here so text reports never load it

    buf = io.BytesIO()
    samples = 0
    try:
        with av.open(str(path)) as src:
            if not src.streams.audio:
                raise AudioEncodeError(f"{path.name}: no audio stream")
            out = av.open(buf, "w", format="webm")
            stream = out.add_stream("libopus", rate=OPUS_RATE)
            stream.bit_rate = bitrate
            stream.layout = "mono"
            resampler = av.AudioResampler(format="s16", layout="mono", rate=OPUS_RATE)
            frames = [r for f in src.decode(audio=0) for r in resampler.resample(f)]
            frames += resampler.resample(None)
            for frame in frames:
                samples += frame.samples
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
            out.close()
    except (av.error.FFmpegError, OSError, ValueError) as e:
        raise AudioEncodeError(f"{path.name}: cannot encode: {e}") from e
    return buf.getvalue(), samples / OPUS_RATE


def data_uri(data: bytes, mime: str = MIME) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


@dataclass
class Clip:
    uri: str  # data:audio/webm;base64,...
    seconds: float
    size: int  # bytes of compressed audio (before base64)


@dataclass
class SessionAudio:
    """The encoded clips of a session, by turn index, and what could not be included."""

    questions: dict[int, Clip] = field(default_factory=dict)
    answers: dict[int, Clip] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(c.size for c in (*self.questions.values(), *self.answers.values()))


def _clip(folder: Path, name: str, warnings: list[str]) -> Clip | None:
    path = folder / name
    if not path.is_file():
        warnings.append(f"audio {name} is missing from the session folder; that turn plays nothing")
        return None
    try:
        data, seconds = encode_opus(path)
    except AudioEncodeError as e:
        warnings.append(f"audio {e}; that turn plays nothing")
        return None
    return Clip(data_uri(data), seconds, len(data))


def session_audio(folder: Path, turns: list[Turn]) -> SessionAudio:
    """Both sides' audio of every turn that saved some, compressed (text sessions: empty)."""
    out = SessionAudio()
    for t in turns:
        if t.question_audio and (clip := _clip(folder, t.question_audio, out.warnings)):
            out.questions[t.index] = clip
        if t.answer_audio and (clip := _clip(folder, t.answer_audio, out.warnings)):
            out.answers[t.index] = clip
    return out
