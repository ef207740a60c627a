"""Time to first sound of a question, streamed against a whole-text render, and each voice's real-time factor.

For each voice (the neural default and espeak-ng) and persona `peer`:
- streamed: the real `VoiceChannel.say` (clause-sized renders, the next ones rendering while one plays) with
  an output that plays in real time; measured from the call ("question text known") to the first audio
  sample handed to the output;
- naive: the whole question rendered in one call, then played; measured the same way;
the two alternate, question by question, so both see the same load. Then the real-time factor (seconds of
rendering per second of speech) over whole-question renders, the model load time, and the first sound of a
cached fixed phrase (the greeting, rendered once per persona and voice).
The streamed path also reports its stalls: silence inside a question while the next clause was still
rendering. Questions are about 25 words. Target: streamed p50 <= 300 ms on 2 cores.
Usage: .venv/bin/python bench/bench_tts.py [--rounds 5] [--voices neural espeak]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from interviewer.catalog import load_catalog
from interviewer.protocols import Speech
from interviewer.voice.channel import VoiceChannel
from interviewer.voice.factory import VOICE_CHOICES, make_tts
from interviewer.voice.loop import Listener
from interviewer.voice.speaking import PhraseCache

TARGET_P50_MS = 300
QUESTIONS = (  # about 25 words each, shaped like the interview's follow-ups
    "Walk me through how you first noticed that the checkout service was failing, who you told first, and what "
    "you did in the first ten minutes.",
    "Put numbers on the gaps for me: how many minutes passed from the first error to detection, and from "
    "detection to the moment impact stopped?",
    "When you rolled back the deploy, what told you it had worked, and what would you have done if the rollback "
    "had not been possible?",
    "Who owned communication while the payments gateway was down, how often did updates go out, and what did the "
    "first one say to customers?",
)


class RealTimeOut:
    """An output that plays nothing but takes as long as the speech would: records when the first play came."""

    def __init__(self):
        self.first_at: float | None = None
        self._ends = 0.0
        self.stalled = 0.0  # silence between chunks because the next one was not rendered yet

    def play(self, speech: Speech) -> None:
        now = time.monotonic()
        if self.first_at is None:
            self.first_at = now
        else:
            self.stalled += max(0.0, now - self._ends)
        self._ends = now + len(speech.samples) / speech.sample_rate

    def playing(self) -> bool:
        return time.monotonic() < self._ends

    def stop(self) -> None:
        self._ends = 0.0

    def wait(self, timeout: float | None = None) -> bool:
        while self.playing():
            time.sleep(0.005)
        return True


def first_sound_streamed(tts, listener: Listener, text: str) -> tuple[float, float]:
    """(time to first sound, seconds of stall between chunks) for the channel's streamed path."""
    out = RealTimeOut()
    channel = VoiceChannel(tts, listener, out, source=None, barge_in=False, echo=lambda line: None)
    start = time.monotonic()
    channel.say(iter([text]), 0)
    return out.first_at - start, out.stalled  # type: ignore[operator]


def first_sound_naive(tts, text: str) -> tuple[float, float, float]:
    """(time to first sound, render seconds, speech seconds) for a whole-text render."""
    out = RealTimeOut()
    start = time.monotonic()
    speech = tts.synthesize(text)
    out.play(speech)
    took = out.first_at - start  # type: ignore[operator]
    return took, took, len(speech.samples) / speech.sample_rate


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5, help="times each question is asked per path")
    ap.add_argument("--voices", nargs="+", default=list(VOICE_CHOICES), choices=VOICE_CHOICES)
    args = ap.parse_args()
    persona = load_catalog().personas["peer"]
    listener = Listener(stt=None)  # type: ignore[arg-type]  # say() never transcribes
    words = np.mean([len(q.split()) for q in QUESTIONS])
    print(f"{len(QUESTIONS)} questions of {words:.0f} words on average, {args.rounds} rounds; persona {persona.id}")
    print(f"{'voice':<8} {'load s':>7} {'streamed p50':>13} {'p95':>6} {'naive p50':>10} {'p95':>6} {'RTF':>6} "
          f"{'cached greeting ms':>19} {'stall p50/max ms':>17}")
    ok = True
    for choice in args.voices:
        start = time.monotonic()
        tts, why = make_tts(persona.voice, choice)
        load_s = time.monotonic() - start
        if tts.engine != choice:
            print(f"{choice}: not available ({why})")
            ok = False
            continue
        tts.synthesize("Warming up.")
        streamed: list[float] = []
        stalls: list[float] = []
        naive: list[float] = []
        render_s = speech_s = 0.0
        for _ in range(args.rounds):
            for text in QUESTIONS:
                first, stalled = first_sound_streamed(tts, listener, text)
                streamed.append(first)
                stalls.append(stalled)
                took, rendered, seconds = first_sound_naive(tts, text)
                naive.append(took)
                render_s += rendered
                speech_s += seconds
        with tempfile.TemporaryDirectory() as folder:
            cache = PhraseCache(tts, [persona.greeting], folder=Path(folder))
            cache.synthesize(persona.greeting)
            greeting_ms = first_sound_streamed(cache, listener, persona.greeting)[0] * 1000
        p50 = pct(streamed, 50)
        if choice == "neural":
            ok &= p50 <= TARGET_P50_MS
        print(f"{choice:<8} {load_s:7.2f} {p50:13.0f} {pct(streamed, 95):6.0f} {pct(naive, 50):10.0f} "
              f"{pct(naive, 95):6.0f} {render_s / speech_s:6.3f} {greeting_ms:19.1f} "
              f"{pct(stalls, 50):9.0f}/{max(stalls) * 1000:.0f}", flush=True)
    print(f"ms from the question text to its first audio sample; target for the neural default: streamed p50 <= "
          f"{TARGET_P50_MS} ms. stall: silence inside a streamed question while its next clause was rendering.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
