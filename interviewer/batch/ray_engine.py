"""`interviewer grade --engine ray`: the same per-input grading, run by an actor pool on a Ray cluster.

Not a second pipeline: the driver (the `grade` command) discovers, reads cache keys, reads the cache and writes
it, writes the outputs and shows progress exactly as the local engine does; only "decode, transcribe, grade one
input" moves to Ray Data actors (`GradeActor`, one CPU each, the speech model and the grader loaded once per
actor), which call the same `BatchGrader` methods the local threads call.

How an input reaches a worker:
- by default the driver reads it and ships its bytes (a transcript's text, a recording's file, a session's log);
  the worker grades a private copy and names the original path in every message, so the rows are the local
  engine's rows;
- with `--shared-inputs` only the path travels, for inputs on a mount every node sees: read where graded.
Inputs that never need a worker (cached results, files that cannot be read, unsupported types) get their row
on the driver, from the same `BatchGrader`. A worker that dies mid-batch costs its in-flight inputs, which Ray
Data retries on a restarted actor (actors restart and tasks retry without limit by default).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import pickle
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import InputFileError, InterviewerError
from ..graders import make_grader
from ..sessions.store import LOG_NAME
from .cache import GraderConfig
from .discover import BatchInput
from .files import read_chunks
from .pipeline import BatchGrader, Decoded
from .result import GradeResult

SHIPPED_KINDS = ("audio", "text", "session")  # what a worker grades; everything else is an error row
ENV_FOR_WORKERS = ("OPENAI_", "INTERVIEWER_MODEL")  # the grader's settings, for workers on other machines
LOOPBACK = "127.0.0.1"  # a Ray started for one run listens here only


class RayUnavailable(InterviewerError):
    """--engine ray without Ray installed, or a cluster that cannot be reached."""


def import_ray(address: str | None = None):
    """Ray, imported for a run on `address`. A Ray started for this run, or a cluster on this machine, stays on
    the loopback address: Ray otherwise swaps 127.0.0.1 for the machine's outward address (read at import)."""
    if on_this_machine(address):
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # off: loopback only, as on a laptop
    try:
        import ray
        import ray.data  # noqa: F401  (the extra installs both)
    except ImportError:
        raise RayUnavailable("--engine ray needs Ray: pip install \"interviewer[ray]\"") from None
    return ray


def on_this_machine(address: str | None) -> bool:
    return not address or address.rsplit(":", 1)[0] in (LOOPBACK, "localhost")


@dataclass
class Job:
    """One input on its way to a worker: its bytes (`text` for a transcript, `payload` for a recording's file or
    a session's log), or neither when the worker reads the path itself (a shared mount)."""

    index: int
    item: BatchInput
    key: str = ""
    text: bytes | None = None
    payload: bytes | None = None


# --- the worker side ---------------------------------------------------------------------------


def materialize(job: Job, scratch: Path) -> Path:
    """A private copy of a shipped recording or session under `scratch`, with the original's name."""
    folder = Path(tempfile.mkdtemp(dir=scratch))
    copy = folder / job.item.path.name
    assert job.payload is not None
    if job.item.kind == "session":
        copy.mkdir()
        (copy / LOG_NAME).write_bytes(job.payload)
    else:
        copy.write_bytes(job.payload)
    return copy


def grade_job(engine: BatchGrader, job: Job, scratch: Path) -> GradeResult:
    """The local engine's per-input path (prepare, then grade_decoded) on a worker."""
    item = job.item
    if job.text is not None:  # a transcript: the driver read it, nothing to decode
        return engine.grade_decoded(Decoded(item, text=job.text, key=job.key))
    if job.payload is None:  # a path every node sees
        return engine.grade_decoded(engine.prepare(item, use_cache=False))
    copy = materialize(job, scratch)
    try:
        out = engine.grade_decoded(engine.prepare(replace(item, path=copy), use_cache=False))
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)
    out.source = item.source
    if out.error:
        out.error = out.error.replace(str(copy), str(item.path))
    return out


class GradeActor:
    """A Ray Data callable class: loads the grader and the speech model once, then grades a batch of jobs."""

    def __init__(self, grader_options: dict, config: GraderConfig, stt_spec: str | None):
        grader = make_grader(argparse.Namespace(**grader_options))

        def whisper() -> object:
            from ..voice.stt import WhisperSTT

            return WhisperSTT(stt_spec, cpu_threads=1, workers=1)  # one CPU per actor

        self.engine = BatchGrader(grader, config, None, whisper, workers=1)
        self.scratch = Path(tempfile.mkdtemp(prefix="interviewer-ray-"))

    def __call__(self, batch):
        import pyarrow as pa

        rows = []
        for blob in batch.column("job").to_pylist():
            job: Job = pickle.loads(blob)
            try:
                result: GradeResult | InterviewerError = grade_job(self.engine, job, self.scratch)
            except InterviewerError as e:  # a set-up problem (no speech model): the driver stops the batch
                result = InterviewerError(str(e))
            rows.append(pickle.dumps((job.index, result)))
        return pa.table({"row": pa.array(rows, type=pa.binary())})


# --- the driver side ---------------------------------------------------------------------------


def quiet_ray() -> None:
    """Keep Ray's notices (token authentication on, progress bars off, actor arguments held by the driver) off
    the user's stderr, where our progress lines are; its errors still reach us as exceptions."""
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)


@dataclass
class RaySettings:
    address: str | None = None  # None: a Ray started for this run, on the loopback address
    workers: int | None = None  # actors; None: one per CPU of the cluster
    shared_inputs: bool = False  # inputs are on a mount every node sees: ship paths, not bytes
    stt_spec: str | None = None
    grader_options: dict | None = None  # --model, --offline: each actor builds its own grader from them


class RayEngine:
    """Runs a batch on Ray; `local` (no speech model) reads cache keys, serves the cache and stores results."""

    def __init__(self, local: BatchGrader, settings: RaySettings):
        self.local = local
        self.settings = settings
        self.still_running: list[str] = []
        self.actors = 0  # how many the last run used

    def plan(self, index: int, item: BatchInput) -> tuple[Job | None, GradeResult | None]:
        """An input to a job for a worker, or its result here (cached, unreadable, not gradable)."""
        if item.kind not in SHIPPED_KINDS:
            return None, self.local.grade_one(item)
        d = self.local.prepare(item, decode_audio=False)
        if d.error:
            return None, self.local.process(d)
        rec = self.local.cached(d)
        if rec is not None:
            with contextlib.suppress(ValueError):  # an unreadable cache entry is a miss
                return None, GradeResult.from_cache(item.source, item.kind, item.question, rec)
        job = Job(index, item, d.key, text=d.text)
        if item.kind == "text" or self.settings.shared_inputs:
            return job, None
        try:
            job.payload = b"".join(read_chunks(item.path / LOG_NAME if item.kind == "session" else item.path))
        except InputFileError:  # the local engine's own read names the problem
            return None, self.local.process(self.local.prepare(item, use_cache=False))
        return job, None

    def run(self, items: Sequence[BatchInput]) -> Iterator[GradeResult]:
        ready: dict[int, GradeResult] = {}
        keys: dict[int, str] = {}
        jobs: list[Job] = []
        next_index = 0
        for index, item in enumerate(items):
            job, result = self.plan(index, item)
            if job is None:
                assert result is not None
                ready[index] = result
            else:
                jobs.append(job)
                keys[index] = job.key
            while next_index in ready:  # what is known before Ray starts streams out at once
                yield ready.pop(next_index)
                next_index += 1
        if not jobs:
            return
        with self.cluster() as ray:
            for index, result in self.graded(ray, jobs):
                if isinstance(result, InterviewerError):
                    raise result  # as the local engine's workers do: the batch stops, with one line
                self.local.store(keys[index], result)
                ready[index] = result
                while next_index in ready:
                    yield ready.pop(next_index)
                    next_index += 1

    @contextlib.contextmanager
    def cluster(self):
        ray = import_ray(self.settings.address)
        started = not ray.is_initialized()
        quiet_ray()
        if started:
            options = dict(include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False,
                           configure_logging=False)
            try:
                address = self.settings.address
                if on_this_machine(address):
                    options["_node_ip_address"] = LOOPBACK
                ray.init(address=address, **options)
            except (ConnectionError, RuntimeError, ValueError) as e:
                where = self.settings.address or "a local Ray"
                raise RayUnavailable(f"--address {where}: cannot connect to the Ray cluster ({e})"
                                     if self.settings.address else f"cannot start {where}: {e}") from None
        try:
            yield ray
        finally:
            if started:
                ray.shutdown()

    def graded(self, ray, jobs: list[Job]) -> Iterator[tuple[int, GradeResult | InterviewerError]]:
        """(index, result) for each job, as the actors finish them."""
        from ray.data import ActorPoolStrategy, DataContext

        context = DataContext.get_current()
        context.enable_progress_bars = False  # ours is the progress
        context.print_on_execution_start = False
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.actors = max(1, min(self.settings.workers or cpus, len(jobs)))
        quiet_ray()  # importing ray.data set its own log level
        env = {k: v for k, v in os.environ.items() if k.startswith(ENV_FOR_WORKERS)}
        # numpy's BLAS threads (read once, at import) change the speech features' last bits, and so word
        # timings: the actors use the driver's count, so a row is the row the local engine writes here
        env["OMP_NUM_THREADS"] = os.environ.get("OMP_NUM_THREADS") or str(os.cpu_count() or 1)
        dataset = ray.data.from_items([{"job": pickle.dumps(job)} for job in jobs], override_num_blocks=len(jobs))
        graded = dataset.map_batches(
            GradeActor, batch_size=1, batch_format="pyarrow", num_cpus=1,
            compute=ActorPoolStrategy(size=self.actors), runtime_env={"env_vars": env},
            fn_constructor_kwargs={"grader_options": self.settings.grader_options or {},
                                   "config": self.local.config, "stt_spec": self.settings.stt_spec})
        try:
            for row in graded.iter_rows():
                yield pickle.loads(row["row"])
        except Exception as e:  # Ray's own failure (a lost cluster, a bug): one line, the details in Ray's log
            raise RayUnavailable(f"the Ray run failed: {ray_problem(e)}") from None


def ray_problem(e: BaseException) -> str:
    """The first line of a Ray error, without its terminal colours."""
    first = (str(e).strip().splitlines() or [""])[0]
    return re.sub(r"\x1b\[[0-9;]*m", "", f"{type(e).__name__}: {first}".rstrip(": "))[:300]
