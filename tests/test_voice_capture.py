"""The real sounddevice/PortAudio path, with an ALSA configuration written by the test as the sound card.

ALSA's `file` plugin serves a raw file of espeak-ng speech as the microphone and records playback to
another file; `ALSA_CONFIG_PATH` points a subprocess at it (ALSA reads its configuration once per process).
The raw capture file holds float32 samples at 16 kHz, the exact format the input stream asks for, so no
converter sits between PortAudio and the file plugin (a converter reading ahead through mmap loses samples).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import CLI, cli_env
from voice_audio import SR, answer, speech_cache, wer

pytestmark = pytest.mark.audio

SYSTEM_ALSA_CONF = Path("/usr/share/alsa/alsa.conf")
ANSWER = ["Our payment service failed at noon because a certificate expired.",
          "I renewed it by hand and we added an expiry alert the same week."]

CAPTURE_SCRIPT = r"""
import json, sys
import numpy as np
from interviewer.protocols import Speech
from interviewer.voice.audio import MicSource, SoundDeviceOut, check_devices
from interviewer.voice.loop import Listener
from interviewer.voice.stt import WhisperSTT
from interviewer.voice.vad import TurnConfig

devs = check_devices()
mic = MicSource()
heard = Listener(WhisperSTT("tiny.en"), TurnConfig()).listen(mic)
mic.close()
np.save(sys.argv[1], heard.audio)
out = SoundDeviceOut()
tone = (0.3 * np.sin(np.arange(22050) * 2 * np.pi * 440 / 22050)).astype(np.float32)
out.play(Speech(tone, 22050))
out.wait()
print(json.dumps({"input": devs.default_input, "output": devs.default_output, "reason": heard.reason,
                  "text": heard.text, "seconds": len(heard.audio) / 16000, "talk": heard.talk_seconds,
                  "words": len(heard.words)}))
"""


def alsa_env(tmp_path: Path, capture: Path | None) -> dict[str, str]:
    """An ALSA set-up whose default device reads `capture` and writes playback to tmp_path/played.raw."""
    if not SYSTEM_ALSA_CONF.is_file():
        pytest.skip(f"ALSA's {SYSTEM_ALSA_CONF} is not installed (sudo apt-get install libasound2)")
    conf = tmp_path / "asoundrc"
    infile = f'infile "{capture}"' if capture else ""
    conf.write_text(
        "pcm.!default { type asym playback.pcm \"speaker\" capture.pcm \"mic\" }\n"
        f'pcm.mic {{ type file slave.pcm "null" file "/dev/null" {infile} format "raw" }}\n'
        f'pcm.speaker {{ type file slave.pcm "null" file "{tmp_path / "played.raw"}" format "raw" }}\n'
    )
    return cli_env(ALSA_CONFIG_PATH=f"{SYSTEM_ALSA_CONF}:{conf}")


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    return answer(ANSWER, speech_cache(tmp_path_factory), voice="en-us", wpm=160, pauses=[1.2])


def test_microphone_capture_through_portaudio_and_alsa(tmp_path, spoken):
    capture = tmp_path / "mic.raw"
    # the speech, then silence: past the end of its file the plugin would repeat stale buffer contents
    np.concatenate([spoken.audio, np.zeros(6 * SR, dtype=np.float32)]).astype("<f4").tofile(capture)
    proc = subprocess.run([sys.executable, "-c", CAPTURE_SCRIPT, str(tmp_path / "heard.npy")],
                          env=alsa_env(tmp_path, capture),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["input"] and got["output"]
    assert got["reason"] == "silence"  # end of turn from the VAD, after the speech, not in the 1.2 s pause
    assert spoken.speech_end + 2.4 <= got["seconds"] <= spoken.speech_end + 3.2
    heard = np.load(tmp_path / "heard.npy")
    n = len(spoken.audio)
    assert np.array_equal(heard[:n], spoken.audio)  # every sample arrived, in order, through PortAudio
    assert len(heard) < n + 6 * SR and not heard[n:].any()  # then the silence, which ended the turn
    assert wer(spoken.text, got["text"]) <= 0.3, got["text"]
    assert got["words"] >= 15
    played = np.fromfile(tmp_path / "played.raw", dtype="<f4")
    assert len(played) >= 22050 and np.abs(played).max() > 0.25  # the tone reached the "speaker"


def test_doctor_reports_the_devices_and_succeeds(tmp_path):
    env = alsa_env(tmp_path, None)
    proc = subprocess.run([*CLI, "doctor", "--offline"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[ok  ] input devices: default" in proc.stdout
    assert "[ok  ] whisper tiny.en" in proc.stdout
    assert "[ok  ] text to speech" in proc.stdout


def test_without_a_sound_card_doctor_says_so_and_practice_falls_back_to_text(tmp_path):
    conf = tmp_path / "nocard.conf"
    conf.write_text("pcm.!default { type hw card 99 }\n")  # a sound card that does not exist
    env = cli_env(ALSA_CONFIG_PATH=str(conf), INTERVIEWER_SESSIONS=str(tmp_path / "sessions"))
    doc = subprocess.run([*CLI, "doctor", "--offline"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert doc.returncode == 1
    assert "[FAIL] input devices: no default input device" in doc.stdout
    assert "Still available: `interviewer practice --text`" in doc.stdout

    answers = "\n\n".join(["We had an outage and I rolled back the deploy within ten minutes."] * 5) + "\n\n"
    proc = subprocess.run([*CLI, "practice", "--persona", "peer",
                           "--seed", "3"], input=answers, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "voice is not available: no microphone (input device) and no speaker (output device) found" in proc.stderr
    assert "continuing in text mode" in proc.stderr
    log = next((tmp_path / "sessions").glob("*/session.jsonl")).read_text().splitlines()
    assert json.loads(log[0])["meta"]["mode"] == "text"


def test_without_portaudio_doctor_names_the_package_and_practice_falls_back_to_text(tmp_path):
    """libportaudio2 cannot be uninstalled for one test: a stand-in `sounddevice` module first on the path
    fails to import exactly as the real one does when the library is missing (OSError at import)."""
    stub = tmp_path / "stub"
    stub.mkdir()
    (stub / "sounddevice.py").write_text('raise OSError("PortAudio library not found")\n')
    env = cli_env(PYTHONPATH=str(stub), INTERVIEWER_SESSIONS=str(tmp_path / "sessions"))
    doc = subprocess.run([*CLI, "doctor", "--offline"], env=env, capture_output=True, text=True, timeout=120)
    assert doc.returncode == 1
    assert "PortAudio library is missing" in doc.stdout and "libportaudio2" in doc.stdout, doc.stdout

    answers = "\n\n".join(["The queue backed up at noon and I paused the producer within five minutes."] * 5)
    proc = subprocess.run([*CLI, "practice", "--persona", "peer", "--seed", "3"], input=answers + "\n\n",
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "voice is not available: the PortAudio library is missing" in proc.stderr
    assert "libportaudio2" in proc.stderr and "continuing in text mode" in proc.stderr
    log = next((tmp_path / "sessions").glob("*/session.jsonl")).read_text().splitlines()
    assert json.loads(log[0])["meta"]["mode"] == "text" and len(log) >= 7  # start, 5 turns, grade, end

