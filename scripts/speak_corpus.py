#!/usr/bin/env python3
"""Speak corpus answers with espeak-ng and transcribe them with Whisper, so real transcript errors are data.

    .venv/bin/python scripts/speak_corpus.py [--split heldout] [--model tiny.en]

Each answer is spoken by one of six espeak-ng voices in turn (American, British, Scottish; male, female; 140 to
185 words per minute), decoded to 16 kHz and transcribed by the project's own Whisper wrapper. The transcripts
go to tests/data/corpus/spoken.yaml with their word error rate; the labels stay those of the written answer.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from voice_audio import VOICES, speak, wer  # noqa: E402

from interviewer.grading import corpus as cp  # noqa: E402
from interviewer.voice.stt import WhisperSTT  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "tests" / "data" / "corpus")
    ap.add_argument("--split", default="heldout")
    ap.add_argument("--model", default="tiny.en")
    args = ap.parse_args()
    split = {a.id: a.split for a in cp.load_authors(args.corpus)}
    answers = [a for a in cp.load_answers(args.corpus).values() if split.get(a.author) == args.split]
    stt = WhisperSTT(args.model)
    out = []
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        for i, a in enumerate(answers):
            voice, wpm = VOICES[i % len(VOICES)]
            text = " ".join(a.text.split())
            audio = speak(text, Path(tmp), voice, wpm)
            tr = stt.transcribe(audio)
            out.append(
                {
                    "id": a.id,
                    "voice": f"espeak-ng {voice} {wpm} wpm",
                    "stt": args.model,
                    "seconds": round(tr.duration, 1),
                    "wer": round(wer(text, tr.text), 3),
                    "transcript": tr.text,
                }
            )
            print(f"{i + 1}/{len(answers)} {a.id} {tr.duration:.0f}s wer {out[-1]['wer']:.2f}", flush=True)
    header = (
        "# Corpus answers spoken by espeak-ng and transcribed by Whisper (scripts/speak_corpus.py).\n"
        "# Labels are those of the written answer with the same id.\n"
    )
    (args.corpus / "spoken.yaml").write_text(header + yaml.safe_dump(out, sort_keys=False, width=110, allow_unicode=True))
    print(f"{len(out)} answers in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
