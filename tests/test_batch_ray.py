"""`interviewer grade --engine ray` on a real local Ray cluster (loopback only, 2 CPUs, one for the module):
the same rows as `--engine local`, a killed worker costs nothing, and the driver's cache serves re-runs."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CLI, REPO, cli_env, run_cli
from session_helpers import STRONG, make_session
from voice_audio import VOICES, have_espeak, silence, speak, write_wav

os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # read when ray is imported: keeps Ray on 127.0.0.1
ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'interviewer[ray]')")

pytestmark = [pytest.mark.audio, pytest.mark.slow,
              pytest.mark.skipif(not have_espeak(), reason="espeak-ng is not installed")]

SPOKEN = {  # file name -> what espeak-ng says (written for these tests)
    "ana.wav": "Our search cluster ran out of memory at nine fifteen and a third of queries failed. "
               "I rolled back the index change within ten minutes.",
    "ben.wav": "The alert on queue depth paged me before customers noticed. We drained the bad node.",
    "cleo.wav": "A certificate expired on the gateway. I renewed it and we added an alert before expiry.",
}
TRANSCRIPT = ("At 02:10 the payments queue stalled and about 8 percent of orders failed for forty minutes. "
              "I restarted the consumers, then we found a poison message and added a dead letter queue.")


@pytest.fixture(scope="module")
def cluster():
    """A Ray head for this module on 127.0.0.1 with 2 CPUs; the CLI runs join it with --address."""
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", configure_logging=False,
             log_to_driver=False)
    try:
        address = ray.get_runtime_context().gcs_address
        assert address.startswith("127.0.0.1:")
        yield address
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def cohort(tmp_path_factory, catalog) -> Path:
    folder = tmp_path_factory.mktemp("cohort")
    voices = tmp_path_factory.mktemp("voices")
    for (name, text), (voice, wpm) in zip(SPOKEN.items(), VOICES, strict=False):
        write_wav(folder / name, speak(text, voices, voice=voice, wpm=wpm))
    (folder / "ana.question.txt").write_text("What was the worst outage you were on call for?\n")
    (folder / "dan.txt").write_text(TRANSCRIPT)
    (folder / "corrupt.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt " + bytes(range(256)) * 8)
    write_wav(folder / "quiet.wav", silence(3.0))
    (folder / "slides.pdf").write_bytes(b"%PDF-1.4 not really")
    session = make_session(catalog, tmp_path_factory.mktemp("sessions"), STRONG)
    os.replace(session.folder, folder / "session-one")
    return folder


def grade(*args: str, cache: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return run_cli("grade", *args, env=cli_env(INTERVIEWER_CACHE=str(cache)), timeout=timeout)


def progress_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if re.match(r"\[\d+/\d+\] ", ln)]


def rows(out: Path) -> list[dict]:
    """results.jsonl in order, without the grading timestamp (the one field that differs run to run)."""
    lines = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    for r in lines:
        r.pop("graded_at", None)
    return lines


@pytest.fixture(scope="module")
def both_engines(cohort, cluster, tmp_path_factory):
    runs = {}
    for engine in ("local", "ray"):
        out, cache = tmp_path_factory.mktemp(f"out-{engine}"), tmp_path_factory.mktemp(f"cache-{engine}")
        extra = ("--engine", "ray", "--address", cluster, "--workers", "2") if engine == "ray" else ()
        proc = grade(str(cohort), "--format", "json", "--out", str(out), "--question", "Tell me about an incident.",
                     *extra, cache=cache)
        runs[engine] = proc, out, cache
    return runs


def test_ray_gives_the_local_engines_rows_in_the_same_order(both_engines):
    (local, local_out, _), (on_ray, ray_out, _) = both_engines["local"], both_engines["ray"]
    assert on_ray.returncode == local.returncode == 1, on_ray.stderr  # bad files: exit 1 on both
    assert "Traceback" not in on_ray.stderr
    expected, got = rows(local_out), rows(ray_out)
    assert len(got) == 8
    assert [r["source"] for r in got] == [r["source"] for r in expected]
    assert got == expected  # scores, flags, transcripts, errors: field for field
    by_name = {Path(r["source"]).name: r for r in got}
    assert "silence only" in by_name["quiet.wav"]["error"] and str(Path(by_name["quiet.wav"]["source"])) in \
        by_name["quiet.wav"]["error"]  # the original path, not the worker's copy
    assert "corrupt.wav" in by_name["corrupt.wav"]["error"] and "slides.pdf" in by_name["slides.pdf"]["error"]
    assert all("error" not in by_name[n] for n in (*SPOKEN, "dan.txt", "session-one"))
    assert by_name["ana.wav"]["question"] == "What was the worst outage you were on call for?"
    assert (ray_out / "summary.csv").read_text() == (local_out / "summary.csv").read_text()
    assert len(list((ray_out / "reports").glob("*.html"))) == 5 and (ray_out / "index.html").is_file()
    summary = "3 of 8 inputs could not be graded, 5 graded"
    assert summary in local.stderr and summary in on_ray.stderr


def test_a_second_ray_run_grades_nothing_and_one_new_file_is_graded_alone(both_engines, cohort, cluster, tmp_path):
    _, _, cache = both_engines["ray"]
    args = ("--format", "json", "--question", "Tell me about an incident.", "--engine", "ray", "--address", cluster)
    again = grade(str(cohort), *args, cache=cache)
    assert again.returncode == 1, again.stderr
    done = progress_lines(again.stderr)
    assert len(done) == 5 and all("(cached)" in ln for ln in done), again.stderr

    grown = tmp_path / "grown"
    shutil.copytree(cohort, grown)  # the same files (same content, same cache keys), plus one new answer
    write_wav(grown / "eve.wav", speak("I paged the database team and we failed over in four minutes.",
                                       tmp_path, voice="en-us", wpm=170))
    more = grade(str(grown), *args, cache=cache)
    assert more.returncode == 1, more.stderr
    done = progress_lines(more.stderr)
    fresh = [ln for ln in done if "(cached)" not in ln]
    assert len(done) == 6 and len(fresh) == 1 and "eve.wav" in fresh[0], more.stderr


def actor_pids() -> list[int]:
    """The processes of the grading actors (Ray titles them after the callable class)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"GradeActor" in cmdline:
                pids.append(int(entry.name))
    return pids


def test_a_worker_killed_mid_batch_costs_only_a_retry(cohort, cluster, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(3):
        for name in SPOKEN:
            (folder / f"{i}-{name}").write_bytes((cohort / name).read_bytes() + b"\0" * (2 * i))  # distinct content
    out = tmp_path / "out"
    proc = subprocess.Popen([*CLI, "grade", str(folder), "--format", "json", "--out", str(out), "--engine", "ray",
                             "--address", cluster, "--workers", "2"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=cli_env(INTERVIEWER_CACHE=str(tmp_path / "c")))
    results = out / "results.jsonl"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not (results.exists() and results.read_text().count("\n") >= 1):
        time.sleep(0.05)
    victims = actor_pids()
    assert victims and proc.poll() is None, "no grading actor to kill while the batch ran"
    os.kill(victims[0], signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    done = rows(out)
    assert [Path(r["source"]).name for r in done] == sorted(p.name for p in folder.iterdir())
    assert all("error" not in r for r in done)
    by_voice: dict[str, set] = {}
    for r in done:  # the retried answers are graded like the others: same transcript for the same recording
        by_voice.setdefault(r["source"].split("-", 1)[1], set()).add(r["transcript"])
    assert all(len(t) == 1 for t in by_voice.values()), by_voice


def test_options_for_ray_without_ray_engine_are_refused(cohort, tmp_path):
    proc = grade(str(cohort / "dan.txt"), "--address", "127.0.0.1:6379", cache=tmp_path / "c")
    assert proc.returncode == 2 and "--engine ray" in proc.stderr and "Traceback" not in proc.stderr


def test_without_ray_installed_the_engine_names_the_extra(cohort, tmp_path):
    code = ("import sys; sys.modules['ray'] = None; from interviewer.cli import main; "
            f"sys.exit(main(['grade', {str(cohort / 'dan.txt')!r}, '--engine', 'ray']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=cli_env(INTERVIEWER_CACHE=str(tmp_path / "c")))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == ['interviewer: --engine ray needs Ray: pip install "interviewer[ray]"']


def test_ray_is_an_extra_that_the_test_set_up_installs_and_the_base_install_does_not():
    pyproject = (REPO / "pyproject.toml").read_text()
    base = re.search(r"^dependencies = \[(.*?)^\]", pyproject, re.S | re.M)
    assert base and "ray" not in base.group(1) and "faster-whisper" in base.group(1)
    assert re.search(r'^ray = \["ray\[data\]==[0-9.]+"\]', pyproject, re.M)  # an exact pin
    bootstrap = (REPO / "scripts" / "bootstrap.sh").read_text()
    assert 'extras="base,test,ray"' in bootstrap and 'extras="base"\n' in bootstrap


def test_no_speech_model_needed_on_the_driver(cohort, cluster, tmp_path):
    """Recordings are decoded and transcribed on the workers: the driver never imports the speech model."""
    code = ("import sys; from interviewer.cli import main; rc = main(sys.argv[1:]); "
            "print('faster_whisper' in sys.modules, 'ctranslate2' in sys.modules, file=sys.stderr); sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code, "grade", str(cohort / "ben.wav"), "--engine", "ray",
                           "--address", cluster, "--workers", "1", "--no-cache", "--format", "json"],
                          capture_output=True, text=True, timeout=300, env=cli_env())
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "False False"
    assert "error" not in json.loads(proc.stdout)


def test_ctrl_c_keeps_what_finished_and_a_rerun_completes(cohort, cluster, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(3):
        for name in SPOKEN:
            (folder / f"{i}-{name}").write_bytes((cohort / name).read_bytes() + b"\0" * (2 * i + 1))
    out, env = tmp_path / "out", cli_env(INTERVIEWER_CACHE=str(tmp_path / "c"))
    cmd = [*CLI, "grade", str(folder), "--format", "json", "--out", str(out), "--engine", "ray",
           "--address", cluster, "--workers", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    results = out / "results.jsonl"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not (results.exists() and results.read_text().count("\n") >= 1):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    done = rows(out)  # every line is whole JSON
    assert 1 <= len(done) < 9 and all("error" not in r for r in done)
    assert (out / "summary.csv").read_text().count("\n") == len(done) + 1

    again = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert again.returncode == 0, again.stderr
    assert len([ln for ln in progress_lines(again.stderr) if "(cached)" in ln]) >= len(done)
    assert len(again.stdout.splitlines()) == 9


def test_a_set_up_problem_on_the_workers_is_one_line_as_locally(cohort, cluster, tmp_path):
    local = grade(str(cohort / "ben.wav"), "--stt-model", "no-such-model", "--no-cache", cache=tmp_path / "c")
    on_ray = grade(str(cohort / "ben.wav"), "--stt-model", "no-such-model", "--no-cache", "--engine", "ray",
                   "--address", cluster, "--workers", "1", cache=tmp_path / "c")
    assert local.returncode == on_ray.returncode == 2, on_ray.stderr
    assert "Traceback" not in on_ray.stderr
    problem = [ln for ln in on_ray.stderr.splitlines() if ln.startswith("interviewer:")]
    assert problem == local.stderr.strip().splitlines() and "no-such-model" in problem[0], on_ray.stderr


def test_shared_inputs_are_read_where_graded_with_the_same_rows(both_engines, cohort, cluster, tmp_path):
    _, local_out, _ = both_engines["local"]
    names = ("ben.wav", "quiet.wav", "session-one")
    out = tmp_path / "out"
    proc = grade(*(str(cohort / n) for n in names), "--format", "json", "--out", str(out), "--question",
                 "Tell me about an incident.", "--engine", "ray", "--address", cluster, "--shared-inputs",
                 "--no-cache", cache=tmp_path / "c")
    assert proc.returncode == 1, proc.stderr
    expected = {r["source"]: r for r in rows(local_out)}
    assert rows(out) == [expected[str(cohort / n)] for n in names]
