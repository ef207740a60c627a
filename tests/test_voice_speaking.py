"""First sound fast: a question is cut into clauses, the first kept short, and spoken while the rest renders;
fixed phrases come from the phrase cache. Real voices (the neural default), a real-time output."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from interviewer.models import Voice
from interviewer.protocols import Speech
from interviewer.voice.channel import VoiceChannel, warning_text
from interviewer.voice.loop import Listener
from interviewer.voice.neural import PiperTTS
from interviewer.voice.speaking import FIRST_CHUNK_WORDS, MIN_CHUNK_WORDS, PhraseCache, speech_chunks
from interviewer.voice.tts import read_wav

QUESTION = ("Walk me through how you first noticed that the checkout service was failing, who you told first, and "
            "what you did in the first ten minutes.")


@pytest.mark.parametrize("text", [
    QUESTION,
    "Put numbers on the gaps for me: how many minutes passed from the first error to detection?",
    "Why?  Because   it matters. Tell me more, please.",
    "One two three four five six seven eight nine ten eleven.",
    "Short.",
])
def test_chunks_are_the_text_and_the_first_is_short_when_a_phrase_boundary_allows(text):
    chunks = speech_chunks(text, first=True)
    assert " ".join(chunks) == " ".join(text.split())
    assert all(len(c.split()) >= MIN_CHUNK_WORDS for c in chunks[1:])
    if text == QUESTION:
        assert chunks[0] == "Walk me through" and len(chunks) == 4
        assert len(chunks[0].split()) <= FIRST_CHUNK_WORDS


class RecordingTTS:
    """The real neural voice, noting when each render ended."""

    def __init__(self, tts):
        self.tts = tts
        self.rendered: list[tuple[str, float]] = []

    def synthesize(self, text: str) -> Speech:
        speech = self.tts.synthesize(text)
        self.rendered.append((text, time.monotonic()))
        return speech


class RealTimeOut:
    """Plays nothing but takes as long as the speech would; notes each play."""

    def __init__(self):
        self.plays: list[tuple[Speech, float]] = []
        self._ends = 0.0

    def play(self, speech: Speech) -> None:
        self.plays.append((speech, time.monotonic()))
        self._ends = time.monotonic() + len(speech.samples) / speech.sample_rate

    def playing(self) -> bool:
        return time.monotonic() < self._ends

    def stop(self) -> None:
        self._ends = 0.0

    def wait(self, timeout=None) -> bool:
        while self.playing():
            time.sleep(0.005)
        return True


@pytest.mark.audio
def test_a_question_starts_sounding_before_the_rest_of_it_is_rendered(tmp_path: Path):
    tts = RecordingTTS(PiperTTS(Voice()))
    out = RealTimeOut()
    lines: list[str] = []
    channel = VoiceChannel(tts, Listener(stt=None), out, source=None, barge_in=False, echo=lines.append)
    channel.attach(tmp_path)
    said = channel.say(iter([QUESTION]), 0)
    assert said.text == QUESTION and lines == [f"Interviewer: {QUESTION}"]  # one line, the whole question
    assert [t for t, _ in tts.rendered] == speech_chunks(QUESTION, first=True)
    first_sound = out.plays[0][1]
    last_rendered = tts.rendered[-1][1]
    assert first_sound < last_rendered  # it was speaking while the last clause was still rendering
    saved = read_wav(tmp_path / said.audio_file)  # the question's audio is every chunk, in order
    played = np.concatenate([s.samples for s, _ in out.plays])
    assert abs(len(saved.samples) - len(played)) <= 1


@pytest.mark.audio
def test_the_greeting_and_warnings_come_from_the_cache_once_rendered(tmp_path: Path):
    greeting = "Hi, I'm Sam. Take your time."
    warning = warning_text(180, False)
    cache = PhraseCache(PiperTTS(Voice()), [greeting, warning], folder=tmp_path)
    cache.warm([greeting]).join(timeout=60)
    assert cache.renders == 2
    out = RealTimeOut()
    channel = VoiceChannel(cache, Listener(stt=None), out, source=None, barge_in=False, echo=lambda line: None)
    channel.say(iter([greeting]), None)
    channel._warn(180, False)
    assert cache.renders == 2 and len(out.plays) == 2  # both said whole, neither rendered again
