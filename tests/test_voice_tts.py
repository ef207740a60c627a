"""The real espeak-ng voice through pyttsx3: renders, applies persona settings, and is understood by Whisper."""

from __future__ import annotations

import numpy as np
import pytest
from voice_audio import to_16k, wer

from interviewer.durable import write_wav
from interviewer.models import Voice
from interviewer.protocols import Speech
from interviewer.voice.tts import Pyttsx3TTS, espeak_library, match_voice, read_wav

pytestmark = pytest.mark.audio


QUESTION = "Walk me through how you first noticed that the service was failing."

needs_espeak = pytest.mark.skipif(espeak_library() is None, reason="espeak-ng is not installed")


QUESTIONS = (
    QUESTION,
    "Who did you keep informed while the outage was going on, and how often?",
    "What changed afterwards so that this kind of failure cannot happen again?",
)


@needs_espeak
def test_renders_speech_that_whisper_understands(tiny_stt):
    """tiny.en on one robotic sentence swings by a word or two, so the bound is on three questions' mean."""
    errors = []
    for text in QUESTIONS:
        speech = Pyttsx3TTS(Voice(rate=165, voice="en-us")).synthesize(text)
        assert speech.sample_rate == 22_050
        assert 2.0 < len(speech.samples) / speech.sample_rate < 8.0
        assert np.abs(speech.samples).max() > 0.1
        padded = np.concatenate([np.zeros(8000, np.float32), to_16k(speech.samples, speech.sample_rate),
                                 np.zeros(8000, np.float32)])
        heard = tiny_stt.transcribe(padded).text
        errors.append(wer(text, heard))
    assert sum(errors) / len(errors) <= 0.3, errors


@needs_espeak
def test_a_voice_that_names_none_gets_the_default_back():
    """The pyttsx3 engine is process-global: one persona's voice must not stick to the next speaker."""
    default = Pyttsx3TTS(Voice())
    default.synthesize("One.")
    engine_default = default._engine.getProperty("voice")
    Pyttsx3TTS(Voice(voice="en-gb-x-rp+f2")).synthesize("Two.")
    again = Pyttsx3TTS(Voice())
    again.synthesize("Three.")
    assert again._engine.getProperty("voice") == engine_default


@needs_espeak
def test_persona_rate_and_voice_apply():
    slow = Pyttsx3TTS(Voice(rate=120)).synthesize(QUESTION)
    fast = Pyttsx3TTS(Voice(rate=220)).synthesize(QUESTION)
    assert len(slow.samples) > 1.4 * len(fast.samples)
    female = Pyttsx3TTS(Voice(rate=165, voice="en-us+f3"))
    assert female.voice_id == "gmw/en-us+f3"
    male = Pyttsx3TTS(Voice(rate=165, voice="en-us"))
    assert not np.array_equal(female.synthesize("Hello there.").samples, male.synthesize("Hello there.").samples)


@needs_espeak
def test_a_render_that_comes_back_empty_is_rendered_again(monkeypatch):
    """Now and then the espeak driver hands back a WAV with no samples (seen in CI): it is rendered again.
    That can't be produced on demand, so the first file read is made to come back empty."""
    from interviewer.voice import tts as tts_module

    real_read = tts_module.read_wav
    reads = []

    def first_read_empty(path):
        reads.append(path)
        speech = real_read(path)
        return Speech(np.zeros(0, np.float32), speech.sample_rate) if len(reads) == 1 else speech

    monkeypatch.setattr(tts_module, "read_wav", first_read_empty)
    speech = Pyttsx3TTS(Voice()).synthesize("Still talking.")
    assert len(reads) == 2 and reads[0] != reads[1] and len(speech.samples) > 0


@needs_espeak
def test_unknown_voice_keeps_the_default_instead_of_failing():
    tts = Pyttsx3TTS(Voice(voice="klingon-imperial"))
    assert tts.voice_id is None
    assert len(tts.synthesize("Still talking.").samples) > 0


@needs_espeak
def test_voice_matching_by_id_tail_name_and_language():
    import pyttsx3

    voices = pyttsx3.init().getProperty("voices")
    assert match_voice("gmw/en-us", voices) == "gmw/en-us"
    assert match_voice("en-gb-scotland", voices) == "gmw/en-gb-scotland"
    assert match_voice("Scotland", voices) == "gmw/en-gb-scotland"
    assert match_voice("en-us+m3", voices) == "gmw/en-us+m3"
    assert match_voice("no-such-voice", voices) is None


def test_wav_round_trip(tmp_path):
    samples = (0.5 * np.sin(np.arange(8000) / 10)).astype(np.float32)
    write_wav(tmp_path / "x.wav", samples, 16_000)
    back = read_wav(tmp_path / "x.wav")
    assert back.sample_rate == 16_000 and np.allclose(back.samples, samples, atol=1e-4)


def test_missing_espeak_names_the_package_and_practice_falls_back_to_text(monkeypatch, capsys):
    """espeak-ng cannot be uninstalled for one test: pretend the library lookup finds nothing."""
    import argparse

    from interviewer.catalog import load_catalog
    from interviewer.interview import practice
    from interviewer.voice import tts
    from interviewer.voice.tts import TTSUnavailable

    monkeypatch.setattr(tts, "espeak_library", lambda: None)
    monkeypatch.setattr(tts.sys, "platform", "linux")
    with pytest.raises(TTSUnavailable, match="espeak-ng is not installed; install it with: sudo apt-get install"):
        Pyttsx3TTS(Voice())

    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("An answer.\n\n"))
    monkeypatch.setattr("interviewer.voice.factory.check_devices", lambda: None)  # as if a mic existed
    persona = load_catalog().personas["peer"]
    args = argparse.Namespace(text=False, answers=None, silence=None, push_to_finish=False, stt_model=None,
                              voice="espeak")
    channel, mode = practice.make_channel(args, persona)
    assert mode == "text" and isinstance(channel, practice.TextChannel)
    err = capsys.readouterr().err
    assert "voice is not available: espeak-ng is not installed" in err and "continuing in text mode" in err
