"""`interviewer grade` on folders other people filled: links, pipes, loops, huge files and other recording types.

Each bad entry becomes its own error row naming it, nothing outside the folder is read, nothing blocks, and the
rest of the batch is graded. All through the real CLI in a subprocess, with a timeout so a hang fails the test.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import cli_env, run_cli

from interviewer.batch.transcripts import MAX_TRANSCRIPT_BYTES, MAX_TRANSCRIPT_WORDS
from interviewer.models import DEFAULT_LEVEL

GOOD = ("At 09:40 our checkout API started failing for about a third of requests. I rolled back the deploy at "
        "09:52 and the errors stopped; afterwards we added a canary stage and an alert on the error rate.")
SECRET = "root:$6$SECRET-HASH-THAT-MUST-NOT-LEAK:19000:0:99999:7:::"


def grade(*args: str, cache: Path, timeout: float = 90):
    return run_cli("grade", *args, "--format", "json", env=cli_env(INTERVIEWER_CACHE=str(cache)), timeout=timeout)


def rows(stdout: str) -> dict[str, dict]:
    return {Path(r["source"]).name: r for r in map(json.loads, stdout.splitlines())}


@pytest.fixture
def cohort(tmp_path: Path) -> Path:
    folder = tmp_path / "cohort"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    return folder


def test_a_symlink_loop_is_an_error_row_and_the_rest_is_graded(cohort, tmp_path):
    os.symlink("self.txt", cohort / "self.txt")  # points at itself
    os.symlink("pong", cohort / "ping")
    os.symlink("ping", cohort / "pong")
    sub = cohort / "sub"
    sub.mkdir()
    os.symlink("..", sub / "up")  # a folder link back up: walking it naively never ends
    r = grade(str(cohort), cache=tmp_path / "c")
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 1, r.stderr
    got = rows(r.stdout)
    assert "error" not in got["good.txt"]
    for name in ("self.txt", "ping", "pong"):
        assert name in got[name]["error"] and "loop" in got[name]["error"], got[name]
    assert len(r.stdout.splitlines()) == 4  # good.txt once, the three loops; the folder link adds nothing


def test_a_named_pipe_is_refused_without_blocking(cohort, tmp_path):
    os.mkfifo(cohort / "x.txt")  # opening it for reading would wait for a writer forever
    r = grade(str(cohort), cache=tmp_path / "c", timeout=60)
    assert r.returncode == 1, r.stderr
    got = rows(r.stdout)
    assert "error" not in got["good.txt"]
    assert "x.txt" in got["x.txt"]["error"] and "not a regular file" in got["x.txt"]["error"]
    named = grade(str(cohort / "x.txt"), cache=tmp_path / "c", timeout=60)  # named on the command line too
    assert named.returncode == 1 and "not a regular file" in rows(named.stdout)["x.txt"]["error"]


def test_a_link_leaving_the_folder_is_not_followed(cohort, tmp_path):
    elsewhere = tmp_path / "etc"
    elsewhere.mkdir()
    (elsewhere / "shadow").write_text(f"{SECRET}\n{GOOD}\n", encoding="utf-8")  # would grade fine if read
    os.symlink(elsewhere / "shadow", cohort / "shadow.txt")
    os.symlink(elsewhere, cohort / "etc-link")  # a folder outside, too
    out = tmp_path / "out"
    r = run_cli("grade", str(cohort), "--format", "json", "--out", str(out),
                env=cli_env(INTERVIEWER_CACHE=str(tmp_path / "c")), timeout=90)
    assert r.returncode == 1, r.stderr
    got = rows(r.stdout)
    assert "error" not in got["good.txt"]
    for name in ("shadow.txt", "etc-link"):
        assert name in got[name]["error"] and "link leaving the folder" in got[name]["error"], got[name]
    for text in (r.stdout, r.stderr, (out / "results.jsonl").read_text(), (out / "summary.csv").read_text()):
        assert "SECRET-HASH" not in text


def test_a_file_longer_than_any_spoken_answer_is_refused_before_reading(cohort, tmp_path):
    huge = cohort / "huge.txt"
    with open(huge, "w", encoding="utf-8") as f:
        f.write("We rolled back. " * 666_667)  # two million words, about 10 MB
    assert huge.stat().st_size > 10_000_000
    wordy = cohort / "wordy.txt"  # small enough in bytes, too many words
    wordy.write_text("ok " * (MAX_TRANSCRIPT_WORDS + 1), encoding="utf-8")
    assert wordy.stat().st_size < MAX_TRANSCRIPT_BYTES
    r = grade(str(cohort), cache=tmp_path / "c", timeout=120)
    assert r.returncode == 1, r.stderr
    got = rows(r.stdout)
    assert "error" not in got["good.txt"]
    for name in ("huge.txt", "wordy.txt"):
        assert name in got[name]["error"] and "longer than a spoken answer" in got[name]["error"], got[name]
    assert f"{MAX_TRANSCRIPT_WORDS} words" in got["wordy.txt"]["error"]


def test_opus_recordings_are_accepted_like_practice_answers(cohort, tmp_path):
    import av
    import numpy as np

    path = cohort / "quiet.opus"  # an Ogg Opus file, as phones and browsers record; silent, so no model needed
    with av.open(str(path), "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=48_000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 48_000 * 2), dtype=np.float32), format="fltp",
                                           layout="mono")
        frame.sample_rate = 48_000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    r = grade(str(path), cache=tmp_path / "c")
    error = rows(r.stdout)["quiet.opus"]["error"]
    assert "unsupported file type" not in error and "silence only" in error, error


def test_grade_defaults_to_the_shared_default_level(cohort, tmp_path):
    r = grade(str(cohort / "good.txt"), cache=tmp_path / "c")
    assert r.returncode == 0, r.stderr
    assert rows(r.stdout)["good.txt"]["level"] == DEFAULT_LEVEL.value
    r = grade(str(cohort / "good.txt"), "--level", "L3", cache=tmp_path / "c")
    assert rows(r.stdout)["good.txt"]["level"] == "L3"
