"""`interviewer grade --engine ray` against `--engine local`, in the same run, on the same recordings.

espeak-ng speaks N answers of about a minute (bench_batch.py's corpus); then `interviewer grade DIR --no-cache`
runs as a real subprocess, in turns, so other load on the machine hits every engine alike:
- local: today's pipeline (decode thread, 2 Whisper workers of one thread each);
- ray, 2 actors / 1 actor: joining a Ray cluster this script starts once on 127.0.0.1 with one CPU per core,
  so the cluster's start-up (paid once per cluster, not per batch) is timed separately;
- ray, own cluster: one run that starts its own Ray, to show the start-up a one-off command pays.
Each engine runs `--rounds` times; the best wall time counts (the least disturbed by the other workers).

Prints audio seconds per wall second (x real time), ray/local (target: overhead at most 15%, i.e. ray/local
at least 0.85), 2 actors/1 actor, and the per-file CPU cost the README's cost model uses.
Usage: .venv/bin/python bench/bench_ray.py [--files 40] [--rounds 1] [--keep DIR]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import make_corpus  # noqa: E402  (the same corpus as the local benchmark)

MAX_OVERHEAD = 0.15  # ray may be at most 15% slower than local on one machine


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def grade(folder: Path, out: Path, *engine: str) -> tuple[float, float, int]:
    """One `interviewer grade` run: (wall seconds, audio seconds graded, rows)."""
    cmd = [sys.executable, "-m", "interviewer", "grade", str(folder), "--no-cache", "--format", "json",
           "--out", str(out), *engine]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    return wall, sum(r.get("audio_seconds") or 0.0 for r in records), len(records)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="keep the spoken corpus here (reused next time)")
    args = ap.parse_args()
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # read at import: the cluster stays on 127.0.0.1
    import ray

    work = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    corpus = args.keep or work / "corpus"
    make_corpus(corpus, args.files)
    cores = os.cpu_count() or 1
    t0 = time.monotonic()
    ray.init(num_cpus=cores, include_dashboard=False, _node_ip_address="127.0.0.1", configure_logging=False,
             log_to_driver=False)
    cluster_start = time.monotonic() - t0
    address = ray.get_runtime_context().gcs_address
    engines = {
        "local": ("--engine", "local"),
        "ray, 2 actors": ("--engine", "ray", "--address", address, "--workers", "2"),
        "ray, 1 actor": ("--engine", "ray", "--address", address, "--workers", "1"),
    }
    best: dict[str, tuple[float, float, int]] = {}
    local_cpu: list[float] = []
    try:
        for r in range(args.rounds):
            for name, flags in engines.items():
                cpu0 = children_cpu()
                got = grade(corpus, work / f"out-{r}-{name.replace(' ', '')}", *flags)
                if name == "local":  # the whole run is this child process: its CPU time is the real cost
                    local_cpu.append(children_cpu() - cpu0)
                print(f"  round {r + 1} {name:14s} {got[0]:6.1f} s wall, {got[1] / got[0]:5.1f}x real time",
                      flush=True)
                if name not in best or got[0] < best[name][0]:
                    best[name] = got
    finally:
        ray.shutdown()
    own = grade(corpus, work / "out-own", "--engine", "ray", "--workers", "2")

    audio = best["local"][1]
    rate = {name: a / wall for name, (wall, a, _) in best.items()}
    print(f"\n{args.files} recordings, {audio / 60:.1f} min of audio, {cores} cores; best of {args.rounds}")
    for name, (wall, _, rows) in best.items():
        print(f"  {name:22s} {wall:6.1f} s  {rate[name]:5.1f}x real time  ({rows} rows)")
    print(f"  {'ray, own cluster':22s} {own[0]:6.1f} s  {own[1] / own[0]:5.1f}x real time  (starts its own Ray)")
    ratio = rate["ray, 2 actors"] / rate["local"]
    scaling = rate["ray, 2 actors"] / rate["ray, 1 actor"]
    per_file_cpu = min(local_cpu) / args.files  # decode, VAD, transcribe, grade, write: CPU time, not wall
    print(f"ray / local throughput:       {ratio:.2f} (overhead {max(0.0, 1 - ratio):.0%}; target at most "
          f"{MAX_OVERHEAD:.0%})")
    print(f"2 actors / 1 actor:           {scaling:.2f}")
    print(f"ray cluster start-up:         {cluster_start:.1f} s (once per cluster); a run with its own Ray: "
          f"{own[0] - best['ray, 2 actors'][0]:+.1f} s against joining one")
    print(f"CPU per recording (local):    {per_file_cpu:.2f} CPU-s for {audio / args.files:.1f} s of audio "
          f"({audio / args.files / per_file_cpu:.1f} audio-s per CPU-s)")
    load = os.getloadavg()[0]
    if load > cores:
        print(f"note: load average {load:.1f} on {cores} cores: other work shared the CPUs, so wall times and the "
              f"actor scaling are lower bounds; the CPU time per recording is not affected")
    return 0 if ratio >= 1 - MAX_OVERHEAD else 1


if __name__ == "__main__":
    sys.exit(main())
