"""The listening pipeline on real speech: Silero VAD, end of turn, streaming transcription with tiny.en."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from voice_audio import SR, VOICES, answer, answers_for_wer, silence, wer

from interviewer.protocols import Transcription
from interviewer.voice.audio import ArraySource
from interviewer.voice.loop import Listener
from interviewer.voice.vad import FRAME, SileroVAD, TurnConfig, TurnSegmenter

pytestmark = pytest.mark.audio


FIRST = "The checkout service started timing out right after the morning deploy."
SECOND = "I rolled the release back and the error rate returned to normal."


def test_streaming_vad_matches_faster_whisper_batch_scoring(speech_dir):
    from faster_whisper.vad import get_vad_model

    audio = answer([FIRST, SECOND], speech_dir, pauses=[1.0]).audio
    audio = audio[: len(audio) // FRAME * FRAME]
    batch = np.asarray(get_vad_model()(audio)).reshape(-1)
    vad = SileroVAD()
    stream = np.array([vad(audio[i : i + FRAME]) for i in range(0, len(audio), FRAME)])
    assert np.allclose(stream, batch, atol=1e-5)
    assert stream.max() > 0.9 and stream.min() < 0.1  # it really separates speech from the pause


def test_end_of_turn_fires_after_the_answer_not_in_a_mid_sentence_pause(speech_dir, tiny_stt):
    # a 1.2 s thinking pause in the middle of the answer, then a long silence
    spoken = answer([FIRST, SECOND], speech_dir, pauses=[1.2], tail=6.0)
    cfg = TurnConfig()  # default 2.5 s
    heard = Listener(tiny_stt, cfg).listen(ArraySource(spoken.audio))
    ended_at = len(heard.audio) / SR
    assert heard.reason == "silence"
    assert spoken.speech_end + cfg.end_silence_s - 0.1 <= ended_at <= spoken.speech_end + cfg.end_silence_s + 0.6
    assert wer(spoken.text, heard.text) <= 0.3, heard.text
    # both halves were heard: the pause did not end the turn
    assert "release" in heard.text.lower() and "checkout" in heard.text.lower()


def test_a_shorter_silence_setting_ends_the_turn_in_that_pause(speech_dir, tiny_stt):
    spoken = answer([FIRST, SECOND], speech_dir, pauses=[1.2], tail=3.0)
    heard = Listener(tiny_stt, TurnConfig(end_silence_s=1.0)).listen(ArraySource(spoken.audio))
    assert heard.reason == "silence"
    assert "checkout" in heard.text.lower() and "release" not in heard.text.lower()


def test_word_timestamps_are_relative_to_the_start_of_the_answer(speech_dir, tiny_stt):
    spoken = answer([FIRST, SECOND, "We added a canary stage the next week."], speech_dir,
                    pauses=[1.0, 2.2], lead=1.0, tail=4.0)
    heard = Listener(tiny_stt, TurnConfig(min_segment_s=2.0)).listen(ArraySource(spoken.audio))
    assert heard.segments >= 2  # cut in pieces, transcribed (possibly batched), stitched back together
    starts = [w.start for w in heard.words]
    assert starts == sorted(starts)
    assert 0.6 <= heard.words[0].start <= 1.6
    assert heard.words[-1].end <= spoken.speech_end + 0.5
    # the 2.2 s pause shows up between words, where the delivery metrics will count it
    gaps = [b.start - a.end for a, b in zip(heard.words, heard.words[1:], strict=False)]
    assert max(gaps) >= 1.7
    assert heard.talk_seconds is not None and abs(heard.talk_seconds - (spoken.speech_end - 1.0)) < 0.6


class GatedSTT:
    """The real model behind a gate the test opens: shows the loop does not wait for transcription."""

    def __init__(self, stt):
        self.stt = stt
        self.gate = threading.Event()
        self.started = threading.Event()

    def transcribe(self, audio: np.ndarray) -> Transcription:
        self.started.set()
        self.gate.wait(60)
        return self.stt.transcribe(audio)


def test_the_loop_keeps_listening_while_segments_wait_for_transcription(speech_dir, tiny_stt):
    spoken = answer([FIRST, SECOND, FIRST], speech_dir, pauses=[1.0, 1.0], tail=4.0)
    gated = GatedSTT(tiny_stt)
    source = ArraySource(spoken.audio)
    result = {}
    listener = Listener(gated, TurnConfig(min_segment_s=3.0))
    t = threading.Thread(target=lambda: result.update(heard=listener.listen(source)))
    t.start()
    assert gated.started.wait(30)  # the first segment went to the worker...
    past_the_answer = int((spoken.speech_end + 2.0) * SR)
    deadline = time.monotonic() + 30
    while source.pos < past_the_answer and time.monotonic() < deadline:
        time.sleep(0.01)
    # ...and the loop read on past the end of the answer while that transcription was still blocked
    assert source.pos >= past_the_answer
    assert t.is_alive() and not result
    gated.gate.set()
    t.join(60)
    assert result["heard"].segments >= 2 and result["heard"].calls >= 2
    assert wer(spoken.text, result["heard"].text) <= 0.3


def test_push_to_finish_ignores_silence_and_ends_on_the_key(speech_dir, tiny_stt):
    spoken = answer([FIRST], speech_dir, tail=8.0)
    key = threading.Event()
    press_at = int((spoken.speech_end + 5.0) * SR)

    class KeyAt(ArraySource):
        def read(self, timeout=0.1):
            if self.pos >= press_at:
                key.set()
            return super().read(timeout)

    heard = Listener(tiny_stt, TurnConfig(push_to_finish=True), finish_key=key).listen(KeyAt(spoken.audio))
    assert heard.reason == "key"
    assert len(heard.audio) >= press_at  # 5 s of silence did not end it
    assert "checkout" in heard.text.lower()


def test_time_warnings_then_the_hard_cap(speech_dir, tiny_stt):
    long = answer([FIRST, SECOND, FIRST, SECOND], speech_dir, pauses=[0.4, 0.4, 0.4])
    calls = []
    cfg = TurnConfig(warn_at_s=(3.0, 5.0), cap_s=7.0)

    def warn(seconds: float, cap: bool) -> float:
        calls.append((seconds, cap))
        return 1.0  # the warning plays for a second: its echo must not count as the answer

    heard = Listener(tiny_stt, cfg, on_warning=warn).listen(ArraySource(long.audio))
    assert calls == [(3.0, False), (5.0, False), (7.0, True)]
    during = slice(int(3.1 * SR), int(3.9 * SR))
    assert np.abs(long.audio[during]).max() > 0.1 and not heard.audio[during].any()  # muted while it played
    assert heard.reason == "cap"
    assert abs(len(heard.audio) / SR - 7.0) < 0.1
    assert heard.text  # what was said before the cap is kept


def test_silence_only_gives_an_empty_answer(tiny_stt):
    heard = Listener(tiny_stt, TurnConfig()).listen(ArraySource(silence(4.0)))
    assert heard.reason == "end_of_input" and heard.text == "" and heard.words == []
    assert heard.talk_seconds is None


def test_segmenter_cuts_long_monologues_below_whispers_window():
    cfg = TurnConfig()
    seg = TurnSegmenter(cfg)
    segments = []
    for _ in range(int(70 * SR / FRAME)):  # 70 s of uninterrupted speech
        segments += [e for e in seg.feed(0.99) if hasattr(e, "speech")]
    assert len(segments) == 2
    assert all(s.end - s.start <= cfg.hard_segment_s * SR + FRAME for s in segments)


def test_tiny_en_word_error_rate_on_varied_synthetic_voices(speech_dir, tiny_stt):
    spoken = answers_for_wer(speech_dir, len(VOICES))
    rates = [wer(s.text, tiny_stt.transcribe(s.audio).text) for s in spoken]
    print("tiny.en WER per voice:", {v: round(r, 3) for (v, _), r in zip(VOICES, rates, strict=True)})
    assert float(np.mean(rates)) <= 0.3
    assert max(rates) <= 0.5


def test_word_timestamps_are_kept_out_of_the_pauses_the_vad_heard():
    from interviewer.models import WordTiming
    from interviewer.voice.loop import fit_to_pauses

    pause = (int(2.0 * SR), int(4.5 * SR))  # the VAD heard silence from 2.0 s to 4.5 s
    words = [
        WordTiming(word="rolled", start=1.5, end=1.9),  # untouched
        WordTiming(word="back.", start=1.9, end=3.1),  # Whisper stretched it into the pause
        WordTiming(word="Then", start=4.0, end=4.8),  # and started the next word early
    ]
    fitted = fit_to_pauses(words, [pause])
    assert [(w.start, w.end) for w in fitted] == [(1.5, 1.9), (1.9, 2.0), (4.5, 4.8)]
    assert fitted[2].start - fitted[1].end == 2.5  # the delivery metrics see the real pause


def test_segmenter_records_pauses_between_speech():
    seg = TurnSegmenter(TurnConfig())
    for p in [0.9] * 20 + [0.05] * 40 + [0.9] * 10 + [0.05] * 5 + [0.9] * 5:
        seg.feed(p)
    # 40 silent frames (1.28 s) are a pause; 5 frames (0.16 s) are too short to record
    assert seg.silences == [(20 * FRAME, 60 * FRAME)]


def test_a_long_opening_is_cut_off_at_the_first_pause_past_its_limit(speech_dir, tiny_stt):
    from voice_audio import ANSWERS

    sentences = [s for a in ANSWERS[:4] for s in a]  # 12 sentences, about 45 s with the pauses
    pauses = [0.6, 0.9, 0.7, 1.1, 0.8, 0.6, 1.0, 0.7, 0.9, 0.6, 0.8]
    spoken = answer(sentences, speech_dir, pauses=pauses, tail=3.0)
    assert spoken.speech_end > 40.0
    calls: list[tuple[float, bool]] = []
    limit, lead = 15.0, 0.4
    # a time warning due after the limit, and a cap the talk would reach if it were not cut at the limit
    cfg = TurnConfig(warn_at_s=(limit + 2.0,), cap_s=limit + 10.0)

    def warn(seconds: float, cap: bool) -> float:
        calls.append((seconds, cap))
        return 0.0

    heard = Listener(tiny_stt, cfg, on_warning=warn).listen(ArraySource(spoken.audio), limit_s=limit)
    ended_at = len(heard.audio) / SR
    assert heard.reason == "timebox"
    assert lead + limit <= ended_at <= lead + limit + cfg.cut_grace_s + 0.2, ended_at  # well before the end
    assert np.abs(spoken.audio[int((ended_at - 0.15) * SR) : int(ended_at * SR)]).max() < 1e-3  # in a pause
    assert calls == []  # neither the warning past the limit nor the cap's "let's stop there" was said
    text = heard.text.lower()
    assert "checkout" in text and "certificate" in text  # the first sentences were transcribed...
    assert "canary" not in text and "half of our users" not in text  # ...and the last ones never heard
    assert heard.words and heard.words[-1].end <= ended_at + 0.1
    assert heard.talk_seconds is not None and limit - 1.0 <= heard.talk_seconds <= limit + cfg.cut_grace_s
