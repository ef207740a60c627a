"""Turn latency of the voice loop: last speech sample of an answer -> first audio sample of the next question.

The real pipeline runs: an offline-persona interview (`run_interview`, round engine, offline grader, fsynced
session log) through `FileChannel`, whose answers are espeak-ng speech of about 30, 90 and 180 seconds fed
through the VAD, segmenter and streaming transcriber at `--speed` times real time, with the real TTS
rendering each question: each interviewer voice in `--voices` (the neural default and espeak-ng) in the same
run, with the phrase cache and clause-at-a-time rendering the practice command uses. Latency excludes the configured end-of-turn silence:

    latency = first question sample handed to the output - (arrival of the last speech sample + silence)

so it includes the VAD's own lag, the transcription still pending, logging the turn, planning the next
question and rendering its first sentence. Feeding faster than real time is pessimistic: the transcriber has
less wall time to keep up during the answer and during the end-of-turn silence.

Baseline, same run, same model and decoding: transcribe the whole answer after it ends (plus the same
plan-and-render time). Target: p50 <= 800 ms at every length, and >= 5x faster than the baseline at 90 s.
Usage: .venv/bin/python bench/bench_latency.py [--speed 1] [--answers 3] [--model tiny.en] [--voices neural espeak]
(~15 min per voice)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from voice_audio import SR, VOICES, long_answer, write_wav  # noqa: E402

from interviewer.catalog import load_catalog  # noqa: E402
from interviewer.grading import OfflineGrader  # noqa: E402
from interviewer.interview import InterviewSetup, OfflinePhraser, run_interview  # noqa: E402
from interviewer.sessions.store import SessionStore  # noqa: E402
from interviewer.voice.audio import NullOut  # noqa: E402
from interviewer.voice.channel import FileChannel  # noqa: E402
from interviewer.voice.factory import VOICE_CHOICES, fixed_phrases, make_tts  # noqa: E402
from interviewer.voice.loop import Listener  # noqa: E402
from interviewer.voice.speaking import PhraseCache  # noqa: E402
from interviewer.voice.stt import WhisperSTT  # noqa: E402
from interviewer.voice.vad import TurnConfig  # noqa: E402

LENGTHS = (30, 90, 180)
TARGET_P50_MS = 800
TARGET_SPEEDUP = 5.0


def ms(x: float) -> str:
    return f"{x * 1000:7.0f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--speed", type=float, default=1.0, help="feed answers at this multiple of real time")
    ap.add_argument("--answers", type=int, default=3, help="answers per length (one interview per length)")
    ap.add_argument("--model", default="tiny.en")
    ap.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS))
    ap.add_argument("--voices", nargs="+", default=list(VOICE_CHOICES), choices=VOICE_CHOICES)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    cat = load_catalog()
    persona = cat.personas["peer"]
    # this measures the end of a turn the candidate ends; a long opening cut off at the persona's limit (the
    # timebox cut-in) gets its next question while they are still talking, which is another measurement
    persona = persona.model_copy(update={"timebox": persona.timebox.model_copy(update={"opening_seconds": 3600.0})})
    question = sorted(cat.questions.values(), key=lambda q: q.id)[0]
    rubric = cat.rubrics["production-incident"]
    stt = WhisperSTT(args.model)
    cfg = TurnConfig()
    print(f"model {args.model} (int8, beam {stt.beam_size}); end-of-turn silence {cfg.end_silence_s} s "
          f"(excluded); answers fed at {args.speed}x real time; offline persona {persona.id}")
    summary = {}
    for voice_name, length in [(v, n) for v in args.voices for n in args.lengths]:
        interviewer_tts, why = make_tts(persona.voice, voice_name)
        if interviewer_tts.engine != voice_name:
            print(f"\nvoice {voice_name}: not available ({why})")
            continue
        tts = PhraseCache(interviewer_tts, fixed_phrases(persona, cfg), folder=work / "speech-cache")
        folder = work / f"answers-{voice_name}-{length}"
        folder.mkdir()
        spoken = []
        for i in range(args.answers):
            voice, wpm = VOICES[(i + length) % len(VOICES)]
            s = long_answer(length, work / "speech", voice, wpm, seed=length * 100 + i)
            write_wav(folder / f"{i:02d}.wav", s.audio)
            spoken.append(s)
        channel = FileChannel(folder, tts, Listener(stt, cfg), out=NullOut(), speed=args.speed,
                              echo=lambda line: None)
        setup = InterviewSetup(persona=persona, rubric=rubric, level=persona.level, question=question,
                               mode="files", stt_model=args.model)
        run_interview(setup, channel, OfflineGrader(), SessionStore(work / "sessions"), phraser=OfflinePhraser())
        rows = [t for t in channel.timings if t.first_audio_wall is not None][: len(persona.rounds) - 1]
        silence_wall = cfg.end_silence_s / args.speed
        lat = np.array([t.first_audio_wall - (t.last_speech_wall + silence_wall) for t in rows])
        tail = np.array([t.transcribed_wall - t.end_decided_wall for t in rows])
        post = np.array([t.first_audio_wall - t.transcribed_wall for t in rows])
        pending = [t.pending_at_end for t in rows]
        segments = [t.segments for t in rows]
        calls = [t.calls for t in rows]

        # naive baseline: the whole answer transcribed after it ends, then the same plan-and-render work
        naive = []
        for s in spoken[: len(rows)]:
            start = time.monotonic()
            stt.transcribe(s.audio[: int(s.speech_end * SR)])
            naive.append(time.monotonic() - start + float(np.median(post)))
        naive = np.array(naive)
        p50, base50 = float(np.median(lat)), float(np.median(naive))
        summary[voice_name, length] = (p50, base50)
        secs = np.mean([s.speech_end for s in spoken])
        print(f"\nvoice {voice_name}, ~{length} s answers (mean {secs:.0f} s, {len(rows)} turns, segments/answer {np.mean(segments):.1f} "
              f"in {np.mean(calls):.1f} calls, "
              f"segments pending at end of turn {pending})")
        print(f"  streaming latency ms: p50 {ms(p50)}  max {ms(lat.max())}   per turn {[round(x * 1000) for x in lat]}")
        print(f"    of which: tail transcription p50 {ms(float(np.median(tail)))}, "
              f"log+plan+render p50 {ms(float(np.median(post)))}")
        print(f"  naive baseline ms:    p50 {ms(base50)}  max {ms(naive.max())}")
        print(f"  speed-up (baseline p50 / streaming p50): {base50 / p50:.1f}x")
    print("\nsummary:")
    ok = True
    for (voice_name, length), (p50, base50) in summary.items():
        met = p50 * 1000 <= TARGET_P50_MS
        ok &= met
        line = f"  {voice_name:<7} ~{length:>3} s: p50 {p50 * 1000:.0f} ms (target <= {TARGET_P50_MS}: {'met' if met else 'MISSED'})"
        if length == 90:
            met90 = base50 / p50 >= TARGET_SPEEDUP
            ok &= met90
            line += f"; {base50 / p50:.1f}x faster than naive (target >= {TARGET_SPEEDUP:.0f}x: "
            line += f"{'met' if met90 else 'MISSED'})"
        print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
