"""Peak memory of a full voice session: `interviewer practice --answers DIR` with the base model.

espeak-ng speaks five answers of about `--seconds` each; the whole voice loop then runs in a fresh process
(TTS of every question, VAD, streaming transcription, offline grading, session files). Peak RSS is read from
the kernel's accounting of that process (ru_maxrss). Same run, for scale: the same session with tiny.en,
and a process that only imports the voice pipeline. Target: base session <= 1.5 GB.
Usage: .venv/bin/python bench/bench_memory.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from voice_audio import VOICES, long_answer, write_wav  # noqa: E402

TARGET_MB = 1536
# Run a command in a child and print the child's peak RSS in KiB (Linux reports ru_maxrss in KiB).
PEAK = (
    "import resource, subprocess, sys\n"
    "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "if p.returncode: sys.exit(p.stderr[-2000:])\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def peak_mb(cmd: list[str]) -> float:
    out = subprocess.run([sys.executable, "-c", PEAK, *cmd], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{out.stderr}")
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="length of each of the five answers")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    answers = work / "answers"
    answers.mkdir()
    for i in range(5):
        voice, wpm = VOICES[i % len(VOICES)]
        write_wav(answers / f"{i:02d}.wav", long_answer(args.seconds, work / "speech", voice, wpm, seed=i).audio)

    def session(model: str) -> list[str]:
        return [sys.executable, "-m", "interviewer.cli", "practice", "--answers", str(answers), "--offline",
                "--persona", "peer", "--seed", "1", "--stt-model", model, "--sessions", str(work / model)]

    imports = peak_mb([sys.executable, "-c", "import interviewer.voice.channel, faster_whisper, sounddevice"])
    tiny = peak_mb(session("tiny.en"))
    base = peak_mb(session("base"))
    print(f"five answers of ~{args.seconds:.0f} s, full voice session per model, peak RSS:")
    print(f"  imports only          {imports:7.0f} MB")
    print(f"  session with tiny.en  {tiny:7.0f} MB")
    print(f"  session with base     {base:7.0f} MB  ({base / tiny:.2f}x tiny.en; "
          f"{base / TARGET_MB:.0%} of the {TARGET_MB} MB target: {'met' if base <= TARGET_MB else 'MISSED'})")
    return 0 if base <= TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
