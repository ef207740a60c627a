"""Text to speech with pyttsx3 (espeak-ng on Linux, the native engine elsewhere), behind the `TTS` protocol.

`--voice espeak`, and the fallback when the neural voice (voice/neural.py, the default) cannot load.

pyttsx3 renders to a WAV file (`save_to_file`), which we load into an array so playback can be timed and
stopped by our own audio output. Two quirks of pyttsx3 2.99's espeak driver are handled here:
- espeak runs asynchronously: `runAndWait()` can return before the file is written, so we wait for the
  driver's "finished-utterance" notification;
- the driver prints "Audio saved to ..." on stdout, which we swallow.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import io
import sys
import tempfile
import threading
import wave
from pathlib import Path

import numpy as np

from ..errors import InterviewerError
from ..models import Voice
from ..protocols import Speech

RENDER_TIMEOUT_S = 30.0
RENDER_ATTEMPTS = 3
WAV_HEADER_BYTES = 44
INSTALL_HINT = "install it with: sudo apt-get install espeak-ng"
DEFAULT_PITCH = 50  # espeak-ng's own default pitch (0-100)


class TTSUnavailable(InterviewerError):
    """No speech synthesizer could be started."""


def espeak_library() -> str | None:
    """The espeak-ng shared library pyttsx3 loads on Linux, if installed."""
    return ctypes.util.find_library("espeak-ng") or ctypes.util.find_library("espeak")


class Pyttsx3TTS:
    """Renders text with the persona's voice settings. One render at a time (the engine is process-global)."""

    engine = "espeak"
    description = "espeak-ng through pyttsx3"
    _lock = threading.Lock()
    _default_voice: str | None = None  # the engine's own voice, restored when a Voice names none

    def __init__(self, voice: Voice | None = None):
        self.voice = voice or Voice()
        if sys.platform.startswith("linux") and espeak_library() is None:
            raise TTSUnavailable(f"espeak-ng is not installed; {INSTALL_HINT}")
        try:
            import pyttsx3

            self._engine = pyttsx3.init()
        except Exception as e:  # pyttsx3 raises OSError/RuntimeError/ImportError depending on the driver
            raise TTSUnavailable(f"cannot start the speech synthesizer (pyttsx3): {e}; {INSTALL_HINT}") from None
        self._done = threading.Event()
        self._engine.connect("finished-utterance", self._finished)
        if Pyttsx3TTS._default_voice is None:
            Pyttsx3TTS._default_voice = self._engine.getProperty("voice")
        self.voice_id = self._apply(self.voice)

    def _finished(self, name: object = None, completed: bool = True) -> None:
        # the driver does not pass the utterance's name reliably, but one render runs at a time (the lock)
        if completed:
            self._done.set()

    def cache_key(self) -> str:
        """What makes this voice's renders differ (for the phrase cache)."""
        return f"espeak-ng via pyttsx3|{self.voice.model_dump_json(exclude={'neural'})}"

    def _apply(self, voice: Voice) -> str | None:
        self._engine.setProperty("rate", int(voice.rate))
        self._engine.setProperty("volume", float(voice.volume))
        # process-global too: a Voice without a pitch gets espeak-ng's default back
        with contextlib.suppress(ValueError, KeyError, RuntimeError):
            self._engine.setProperty("pitch", voice.pitch if voice.pitch is not None else DEFAULT_PITCH)
        chosen = match_voice(voice.voice, self._engine.getProperty("voices")) if voice.voice else None
        # the engine is process-global: a Voice that names none (or an unknown one) gets the default back
        target = chosen or Pyttsx3TTS._default_voice
        if target:
            with contextlib.suppress(ValueError, KeyError):
                self._engine.setProperty("voice", target)
        return chosen

    def synthesize(self, text: str) -> Speech:
        text = " ".join(text.split())
        if not text:
            return Speech(np.zeros(0, dtype=np.float32), 22_050)
        with self._lock, tempfile.TemporaryDirectory(prefix="interviewer-tts-") as d:
            self._apply(self.voice)  # another persona's instance may have changed the global engine
            for attempt in range(RENDER_ATTEMPTS):
                path = Path(d) / f"speech-{attempt}.wav"
                self._done.clear()
                with contextlib.redirect_stdout(io.StringIO()):
                    self._engine.save_to_file(text, str(path))
                    self._engine.runAndWait()
                    finished = self._done.wait(RENDER_TIMEOUT_S)
                # now and then the espeak driver hands back a file with no samples: render it again
                if finished and path.is_file() and path.stat().st_size > WAV_HEADER_BYTES:
                    speech = read_wav(path)
                    if len(speech.samples):
                        return speech
            raise TTSUnavailable(f"the speech synthesizer produced no audio for {text[:40]!r} "
                                 f"in {RENDER_ATTEMPTS} attempts")


def match_voice(wanted: str, voices: list) -> str | None:
    """Find an installed voice by id, id tail, name fragment or language; keeps an espeak `+variant`."""
    base, plus, variant = wanted.partition("+")
    key = base.strip().lower()
    suffix = f"+{variant}" if plus else ""
    for test in (
        lambda v: v.id.lower() == key,
        lambda v: v.id.lower().rsplit("/", 1)[-1] == key,
        lambda v: key in (v.name or "").lower(),
        lambda v: any(key == str(lang).lower().lstrip("\x05") for lang in (v.languages or [])),
    ):
        for v in voices:
            if test(v):
                return v.id + suffix
    return None


def read_wav(path: Path) -> Speech:
    """Load a WAV file to float32 mono; other formats (AIFF on macOS) go through the audio decoder."""
    try:
        with wave.open(str(path), "rb") as w:
            rate, width, channels = w.getframerate(), w.getsampwidth(), w.getnchannels()
            raw = w.readframes(w.getnframes())
        if width != 2:
            raise wave.Error(f"{width * 8}-bit samples")
        samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
        if channels > 1:
            samples = samples.reshape(-1, channels).mean(axis=1)
        return Speech(samples.astype(np.float32), rate)
    except (wave.Error, EOFError):
        from ..media import decode as load_audio

        return Speech(load_audio(path), 16_000)
