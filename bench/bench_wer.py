"""Word error rate and speed of the Whisper models, with and without domain biasing, and filler survival.

espeak-ng speaks >= 20 answers (six voices, speeds 140-185 wpm) written for the tests; each model transcribes
them with the pipeline's settings (int8, greedy, word timestamps) under each biasing variant:
- none: no prompt (the baseline, measured in the same run);
- prompt: `initial_prompt` listing the interview's terms;
- hotwords: faster-whisper `hotwords` with the same terms;
- disfluent: an `initial_prompt` written with fillers, which nudges Whisper to keep "um" and "uh".
Then a second set of answers with "um"/"uh" spoken in them measures how many fillers survive transcription.

Prints mean WER (numbers normalised: "9.40" == "nine forty"), real-time factor (seconds of compute per
second of audio) and filler recall per model and variant.
Usage: .venv/bin/python bench/bench_wer.py [--answers 24] [--models tiny.en base]
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
from voice_audio import ANSWERS, SR, VOICES, answer, answers_for_wer, wer  # noqa: E402

from interviewer.voice.stt import DISFLUENT_PROMPT, DOMAIN_TERMS, WhisperSTT  # noqa: E402

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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--answers", type=int, default=24)
    ap.add_argument("--models", nargs="+", default=["tiny.en", "base"])
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-wer-"))
    spoken = answers_for_wer(folder, args.answers)
    filled = [answer([s], folder, *VOICES[i % len(VOICES)]) for i, s in enumerate(FILLED)]
    audio_s = sum(len(s.audio) for s in spoken) / SR
    print(f"{len(spoken)} answers ({audio_s:.0f} s of speech, {len(VOICES)} voices, "
          f"{len(ANSWERS)} texts); {len(filled)} answers with {sum(fillers(s.text) for s in filled)} fillers")
    print(f"{'model':<8} {'variant':<10} {'WER':>6} {'vs none':>8} {'RTF':>6} {'fillers kept':>13} {'WER(fill)':>10}")
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
            print(f"{model:<8} {variant:<10} {mean:6.3f} {ratio:>8} {rtf:6.3f} {kept:>5}/{ref:<3} {kept / ref:4.0%}"
                  f" {float(np.mean(fill_rates)):10.3f}", flush=True)
    print("WER(fill): word error rate on the filler answers, fillers removed from both sides.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
