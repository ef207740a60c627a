"""Real test audio: espeak-ng and the neural voice (Piper) speak sentences to WAV at test time (voices, pitches
and speeds vary).

Used by the voice tests and the benchmarks. Everything is 16 kHz mono float32 once loaded. A voice name
starting with "neural" is the neural voice ("neural", "neural-low", "neural-high": its own pitch, 8% lower,
10% higher); its words per minute become Piper's length scale (165 wpm = its own pace).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SR = 16_000

# (espeak-ng voice, words per minute): American, British and Scottish voices, male and female variants.
VOICES: tuple[tuple[str, int], ...] = (
    ("en-us", 165),
    ("en-gb+m3", 150),
    ("en-us+f3", 175),
    ("en-gb-scotland", 160),
    ("en-us+m7", 140),
    ("en-gb-x-rp+f2", 185),
)


# The neural test voices: (name, words per minute), as VOICES
NEURAL_VOICES: tuple[tuple[str, int], ...] = (
    ("neural", 165),
    ("neural-low", 150),
    ("neural-high", 180),
)
NEURAL_PITCH = {"neural": 1.0, "neural-low": 0.92, "neural-high": 1.1}


def have_espeak() -> bool:
    return shutil.which("espeak-ng") is not None


def speak(text: str, folder: Path, voice: str = "en-us", wpm: int = 165) -> np.ndarray:
    """espeak-ng or the neural voice -> WAV (cached in `folder` by content) -> 16 kHz float32."""
    key = hashlib.sha1(f"{voice}|{wpm}|{text}".encode()).hexdigest()[:16]
    path = folder / f"say-{key}.wav"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.wav")
        if voice.startswith("neural"):
            speech = neural_tts(voice, wpm).synthesize(text)
            write_wav(tmp, speech.samples, speech.sample_rate)
        else:
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(tmp), text], check=True,
                           capture_output=True)
        tmp.replace(path)
    return to_16k(*read_wav(path))


def neural_tts(voice: str = "neural", wpm: int = 165):
    """The neural voice with a test voice's pitch and pace."""
    from interviewer.models import NeuralVoice, Voice
    from interviewer.voice.neural import PiperTTS

    return PiperTTS(Voice(neural=NeuralVoice(length_scale=165 / wpm, pitch=NEURAL_PITCH[voice])))


def mean_pitch(samples: np.ndarray, rate: int, fmin: float = 60.0, fmax: float = 400.0) -> float:
    """Median fundamental frequency (Hz) over voiced frames: autocorrelation on 40 ms frames every 10 ms; a
    frame is voiced when it is not silent and its autocorrelation peak is at least half its energy."""
    frame, hop = int(0.04 * rate), int(0.01 * rate)
    lo, hi = int(rate / fmax), int(rate / fmin)
    found = []
    for i in range(0, len(samples) - frame, hop):
        x = samples[i : i + frame] - samples[i : i + frame].mean()
        energy = float(np.dot(x, x))
        if energy / frame < 1e-4:
            continue
        ac = np.correlate(x, x, "full")[frame - 1 :]
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] >= 0.5 * ac[0]:
            found.append(rate / lag)
    return float(np.median(found)) if found else 0.0


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    return data, rate


def to_16k(samples: np.ndarray, rate: int) -> np.ndarray:
    if rate == SR:
        return samples.astype(np.float32)
    n = int(round(len(samples) * SR / rate))
    x = np.linspace(0, len(samples) - 1, n)
    return np.interp(x, np.arange(len(samples)), samples).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * SR)), dtype=np.float32)


def write_wav(path: Path, samples: np.ndarray, rate: int = SR) -> Path:
    data = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.tobytes())
    return path


@dataclass
class Spoken:
    text: str  # what was said (reference for WER)
    audio: np.ndarray
    speech_end: float  # seconds: end of the last spoken sample


def answer(sentences: list[str], folder: Path, voice: str = "en-us", wpm: int = 165,
           pauses: list[float] | None = None, lead: float = 0.4, tail: float = 0.0) -> Spoken:
    """Sentences spoken one after another with the given pauses between them (default 0.5 s)."""
    parts = [silence(lead)]
    for i, s in enumerate(sentences):
        audio = trim(speak(s, folder, voice, wpm))
        parts.append(audio)
        if i < len(sentences) - 1:
            parts.append(silence(pauses[i] if pauses else 0.5))
    speech_end = sum(len(p) for p in parts) / SR
    parts.append(silence(tail))
    return Spoken(" ".join(sentences), np.concatenate(parts), speech_end)


def trim(audio: np.ndarray, level: float = 1e-3) -> np.ndarray:
    """Cut espeak's leading and trailing silence so pauses are exactly what a test builds."""
    loud = np.nonzero(np.abs(audio) > level)[0]
    return audio[loud[0] : loud[-1] + 1] if len(loud) else audio


# Answers written for these tests: varied incidents, with the domain's vocabulary.
ANSWERS: tuple[tuple[str, ...], ...] = (
    ("Our checkout service started timing out at nine forty in the morning.",
     "The latency alert paged me within two minutes, before any customer wrote in.",
     "I rolled back the deploy first, and errors dropped to normal by ten o'clock."),
    ("A certificate on the payments gateway expired over the weekend.",
     "About thirty percent of card payments failed for forty minutes.",
     "We now renew certificates automatically and alert thirty days ahead."),
    ("The search cluster ran out of disk because log rotation was disabled.",
     "I drained traffic to the standby region while we cleared space.",
     "Afterwards we added a disk usage alert at eighty percent."),
    ("A config change pushed a wrong feature flag to every mobile client.",
     "Login failed for roughly half of our users for twenty five minutes.",
     "I turned the flag off, and then we added a canary stage for config."),
    ("The database primary failed over during a routine upgrade.",
     "Replication lag meant some orders were written twice.",
     "We wrote a runbook step and a test that checks for duplicate orders."),
    ("Our message queue backed up when a consumer deployment crashed in a loop.",
     "The incident channel opened at ten past two and I took the technical lead.",
     "A colleague owned communication and updated support every fifteen minutes."),
    ("An expired API key broke the shipping label integration.",
     "Warehouse staff noticed first, which told us our monitoring had a gap.",
     "We added a synthetic check that buys a label every five minutes."),
    ("A memory leak in the image resizer took down the upload service at night.",
     "The on call engineer restarted the pods, which bought us six hours.",
     "The real fix was a library upgrade, shipped two days later with a regression test."),
    ("DNS records for our status page were deleted by a cleanup script.",
     "Customers could not see updates for an hour during an unrelated outage.",
     "We now protect those records and review scripts that touch DNS."),
    ("A slow query after a schema migration raised API latency to four seconds.",
     "I first suspected the load balancer, which was a wrong turn.",
     "The query plan showed a missing index, and adding it fixed the latency."),
    ("The billing job charged some customers twice after a retry storm.",
     "We paused the job, refunded every duplicate charge, and apologized by email.",
     "Idempotency keys now make a retry safe."),
    ("Kubernetes evicted our ingress pods when a node pool was resized.",
     "Traffic dropped by sixty percent for twelve minutes.",
     "We set pod disruption budgets and a minimum replica count."),
)


def answers_for_wer(folder: Path, count: int, voices: tuple[tuple[str, int], ...] = VOICES) -> list[Spoken]:
    """`count` spoken answers cycling through the texts, voices and speeds."""
    out = []
    for i in range(count):
        voice, wpm = voices[i % len(voices)]
        out.append(answer(list(ANSWERS[i % len(ANSWERS)]), folder, voice, wpm, pauses=[0.6, 0.8]))
    return out


# --- WER normalisation: Whisper writes numbers as digits ("9.40", "30%"), the references spell them -------

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_words(rest))
    if n < 10000:
        rest = n % 1000
        return number_words(n // 1000) + " thousand" + ("" if rest == 0 else " " + number_words(rest))
    return " ".join(_ONES[int(d)] for d in str(n))


def normalize(text: str) -> str:
    """Lower case, digits spelled out (times as "nine forty"), punctuation and hyphens dropped."""
    import re

    t = text.lower().replace("%", " percent").replace("-", " ")
    t = re.sub(r"\b(\d{1,2})[.:](\d{2})\b",
               lambda m: number_words(int(m[1])) + ("" if m[2] == "00" else " " + number_words(int(m[2]))), t)
    t = re.sub(r"\d+", lambda m: " " + number_words(int(m[0])) + " ", t)
    t = re.sub(r"[^a-z' ]", " ", t).replace("'", "")
    return " ".join(t.split())


def wer(reference: str, hypothesis: str) -> float:
    import jiwer

    ref, hyp = normalize(reference), normalize(hypothesis)
    return jiwer.wer(ref, hyp) if ref else float(bool(hyp))


def long_answer(seconds: float, folder: Path, voice: str = "en-us", wpm: int = 165, seed: int = 0) -> Spoken:
    """About `seconds` of speech: the answer sentences in a seeded order, with 0.3-1.4 s thinking pauses."""
    import random

    rng = random.Random(seed)
    pool = [s for a in ANSWERS for s in a]
    rng.shuffle(pool)
    parts = [silence(0.4)]
    said: list[str] = []
    total = len(parts[0])
    i = 0
    while total < seconds * SR:
        if said:
            pause = silence(rng.uniform(0.3, 1.4))
            parts.append(pause)
            total += len(pause)
        sentence = pool[i % len(pool)]
        audio = trim(speak(sentence, folder, voice, wpm))
        parts.append(audio)
        said.append(sentence)
        total += len(audio)
        i += 1
    return Spoken(" ".join(said), np.concatenate(parts), total / SR)


# --- shared by the voice tests' fixtures ------------------------------------------------------------------

_CACHE: dict[str, object] = {}


def tiny_model():
    """The real tiny.en model, loaded once per test process."""
    if "tiny" not in _CACHE:
        from interviewer.voice.stt import WhisperSTT

        _CACHE["tiny"] = WhisperSTT("tiny.en")
    return _CACHE["tiny"]


def speech_cache(factory) -> Path:
    """One folder of espeak-ng renders per test process (pass pytest's tmp_path_factory)."""
    import pytest

    if not have_espeak():
        pytest.skip("espeak-ng is not installed (sudo apt-get install espeak-ng)")
    if "dir" not in _CACHE:
        _CACHE["dir"] = factory.mktemp("speech")
    return _CACHE["dir"]  # type: ignore[return-value]
