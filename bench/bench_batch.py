"""Batch grading throughput and memory: the pipeline against a one-file-at-a-time loop, in the same run.

espeak-ng speaks N answers (voices and speeds vary) into a folder; then, each in a fresh process so peak
memory is its own:
- baseline: for each file, decode it (faster-whisper's decode_audio), transcribe it with the model's default
  decoding (beam 5, word timestamps), grade it; the loop one writes first (on the first 10 answers, in
  back-to-back pairs with the pipeline on the same files, so other load on the machine hits both alike);
  once more with greedy decoding, to show how much of the gain is the pipeline and how much is beam 1;
- pipeline: `interviewer grade`'s engine (decode thread + VAD check ahead of Whisper, greedy decoding, results
  streamed to an output folder) on 10, 20 and 40 files, to show peak memory does not grow with the count.

Prints audio seconds per wall second (x real time) for both, the ratios, and peak RSS per run; exits 1 when
the throughput target or flat memory is missed.
Usage: .venv/bin/python bench/bench_batch.py [--files 40] [--model tiny.en] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_X_REALTIME = 25.0
BASELINE_FILES = 10  # the slow loop runs on the first 10 answers; throughput is per audio second
PAIRS = 2  # baseline/pipeline pairs run back to back
COUNTS = (10, 20, 40)
MAX_MEMORY_GROWTH_MB = 50  # peak RSS from the smallest to the largest run: "does not grow with the files"
VOICES = (("en-us", 165), ("en-gb", 150), ("en-us+f3", 175), ("en-gb-scotland", 160), ("en-us+m7", 145),
          ("en-gb-x-rp+f2", 185))

# Sentences written for this benchmark; each answer strings several together.
OPENERS = (
    "Last spring the search service I own started timing out for roughly a fifth of queries.",
    "In my second month on the platform team our image resizing workers fell over during a sale.",
    "One Friday evening the login page began rejecting valid passwords for about twelve percent of users.",
    "A few years ago a certificate expired on our internal gateway and every mobile client lost its session.",
    "During a routine migration the billing export job silently skipped two days of invoices.",
)
MIDDLES = (
    "An alert on the error budget paged me about six minutes after it started.",
    "We only noticed when the support queue doubled, which was far too late.",
    "I opened an incident channel and asked a colleague to own the customer updates every twenty minutes.",
    "My first theory was a bad deploy, but the timing did not line up with any release.",
    "We rolled back the configuration change, and the error rate dropped within ten minutes.",
    "Then we drained traffic away from the unhealthy zone to buy time.",
    "The real cause was a retry loop that multiplied load whenever the cache missed.",
    "Nothing in our review process required a load test for that kind of change.",
)
CLOSERS = (
    "Afterwards we added a canary stage and an alert at two percent errors, shipped within two weeks.",
    "The postmortem produced a runbook step and a linter rule, and the same failure has not come back.",
    "If I did it again I would declare the incident sooner instead of debugging alone for twenty minutes.",
    "We never fully explained the trigger, which still bothers me.",
)


def answer_text(i: int) -> str:
    """About a minute of speech: an opener, six to eight middles in a rotating order, two closers."""
    mids = [MIDDLES[(i + k * 3) % len(MIDDLES)] for k in range(6 + i % 3)]
    return " ".join([OPENERS[i % len(OPENERS)], *mids, CLOSERS[i % len(CLOSERS)],
                     CLOSERS[(i + 1) % len(CLOSERS)]])


def make_corpus(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        voice, wpm = VOICES[i % len(VOICES)]
        path = folder / f"answer-{i:03d}.wav"
        if not path.exists():
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(path), answer_text(i)],
                           check=True, capture_output=True)
        paths.append(path)
    return paths


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def child_baseline(files: list[Path], model: str, beam_size: int = 5) -> dict:
    from faster_whisper import WhisperModel, decode_audio

    from interviewer.catalog import load_catalog
    from interviewer.grading import OfflineGrader
    from interviewer.models import Level, RoundKind, Turn
    from interviewer.voice.models import resolve_model

    rubric = load_catalog().rubrics["production-incident"]
    grader = OfflineGrader()
    t0 = time.monotonic()
    wm = WhisperModel(str(resolve_model(model).path), device="cpu", compute_type="int8")
    audio_s = 0.0
    for f in files:
        audio = decode_audio(str(f), sampling_rate=16000)
        audio_s += len(audio) / 16000
        segments, _ = wm.transcribe(audio, language="en", word_timestamps=True, beam_size=beam_size)
        text = " ".join(s.text.strip() for s in segments)
        grader.grade([Turn(index=0, round=RoundKind.opening, question="", answer=text)], rubric, Level.L5, None)
    return {"audio": audio_s, "wall": time.monotonic() - t0, "rss": peak_rss_mb(), "files": len(files),
            "cpu": cpu_seconds()}


def child_pipeline(files: list[Path], model: str, out: Path) -> dict:
    from interviewer.batch.cache import GraderConfig
    from interviewer.batch.command import limit_heap_growth, stt_identity, whisper_factory
    from interviewer.batch.discover import discover
    from interviewer.batch.outputs import OutputFolder
    from interviewer.batch.pipeline import BatchGrader, run_batch
    from interviewer.catalog import load_catalog
    from interviewer.grading import OfflineGrader
    from interviewer.models import Level

    rubric = load_catalog().rubrics["production-incident"]
    limit_heap_growth()  # as `interviewer grade` does for recordings
    t0 = time.monotonic()
    items = discover(files)
    engine = BatchGrader(OfflineGrader(), GraderConfig("offline", rubric, Level.L5, stt_identity(model)), None,
                         whisper_factory(model))
    audio = {"s": 0.0}
    rss_after: list[float] = []  # resident memory after each file: flat if nothing accumulates

    def emit(o) -> None:
        if o.report is None:
            raise SystemExit(f"failed: {o.source}: {o.error}")
        audio["s"] += o.audio_seconds or 0.0
        rss_after.append(current_rss_mb())

    graded, failed, _ = run_batch(items, engine, OutputFolder(out, rubric), emit, None)
    half = len(rss_after) // 2
    return {"audio": audio["s"], "wall": time.monotonic() - t0, "rss": peak_rss_mb(), "files": graded + failed,
            "cpu": cpu_seconds(), "rss_first_half": max(rss_after[:half] or [0]),
            "rss_second_half": max(rss_after[half:] or [0])}


def run_child(kind: str, folder: Path, n: int, model: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", kind, "--dir", str(folder), "--files", str(n),
                           "--model", model], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=max(COUNTS))
    ap.add_argument("--model", default="tiny.en")
    ap.add_argument("--keep", metavar="DIR", help="keep the spoken corpus here (re-used when present)")
    ap.add_argument("--child", choices=["baseline", "baseline-greedy", "pipeline"], help=argparse.SUPPRESS)
    ap.add_argument("--dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        files = sorted(Path(args.dir).glob("answer-*.wav"))[: args.files]
        if args.child.startswith("baseline"):
            res = child_baseline(files, args.model, beam_size=1 if args.child == "baseline-greedy" else 5)
        else:
            with tempfile.TemporaryDirectory() as out:
                res = child_pipeline(files, args.model, Path(out))
        print(json.dumps(res))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp) / "answers"
        n = args.files
        print(f"speaking {n} answers with espeak-ng ...", flush=True)
        make_corpus(folder, n)
        counts = sorted({c for c in COUNTS if c < n} | {n})
        load_before = os.getloadavg()[0]
        # the ratio comes from back-to-back pairs on the same files, so load from other work hits both alike
        small = min(n, BASELINE_FILES)
        pairs = [(run_child("baseline", folder, small, args.model), run_child("pipeline", folder, small, args.model))
                 for _ in range(PAIRS)]
        # the same loop with the pipeline's greedy decoding: separates what pipelining buys from what beam 1 does
        greedy = run_child("baseline-greedy", folder, small, args.model)
        runs = {c: run_child("pipeline", folder, c, args.model) for c in counts if c != small}
        runs[small] = pairs[-1][1]
    full = runs[n]
    px = full["audio"] / full["wall"]
    ratios = [b["wall"] / p["wall"] for b, p in pairs]
    print(f"\nmodel {args.model}, {n} answers, {full['audio'] / 60:.1f} min of audio, machine has "
          f"{_cores()} cores")
    print(f"load average (1 min) before/after: {load_before:.1f}/{os.getloadavg()[0]:.1f} on {_cores()} cores "
          f"(other work on the machine slows every run alike)")
    print(f"{'run':<22} {'files':>5} {'audio s':>8} {'wall s':>7} {'x real time':>11} {'audio s/CPU s':>13} "
          f"{'peak RSS MB':>11}")
    rows = [row for b, p in pairs for row in (("one at a time, beam 5", b), ("pipeline", p))]
    rows += [("one at a time, greedy", greedy)]
    rows += [("pipeline", runs[c]) for c in counts if c != small]
    for label, r in rows:
        print(f"{label:<22} {r['files']:>5} {r['audio']:>8.0f} {r['wall']:>7.1f} {r['audio'] / r['wall']:>11.1f} "
              f"{r['audio'] / r['cpu']:>13.1f} {r['rss']:>11.0f}")
    print(f"\nthroughput on {n} files: {px:.1f}x real time (target >= {TARGET_X_REALTIME:.0f}x: "
          f"{'met' if px >= TARGET_X_REALTIME else 'MISSED'})")
    print(f"pipeline vs one-at-a-time loop, back-to-back on the same {small} files: "
          f"{', '.join(f'{r:.2f}x' for r in ratios)} faster (loop with default beam 5); "
          f"{greedy['wall'] / pairs[-1][1]['wall']:.2f}x faster than the same loop decoding greedily")
    rss = [runs[c]["rss"] for c in counts]
    growth = rss[-1] - rss[0]
    flat = growth <= MAX_MEMORY_GROWTH_MB
    print(f"peak memory at {', '.join(map(str, counts))} files: {', '.join(f'{r:.0f}' for r in rss)} MB "
          f"(growth {growth:+.0f} MB from {counts[0]} to {counts[-1]} files; flat within "
          f"{MAX_MEMORY_GROWTH_MB} MB: {'met' if flat else 'MISSED'})")
    print(f"resident memory after each file, {n} files: at most {full['rss_first_half']:.0f} MB in the first half, "
          f"{full['rss_second_half']:.0f} MB in the second half")
    return 0 if px >= TARGET_X_REALTIME and flat else 1


def _cores() -> int:
    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    sys.exit(main())
