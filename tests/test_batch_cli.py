"""`interviewer grade` over a mixed folder, from the installed CLI: spoken answers in five formats (espeak-ng
speech through the real Whisper model), transcripts, a session folder, and every kind of bad file."""

from __future__ import annotations

import csv
import json
import os
import pty
import signal
import subprocess
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from browser import chromium, load
from conftest import CLI, cli_env, run_cli
from session_helpers import STRONG, make_session
from voice_audio import have_espeak, speak

from interviewer.models import SIGNAL_IDS

pytestmark = [pytest.mark.audio, pytest.mark.skipif(not have_espeak(), reason="espeak-ng is not installed")]

SR = 16_000
SPOKEN = {  # file name -> what espeak-ng says (written for these tests)
    "alice.wav": "Our search cluster ran out of memory at nine fifteen and about a third of queries failed. "
                 "I rolled back the index change within ten minutes.",
    "bob.flac": "The alert on queue depth paged me before customers noticed. We drained the bad node and the "
                "backlog cleared in twenty minutes.",
    "carol.mp3": "A certificate expired on the gateway. I renewed it, and afterwards we added an alert thirty "
                 "days before any certificate expires.",
    "dave.m4a": "The database failover took eleven minutes because the runbook was out of date. We rewrote "
                "the runbook and tested it the next week.",
    "erin.ogg": "A bad feature flag broke checkout for mobile users. I turned the flag off and opened an "
                "incident channel for updates every fifteen minutes.",
}
BAD = {  # file name -> words the error must contain
    "empty.wav": "zero bytes",
    "quiet.wav": "silence only",
    "notes.wav": "not an audio file",
    "broken.mp3": "",  # corrupt: rejected as not decodable or corrupt
    "marathon.flac": "MAX_AUDIO_SECONDS",
    "slides.pdf": "unsupported file type .pdf",
    "latin1.txt": "not UTF-8",
}
TRANSCRIPT = ("At 02:10 the payments queue stalled and about 8 percent of orders failed for forty minutes. "
              "I restarted the consumers, then we found a poison message and added a dead letter queue.")


def encode(samples: np.ndarray, path: Path) -> Path:
    """Write 16 kHz mono float audio with PyAV in the container/codec the file extension implies."""
    fmt, codec = {".mp3": ("mp3", "libmp3lame"), ".m4a": ("ipod", "aac"), ".ogg": ("ogg", "libopus"),
                  ".flac": ("flac", "flac"), ".wav": ("wav", "pcm_s16le")}[path.suffix]
    rate = 48_000 if codec == "libopus" else SR
    if rate != SR:
        samples = np.interp(np.arange(int(len(samples) * rate / SR)) * SR / rate, np.arange(len(samples)), samples)
    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = "mono"
        fmt_name = "s16" if codec in ("pcm_s16le", "flac") else ("s16" if codec == "libmp3lame" else "fltp")
        for start in range(0, len(pcm), 1024 * 8):
            chunk = pcm[start : start + 1024 * 8]
            if fmt_name == "fltp":
                frame = av.AudioFrame.from_ndarray((chunk.astype(np.float32) / 32768)[None, :], format="fltp",
                                                   layout="mono")
            else:
                frame = av.AudioFrame.from_ndarray(chunk[None, :], format="s16", layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, catalog) -> Path:
    root = tmp_path_factory.mktemp("batch")
    folder = root / "cohort"
    folder.mkdir()
    voices = tmp_path_factory.mktemp("voices")
    for i, (name, text) in enumerate(SPOKEN.items()):
        audio = speak(text, voices, voice=("en-us", "en-gb")[i % 2], wpm=160)
        encode(audio, folder / name)
    (folder / "alice.question.txt").write_text("What was the worst outage you were on call for?\n")
    (folder / "manifest.csv").write_text('file,question\nbob.flac,"How did you first notice the problem?"\n')
    (folder / "frank.txt").write_text(TRANSCRIPT)
    # bad inputs
    (folder / "empty.wav").write_bytes(b"")
    encode(np.zeros(SR * 4, dtype=np.float32), folder / "quiet.wav")
    (folder / "notes.wav").write_text("these are my notes, not a recording\n")
    good = (folder / "carol.mp3").read_bytes()
    rng = np.random.default_rng(7)
    (folder / "broken.mp3").write_bytes(good[:200] + rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", str(folder / "marathon.flac"), "trim", "0", "1500"],
                   check=True)
    (folder / "slides.pdf").write_bytes(b"%PDF-1.4 not really")
    (folder / "latin1.txt").write_bytes("caf\xe9 outage".encode("latin-1"))
    sessions = root / "sessions"
    res = make_session(catalog, sessions, STRONG)
    os.replace(res.folder, folder / "session-one")
    return folder


def grade(*args: str, cache: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return run_cli("grade", *args, env=cli_env(INTERVIEWER_CACHE=str(cache)), timeout=timeout)


def records(stdout: str) -> dict[str, dict]:
    return {Path(r["source"]).name: r for r in map(json.loads, stdout.splitlines())}


@pytest.fixture(scope="module")
def first_run(mixed, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    cache = tmp_path_factory.mktemp("cache")
    proc = grade(str(mixed), "--format", "json", "--out", str(out), "--question", "Tell me about an incident.",
                 cache=cache)
    return proc, out, cache


def test_mixed_folder_grades_the_good_and_names_every_bad_file(first_run, mixed):
    proc, out, _ = first_run
    assert proc.returncode == 1, proc.stderr  # some failed, the others graded
    recs = records(proc.stdout)
    expected = set(SPOKEN) | set(BAD) | {"frank.txt", "session-one"}
    assert set(recs) == expected  # the .pdf in the folder too: every file is accounted for
    for name in [*SPOKEN, "frank.txt", "session-one"]:
        r = recs[name]
        assert "error" not in r, r
        assert {s["id"] for s in r["signals"]} == set(SIGNAL_IDS)
        assert 0 <= r["overall"]["score"] <= 100
    for name, words in BAD.items():
        assert words in recs[name]["error"] and name in recs[name]["error"], recs[name]
        assert set(recs[name]) == {"source", "error"}
    # the speech was really recognized, and quotes are verbatim from the recognized transcript
    for name, said in SPOKEN.items():
        heard = recs[name]["transcript"].lower()
        key = [w for w in said.lower().replace(",", "").replace(".", "").split() if len(w) > 3]
        assert sum(w in heard for w in key) >= 0.5 * len(key), (name, heard)  # tiny.en on synthetic speech
        for s in recs[name]["signals"]:
            for q in s["evidence"]:
                assert q in recs[name]["transcript"]
        assert recs[name]["audio_seconds"] > 3
    assert f"{len(BAD)} of {len(expected)} inputs could not be graded, {len(SPOKEN) + 2} graded" in proc.stderr


def test_questions_come_from_sidecar_manifest_flag_and_session(first_run, mixed):
    recs = records(first_run[0].stdout)
    assert recs["alice.wav"]["question"] == "What was the worst outage you were on call for?"
    assert recs["bob.flac"]["question"] == "How did you first notice the problem?"
    assert recs["carol.mp3"]["question"] == "Tell me about an incident."
    session_q = json.loads((mixed / "session-one" / "session.jsonl").read_text().splitlines()[0])["meta"]["question"]
    assert recs["session-one"]["question"] == session_q


def test_an_explicit_manifest_names_the_question_and_a_bad_one_is_named(mixed, tmp_path):
    manifest = tmp_path / "questions.csv"
    manifest.write_text('file,question\nfrank.txt,"What was the hardest call you made during the outage?"\n')
    proc = grade(str(mixed / "frank.txt"), "--manifest", str(manifest), "--format", "json", cache=tmp_path / "c")
    assert proc.returncode == 0, proc.stderr
    assert records(proc.stdout)["frank.txt"]["question"] == "What was the hardest call you made during the outage?"
    broken = tmp_path / "broken.csv"
    broken.write_text("name,prompt\nfrank.txt,what?\n")
    bad = grade(str(mixed / "frank.txt"), "--manifest", str(broken), cache=tmp_path / "c")
    assert bad.returncode == 2 and "broken.csv" in bad.stderr and "'file' and a 'question' column" in bad.stderr


def test_out_folder_has_jsonl_csv_and_html_index(first_run):
    proc, out, _ = first_run
    lines = (out / "results.jsonl").read_text().splitlines()
    assert records("\n".join(lines)).keys() == records(proc.stdout).keys()
    with open(out / "summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(lines)
    assert all(s in rows[0] for s in SIGNAL_IDS)
    by_name = {Path(r["source"]).name: r for r in rows}
    assert by_name["notes.wav"]["status"] == "error" and by_name["alice.wav"]["status"] == "ok"
    alice = records(proc.stdout)["alice.wav"]
    assert int(by_name["alice.wav"]["impact"]) == next(s["score"] for s in alice["signals"] if s["id"] == "impact")
    index = (out / "index.html").read_text()
    assert index.count("<tr") >= len(rows) + 1
    pages = sorted((out / "reports").glob("*.html"))
    assert len(pages) == len(SPOKEN) + 2
    for page in pages:
        assert f'href="reports/{page.name}"' in index


@pytest.mark.browser
@pytest.mark.skipif(chromium() is None, reason="chromium is not installed")
def test_batch_pages_load_in_chromium(first_run, tmp_path):
    _, out, _ = first_run
    for page in (out / "index.html", next((out / "reports").glob("alice*.html"))):
        loaded = load(page, tmp_path / "profile")
        assert loaded.console == [], (page.name, loaded.console)
        assert 'data-ready="' in loaded.dom


def test_rerun_grades_only_what_is_missing(first_run, mixed, tmp_path):
    proc, out, cache = first_run
    again = grade(str(mixed), "--format", "json", "--out", str(tmp_path / "out2"), "--question",
                  "Tell me about an incident.", cache=cache)
    assert again.returncode == 1
    graded_lines = [ln for ln in again.stderr.splitlines() if ln.startswith("[")]
    assert len(graded_lines) == len(SPOKEN) + 2 and all("(cached)" in ln for ln in graded_lines)
    before, after = records(proc.stdout), records(again.stdout)
    assert {k: v.get("overall") for k, v in before.items()} == {k: v.get("overall") for k, v in after.items()}
    # a different grader configuration is a different cache entry
    staff = grade(str(mixed / "frank.txt"), "--format", "json", "--level", "staff", cache=cache)
    assert staff.returncode == 0 and "(cached)" not in staff.stderr
    assert json.loads(staff.stdout)["level"] == "staff"


def test_ctrl_c_keeps_what_finished_and_a_rerun_completes(mixed, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(6):
        for name in SPOKEN:
            if name.endswith(".wav") or name.endswith(".flac"):
                (folder / f"{i}-{name}").write_bytes((mixed / name).read_bytes() + b"\0" * i)  # distinct content
    out, cache = tmp_path / "out", tmp_path / "cache"
    env = cli_env(INTERVIEWER_CACHE=str(cache))
    proc = subprocess.Popen([*CLI, "grade", str(folder), "--format", "json",
                             "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    results = out / "results.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (results.exists() and results.read_text().count("\n") >= 2):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    done = [json.loads(line) for line in results.read_text().splitlines()]  # every line is whole JSON
    assert 2 <= len(done) < 12 and all("error" not in r for r in done)
    assert (out / "index.html").is_file() and (out / "summary.csv").read_text().count("\n") == len(done) + 1

    again = subprocess.run([*CLI, "grade", str(folder), "--format", "json",
                            "--out", str(out)], capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    cached = [ln for ln in again.stderr.splitlines() if "(cached)" in ln]
    assert len(cached) >= len(done)
    assert len(again.stdout.splitlines()) == 12


def grade_on_a_terminal(paths: list[str], cache: Path) -> tuple[str, subprocess.Popen]:
    """`grade PATHS --format json` with stderr on a pseudo-terminal: what the terminal showed, and the process."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([*CLI, "grade", *paths, "--format", "json"], stdout=subprocess.PIPE, stderr=slave,
                            text=True, env=cli_env(INTERVIEWER_CACHE=str(cache)))
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data.decode(errors="replace"))
    proc.wait(timeout=120)
    os.close(master)
    return "".join(chunks), proc

def test_progress_bar_with_eta_on_a_terminal(mixed, tmp_path):
    tty, proc = grade_on_a_terminal([str(mixed / "frank.txt"), str(mixed / "session-one"),
                                     str(mixed / "slides.pdf")], tmp_path / "c")
    assert "\r\x1b[2K" in tty and "\u2501" in tty  # rich redraws its bar in place
    assert "ETA" in tty and "3/3" in tty and "1 failed" in tty
    assert "slides.pdf: unsupported file type .pdf" in tty  # named explicitly: an error row
    assert proc.returncode == 1


def test_markdown_is_the_default_format(mixed, tmp_path):
    proc = grade(str(mixed / "erin.ogg"), cache=tmp_path / "c")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.lstrip().startswith("#") and "/100" in proc.stdout


def test_nothing_to_grade_is_a_clear_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = grade(str(empty), cache=tmp_path / "c")
    assert proc.returncode != 0 and str(empty) in proc.stderr and "Traceback" not in proc.stderr


def test_progress_bar_counts_audio_minutes(mixed, tmp_path):
    tty, proc = grade_on_a_terminal([str(mixed / "erin.ogg"), str(mixed / "frank.txt")], tmp_path / "c")
    assert proc.returncode == 0, tty
    assert "2/2" in tty and "min audio" in tty and "ETA" in tty
    assert "failed" not in tty  # nothing failed, so no failure count
