""""How did that go, 1 to 5?": asked on a real terminal (a pty) before the grade is shown, stored in the log,
shown against the grade by `history`; never asked when answers are piped; read from `self-rating.txt` for
`--answers DIR`."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import threading
from pathlib import Path

import pytest
from conftest import CLI, cli_env, run_cli
from test_retry_cli import WEAK_MITIGATION, piped

from interviewer.errors import InputFileError
from interviewer.interview.rating import PROMPT, RATING_FILE, ask_self_rating
from interviewer.sessions.store import read_session

PROMPT_START = PROMPT.split(":")[0]


def in_a_terminal(args: list[str], typed: str, env: dict[str, str]) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as stdin and stdout, `typed` as the keyboard; (status, output)."""
    master, slave = os.openpty()
    proc = subprocess.Popen([*CLI, *args], stdin=slave, stdout=slave, stderr=subprocess.STDOUT, env=env)
    os.close(slave)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the other side closed
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    os.write(master, typed.encode())
    try:
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=10)
    os.close(master)
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_is_asked_before_the_grade_and_history_shows_the_gap(sessions_dir):
    env = cli_env(INTERVIEWER_SESSIONS=str(sessions_dir))
    status, out = in_a_terminal(["practice", "--text", "--offline", "--question", "incident-performance"],
                                piped(*WEAK_MITIGATION) + "4\n", env)
    assert status == 0, out
    assert PROMPT_START in out
    assert out.index(PROMPT_START) < out.index("# Interview report")  # asked before the grade is shown
    [folder] = [p for p in sessions_dir.iterdir() if p.is_dir()]
    session = read_session(folder)
    assert session.self_rating == 4
    rated = [json.loads(line) for line in (folder / "session.jsonl").read_text().splitlines()
             if '"self_rated"' in line]
    assert [(e["rating"], e["attempt"]) for e in rated] == [(4, 0)]

    h = run_cli("history", env=env)
    assert h.returncode == 0, h.stderr
    assert "self-rating against grade" in h.stdout
    grade = session.grades[-1].overall.score
    row = next(line for line in h.stdout.splitlines() if "interview" in line and "4/5" in line)
    assert row.split()[-3:] == ["75", f"{grade:.0f}", f"{75 - grade:+.0f}"]


def test_no_self_rating_and_piped_answers_are_never_asked(sessions_dir):
    env = cli_env(INTERVIEWER_SESSIONS=str(sessions_dir))
    status, out = in_a_terminal(["practice", "--text", "--offline", "--no-self-rating"], piped(*WEAK_MITIGATION),
                                env)
    assert status == 0, out
    assert PROMPT_START not in out
    r = run_cli("practice", "--text", "--offline", input=piped(*WEAK_MITIGATION), env=env)
    assert r.returncode == 0, r.stderr
    assert PROMPT_START not in r.stdout
    for folder in sessions_dir.iterdir():
        assert read_session(folder).self_rating is None
        assert '"self_rated"' not in (folder / "session.jsonl").read_text()


def test_answers_folder_provides_the_rating_in_a_file(tmp_path: Path):
    args = argparse.Namespace(answers=str(tmp_path), no_self_rating=False)
    assert ask_self_rating(args) is None  # no file: not asked, not blocked
    (tmp_path / RATING_FILE).write_text("3\n")
    assert ask_self_rating(args) == 3
    assert ask_self_rating(argparse.Namespace(answers=str(tmp_path), no_self_rating=True)) is None
    (tmp_path / RATING_FILE).write_text("great\n")
    with pytest.raises(InputFileError, match=r"self-rating.txt: the self-rating must be one number from 1 to 5"):
        ask_self_rating(args)
