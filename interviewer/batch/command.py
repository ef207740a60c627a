"""`interviewer grade FILE|DIR...`: inputs -> pipeline -> outputs, and the summary line and exit status."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from ..catalog import load_catalog
from ..errors import InterviewerError
from ..graders import make_grader
from ..models import DEFAULT_LEVEL, Level
from .cache import GraderConfig, ResultCache, default_cache_dir
from .discover import assign_questions, discover
from .outputs import OutputFolder, printer
from .pipeline import GRADE_WORKERS, BatchEngine, BatchGrader, run_batch
from .progress import Progress, total_audio_seconds
from .result import GradeResult


class UsageError(InterviewerError):
    """Options that do not go together."""


EXIT_OK, EXIT_PARTIAL, EXIT_INTERRUPTED = 0, 1, 130
STT_THREADS = 1  # CPU threads per transcription; with GRADE_WORKERS = 2 that fills 2 cores (see bench_batch.py)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8  # glibc mallopt parameters
MMAP_THRESHOLD_BYTES = 128 * 1024  # buffers above this go straight to mmap and back to the OS when freed
ARENA_MAX = 2


def limit_heap_growth() -> bool:
    """Keep glibc from growing the heap file after file: measured here, Whisper's varying buffer sizes
    raised the dynamic mmap threshold and peak memory climbed ~2 MB per file; with a fixed threshold it
    stays flat. No-op where glibc is absent. Returns whether it applied."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        ok = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
        ok &= libc.mallopt(M_TRIM_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
        ok &= libc.mallopt(M_ARENA_MAX, ARENA_MAX) == 1
        return bool(ok)
    except (OSError, AttributeError):
        return False


def whisper_factory(spec: str | None, workers: int = GRADE_WORKERS, threads: int = STT_THREADS
                    ) -> Callable[[], object]:
    """Loads the speech model when the first recording needs it: `workers` transcriptions at once on one
    model, `threads` CPU threads each."""
    def make() -> object:
        from ..voice.stt import WhisperSTT

        return WhisperSTT(spec, cpu_threads=threads, workers=workers)

    return make


def stt_identity(spec: str | None) -> str:
    from ..voice.stt import recognizer_identity

    return recognizer_identity(spec)


def grader_identity(grader) -> str:
    identity = str(getattr(grader, "name", type(grader).__name__))
    if getattr(grader, "trust", None):  # a calibrated judge blends differently from an uncalibrated one
        identity += "|trust:" + json.dumps(grader.trust, sort_keys=True)
    return identity


def make_engine(args: argparse.Namespace, grader, config: GraderConfig, cache: ResultCache | None,
                stt_factory: Callable[[], object] | None) -> BatchEngine:
    """--engine local: threads here; --engine ray: an actor pool on Ray, the driver keeping the cache."""
    if getattr(args, "engine", "local") != "ray":
        if getattr(args, "address", None) or getattr(args, "workers", None) or getattr(args, "shared_inputs", False):
            raise UsageError("--address, --workers and --shared-inputs are for --engine ray")
        return BatchGrader(grader, config, cache, stt_factory)
    from .ray_engine import RayEngine, RaySettings, import_ray

    if getattr(args, "workers", None) is not None and args.workers < 1:
        raise UsageError(f"--workers {args.workers}: needs at least 1")
    import_ray(args.address)  # a missing extra is named before anything is read
    settings = RaySettings(address=args.address, workers=args.workers, shared_inputs=args.shared_inputs,
                           stt_spec=getattr(args, "stt_model", None),
                           grader_options={"model": getattr(args, "model", None),
                                           "offline": getattr(args, "offline", False)})
    return RayEngine(BatchGrader(grader, config, cache), settings)


def grade_command(args: argparse.Namespace, emit: Callable[[GradeResult], None] | None = None) -> int:
    """`interviewer grade` over any mix of inputs; `emit` prints each result (default: in --format)."""
    cat = load_catalog(getattr(args, "data_dir", None))
    rubric = cat.rubric(args.rubric, "--rubric")
    emit = emit or printer(getattr(args, "format", "markdown"), rubric)
    out_dir = Path(args.out) if getattr(args, "out", None) else None
    items = discover(args.inputs, skip=out_dir)
    manifest = getattr(args, "manifest", None)
    assign_questions(items, args.question, Path(manifest) if manifest else None)
    grader = make_grader(args)
    spec = getattr(args, "stt_model", None)
    has_audio = any(i.kind == "audio" for i in items)
    level = Level(args.level) if getattr(args, "level", None) else DEFAULT_LEVEL
    config = GraderConfig(grader=grader_identity(grader), rubric=rubric, level=level,
                          stt=stt_identity(spec) if has_audio else "")
    cache = None if getattr(args, "no_cache", False) else ResultCache(default_cache_dir())
    if has_audio:
        limit_heap_growth()
    engine = make_engine(args, grader, config, cache, whisper_factory(spec) if has_audio else None)
    out = OutputFolder(out_dir, rubric) if out_dir else None
    progress = Progress(len(items), total_audio_seconds(items) if has_audio else 0.0)
    graded, failed, interrupted = run_batch(items, engine, out, emit, progress)
    left = len(items) - graded - failed
    if failed:
        parts = [f"{failed} of {len(items)} inputs could not be graded", f"{graded} graded"]
    elif left:  # interrupted: not "all graded"
        parts = [f"{graded} of {len(items)} inputs graded"]
    else:
        parts = [f"all {len(items)} inputs graded", f"{graded} graded"]
    if left:
        parts.append(f"{left} not started")
    where = f"; results in {out_dir}" if out_dir else ""
    print(f"interviewer: {', '.join(parts)}{where}", file=sys.stderr)
    code = EXIT_PARTIAL if failed else EXIT_OK
    if interrupted:
        print("interviewer: interrupted; everything finished so far is kept: run the same command again to "
              "grade only what is missing", file=sys.stderr)
        code = EXIT_INTERRUPTED
    if engine.still_running:
        # After Ctrl-C a worker can still be inside the speech model for a segment (seconds on a loaded
        # machine); the interpreter's shutdown would wait for nothing and crash in the model's C++ threads
        # ("terminate called"). Every output is written and closed, so leave at once, without the shutdown.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
