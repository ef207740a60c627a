"""The voice channel's life: set-up order, release on every way out, and audio the microphone dropped.

Real subprocesses of the CLI with an ALSA configuration written by the test as the sound card (see
tests/test_voice_capture.py). Two things reality will not do on demand get a small stand-in each, named where
used: a microphone another program holds (PortAudio's "Device unavailable"), and a microphone buffer
overflow (sounddevice's `status.input_overflow`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import cli_env
from test_practice_cli import ANSWERS, piped
from test_voice_capture import alsa_env
from voice_audio import SR, answer, speech_cache, tiny_model, write_wav

from interviewer.interview import OfflinePhraser, run_interview
from interviewer.interview.interview import InterviewSetup
from interviewer.models import Level, Voice
from interviewer.protocols import Grader
from interviewer.sessions.store import SessionStore, read_session
from interviewer.voice.audio import CHUNK, CallbackSource, NullOut
from interviewer.voice.channel import VoiceChannel
from interviewer.voice.loop import Listener
from interviewer.voice.tts import Pyttsx3TTS
from interviewer.voice.vad import TurnConfig

pytestmark = pytest.mark.audio

# Runs the CLI with the channel's and the microphone's release recorded in a log file (the real methods
# still run; the wrappers only write a line).
SPY = r"""
import sys
from interviewer.voice.audio import MicSource
from interviewer.voice.channel import VoiceChannel

log = open(sys.argv[1], "a")

def record(cls, name, when):
    real = getattr(cls, name)
    def wrapper(self, *args, **kwargs):
        if when == "before":
            log.write(f"{cls.__name__}.{name}\n"); log.flush()
        out = real(self, *args, **kwargs)
        if when == "after":
            log.write(f"{cls.__name__}.{name}\n"); log.flush()
        return out
    setattr(cls, name, wrapper)

record(VoiceChannel, "close", "before")
record(MicSource, "__init__", "after")  # logged only when the microphone really opened
record(MicSource, "close", "before")
from interviewer.cli import main
sys.exit(main(sys.argv[2:]))
"""

# A microphone another program holds: the real sounddevice module, except that opening an input stream fails
# the way PortAudio does then.
BUSY_MIC_SOUNDDEVICE = r"""
import os, sys
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]
del sys.modules["sounddevice"]
import sounddevice as _real

class _BusyInputStream:
    def __init__(self, *args, **kwargs):
        raise _real.PortAudioError("Error opening InputStream: Device unavailable [PaErrorCode -9985]")

_real.InputStream = _BusyInputStream
sys.modules["sounddevice"] = _real
"""


def spied(log: Path, *argv: str) -> list[str]:
    return [sys.executable, "-c", SPY, str(log), *argv]


def logged(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.is_file() else []


def with_path_first(env: dict[str, str], folder: Path) -> dict[str, str]:
    rest = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(folder) + (os.pathsep + rest if rest else "")
    return env


@pytest.fixture(scope="module")
def one_answer(tmp_path_factory):
    return answer(["Our checkout service failed at noon and I rolled back the release within ten minutes."],
                  speech_cache(tmp_path_factory))


def test_a_busy_microphone_falls_back_to_text_and_no_typed_answer_is_lost(tmp_path):
    """The devices are there but the microphone cannot be opened: practice continues in text mode, and the
    Enter-key reader (which reads standard input for good) was never started, so every typed line arrives."""
    stub = tmp_path / "stub"
    stub.mkdir()
    (stub / "sounddevice.py").write_text(BUSY_MIC_SOUNDDEVICE)
    sessions = tmp_path / "sessions"
    env = with_path_first(alsa_env(tmp_path, None), stub)
    env["INTERVIEWER_SESSIONS"] = str(sessions)
    master, slave = os.openpty()  # standard input is a terminal, as for a person at the keyboard
    attrs = termios.tcgetattr(slave)
    attrs[3] &= ~termios.ECHO
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    log = tmp_path / "spy.log"
    proc = subprocess.Popen(spied(log, "practice", "--persona", "peer", "--question", "incident-classic", "--offline",
                                  "--no-self-rating"),
                            stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    os.close(slave)
    try:
        os.write(master, piped(*ANSWERS).encode())  # typed ahead, while the voice set-up is still loading
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"practice waited for answers it had already been given (a reader swallowed them): {err}\n{out[-3000:]}")
    finally:
        os.close(master)
    assert proc.returncode == 0, err
    assert "voice is not available: cannot open the microphone" in err and "Device unavailable" in err
    assert "continuing in text mode" in err
    session = read_session(next(sessions.iterdir()))
    assert session.meta.mode == "text"
    assert [t.answer for t in session.turns] == ANSWERS
    assert logged(log) == []  # the microphone never opened and no voice channel was made: nothing left open


def test_the_channel_is_closed_at_the_normal_end(tmp_path, one_answer):
    folder = tmp_path / "answers"
    folder.mkdir()
    write_wav(folder / "01.wav", one_answer.audio)  # one file: the interview ends after the first turn
    log = tmp_path / "spy.log"
    proc = subprocess.run(spied(log, "practice", "--answers", str(folder), "--offline", "--sessions",
                                str(tmp_path / "s")), capture_output=True, text=True, env=cli_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert logged(log) == ["VoiceChannel.close"]


def test_the_channel_is_closed_when_the_interview_fails(tmp_path, one_answer):
    folder = tmp_path / "answers"
    folder.mkdir()
    write_wav(folder / "01.wav", one_answer.audio)
    (folder / "02.wav").write_bytes(b"RIFF not really a wave file" * 10)  # fails to decode at the second turn
    log = tmp_path / "spy.log"
    proc = subprocess.run(spied(log, "practice", "--answers", str(folder), "--offline", "--sessions",
                                str(tmp_path / "s")), capture_output=True, text=True, env=cli_env(), timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "02.wav: not an audio file" in proc.stderr and "Traceback" not in proc.stderr
    assert logged(log) == ["VoiceChannel.close"]


def test_ctrl_c_while_listening_closes_the_channel_and_the_microphone(tmp_path):
    capture = tmp_path / "mic.raw"
    np.zeros(90 * SR, dtype="<f4").tofile(capture)  # a quiet room: the candidate never starts talking
    sessions = tmp_path / "sessions"
    env = alsa_env(tmp_path, capture)
    log = tmp_path / "spy.log"
    proc = subprocess.Popen(spied(log, "practice", "--persona", "peer", "--seed", "3", "--offline",
                                  "--sessions", str(sessions)),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        deadline = time.monotonic() + 120
        while not list(sessions.glob("*/turn-00-question.wav")):  # the first question was said: listening
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "the first question was never said"
            time.sleep(0.1)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert logged(log) == ["MicSource.__init__", "VoiceChannel.close", "MicSource.close"]
    session = read_session(next(sessions.iterdir()))
    assert session.meta.mode == "voice" and session.ended.reason == "interrupted"


# --- audio the microphone dropped ---------------------------------------------------------------


class OverflowingMic(CallbackSource):
    """The capture path's own callback, fed as PortAudio's thread would: one 32 ms block per read, with
    sounddevice's real `CallbackFlags` status; the blocks numbered in `overflow_at` report an input overflow
    (the driver lost audio before them), which a real microphone only does when the computer is too busy."""

    def __init__(self, overflow_at: set[int]):
        super().__init__()
        self.overflow_at = overflow_at
        self.blocks = 0

    def read(self, timeout: float = 0.1):
        import sounddevice as sd

        status = sd.CallbackFlags()
        status.input_overflow = self.blocks in self.overflow_at
        self.callback(np.zeros((CHUNK, 1), dtype=np.float32), CHUNK, None, status)
        self.blocks += 1
        return super().read(timeout)


class NoGrade(Grader):
    def grade(self, turns, rubric, level, question):  # pragma: no cover - nothing is answered
        raise AssertionError("silent answers are not graded")


def test_microphone_overflows_are_counted_per_answer_and_logged_with_the_turn(tmp_path, catalog):
    cap_s = 2.0  # each answer stops at the cap: 63 blocks of 32 ms
    mic = OverflowingMic(overflow_at={5, 40, 41, 100})  # 3 during the first answer, 1 during the second
    listener = Listener(tiny_model(), TurnConfig(cap_s=cap_s, warn_at_s=()))
    channel = VoiceChannel(Pyttsx3TTS(Voice()), listener, NullOut(), mic, barge_in=False, echo=lambda line: None)
    persona = catalog.personas["peer"].model_copy(update={"rounds": catalog.personas["peer"].rounds[:2]})
    setup = InterviewSetup(persona=persona, rubric=catalog.rubrics["production-incident"], level=Level.L5,
                           question=catalog.questions["incident-classic"], mode="voice")
    result = run_interview(setup, channel, NoGrade(), SessionStore(tmp_path), phraser=OfflinePhraser())
    assert [t.audio_dropped for t in result.turns] == [3, 1]
    assert [t.audio_dropped for t in read_session(result.folder).turns] == [3, 1]  # in the session log
    raw = [json.loads(line) for line in (result.folder / "session.jsonl").read_text().splitlines()]
    assert [e["turn"]["audio_dropped"] for e in raw if e["type"] == "turn"] == [3, 1]
