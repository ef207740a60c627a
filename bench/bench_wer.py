"""Word error rate and speed of the Whisper models, with and without domain biasing, and filler survival, per voice.

Each test voice set speaks >= 20 answers written for the tests: espeak-ng (six voices, speeds 140-185 wpm) and
the neural voice (three pitches, 150-180 wpm); each model transcribes them with the pipeline's settings
(int8, greedy, word timestamps) under each biasing variant:
- none: no prompt (the baseline, measured in the same run);
- prompt: `initial_prompt` listing the interview's terms;
- hotwords: faster-whisper `hotwords` with the same terms;
- disfluent: an `initial_prompt` written with fillers, which nudges Whisper to keep "um" and "uh".
Then a second set of answers with "um"/"uh" spoken in them measures how many fillers survive transcription.

Prints mean WER (numbers normalised: "9.40" == "nine forty"), real-time factor (seconds of compute per
second of audio) and filler recall per voice, model and variant. First, the interviewer's side: the
interview's own questions spoken by each interviewer voice (persona peer) and transcribed by tiny.en, the
listener's proxy for "clear" (target for the neural default: WER <= 0.05).
Usage: .venv/bin/python bench/bench_wer.py [--answers 24] [--models tiny.en base] [--voices espeak neural]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from voice_audio import ANSWERS, NEURAL_VOICES, SR, VOICES, answer, answers_for_wer, to_16k, wer  # noqa: E402

from interviewer.catalog import load_catalog  # noqa: E402
from interviewer.voice.factory import make_tts  # noqa: E402
from interviewer.voice.stt import DISFLUENT_PROMPT, DOMAIN_TERMS, WhisperSTT  # noqa: E402

TEST_VOICES = {"espeak": VOICES, "neural": NEURAL_VOICES}
QUESTION_TARGET = 0.05

NONE = {"initial_prompt": None, "hotwords": None}
VARIANTS = {
    "none": NONE,
    "prompt": {**NONE, "initial_prompt": f"An engineer describes a production incident: {DOMAIN_TERMS}."},
    "hotwords": {**NONE, "hotwords": DOMAIN_TERMS},
    "disfluent": {**NONE, "initial_prompt": DISFLUENT_PROMPT},
}
FILLER_RX = re.compile(r"\b(?:um+|uh+|uhm|erm|er|ah|hmm+)\b", re.IGNORECASE)
# Answers with fillers where a nervous speaker would put them (written for this benchmark).
FILLED = (
    "Um, so the checkout service, uh, started timing out right after the deploy.",
    "I, uh, rolled it back, and then, um, we looked at the logs together.",
    "Uh, the alert paged me at, um, around nine forty in the morning.",
    "We, um, told support in the incident channel, uh, every fifteen minutes.",
    "So, uh, the root cause was, um, a connection pool that was too small.",
    "Um, afterwards we added, uh, a canary stage for every config change.",
    "I think, um, I would have, uh, escalated to the database team sooner.",
    "Uh, about a third of the, um, card payments failed for forty minutes.",
)


def fillers(text: str) -> int:
    return len(FILLER_RX.findall(text))


def interview_questions(limit: int) -> list[str]:
    """The bank's questions and the personas' follow-ups that need no placeholder, in a fixed order."""
    cat = load_catalog()
    texts = [q.text for q in sorted(cat.questions.values(), key=lambda q: q.id)]
    for persona in sorted(cat.personas.values(), key=lambda p: p.id):
        texts += [f.text if "{" not in f.text else f.fallback or "" for f in persona.followups]
    texts = [" ".join(t.split()) for t in texts if t and "{" not in t]
    return texts[::max(1, len(texts) // limit)][:limit]


def question_wer(voices: list[str], limit: int) -> None:
    stt = WhisperSTT("tiny.en")
    persona = load_catalog().personas["peer"]
    texts = interview_questions(limit)
    print(f"interviewer's questions: {len(texts)} texts, persona {persona.id}, tiny.en")
    for name in voices:
        tts, why = make_tts(persona.voice, name)
        if tts.engine != name:
            print(f"  {name}: not available ({why})")
            continue
        rates, render_s, audio_s = [], 0.0, 0.0
        for text in texts:
            start = time.monotonic()
            speech = tts.synthesize(text)
            render_s += time.monotonic() - start
            audio_s += len(speech.samples) / speech.sample_rate
            pad = np.zeros(SR // 2, np.float32)
            rates.append(wer(text, stt.transcribe(np.concatenate([pad, to_16k(speech.samples, speech.sample_rate),
                                                                  pad])).text))
        mark = f" (target <= {QUESTION_TARGET})" if name == "neural" else ""
        print(f"  {name:<7} WER {np.mean(rates):.3f}{mark}; worst {max(rates):.2f}; voice RTF {render_s / audio_s:.3f}",
              flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--answers", type=int, default=24)
    ap.add_argument("--models", nargs="+", default=["tiny.en", "base"])
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--voices", nargs="+", default=list(TEST_VOICES), choices=list(TEST_VOICES))
    ap.add_argument("--questions", type=int, default=30, help="interview questions per interviewer voice")
    args = ap.parse_args()
    question_wer(args.voices, args.questions)
    folder = Path(tempfile.mkdtemp(prefix="bench-wer-"))
    print(f"{'voice':<7} {'model':<8} {'variant':<10} {'WER':>6} {'vs none':>8} {'RTF':>6} {'fillers kept':>13} "
          f"{'WER(fill)':>10}")
    for voice_set in args.voices:
        voices = TEST_VOICES[voice_set]
        spoken = answers_for_wer(folder, args.answers, voices)
        filled = [answer([s], folder, *voices[i % len(voices)]) for i, s in enumerate(FILLED)]
        audio_s = sum(len(s.audio) for s in spoken) / SR
        print(f"{voice_set}: {len(spoken)} answers ({audio_s:.0f} s of speech, {len(voices)} voices, "
              f"{len(ANSWERS)} texts); {len(filled)} answers with {sum(fillers(s.text) for s in filled)} fillers")
        for model in args.models:
            base_wer = None
            for variant in args.variants:
                stt = WhisperSTT(model, **VARIANTS[variant])
                start = time.monotonic()
                rates = [wer(s.text, stt.transcribe(s.audio).text) for s in spoken]
                rtf = (time.monotonic() - start) / audio_s
                mean = float(np.mean(rates))
                base_wer = mean if variant == "none" else base_wer
                kept = ref = 0
                fill_rates = []
                for s in filled:
                    hyp = stt.transcribe(s.audio).text
                    kept += min(fillers(hyp), fillers(s.text))
                    ref += fillers(s.text)
                    fill_rates.append(wer(FILLER_RX.sub("", s.text), FILLER_RX.sub("", hyp)))
                ratio = f"{mean / base_wer:.2f}x" if base_wer else "-"
                print(f"{voice_set:<7} {model:<8} {variant:<10} {mean:6.3f} {ratio:>8} {rtf:6.3f} "
                      f"{kept:>5}/{ref:<3} {kept / ref:4.0%} {float(np.mean(fill_rates)):10.3f}", flush=True)
    print("WER(fill): word error rate on the filler answers, fillers removed from both sides.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
