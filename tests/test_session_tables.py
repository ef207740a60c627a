"""`sessions`, `history` and `doctor` on a terminal: rich tables (the plain one-line-per-item output for pipes is
covered by test_sessions_cli.py). The installed CLI runs with its stdout on a real pseudo-terminal."""

from __future__ import annotations

import os
import pty
import re
import subprocess
from pathlib import Path

from conftest import CLI, cli_env
from session_helpers import STRONG, WEAK, make_session

from interviewer.sessions import LOG_NAME

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def in_terminal(*args: str, **env: str) -> tuple[int, str]:
    """Run the CLI with stdout on a pseudo-terminal; its return code and what it printed, colours removed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([*CLI, *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE,
                            env=cli_env(COLUMNS="200", LINES="50", TERM="xterm-256color", **env))
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    proc.wait(timeout=120)
    assert b"Traceback" not in proc.stderr.read()
    proc.stderr.close()
    return proc.returncode, ANSI.sub("", b"".join(chunks).decode("utf-8").replace("\r\n", "\n"))


def test_sessions_on_a_terminal_is_a_table(catalog, tmp_path: Path):
    store = tmp_path / "sessions"
    a = make_session(catalog, store, STRONG)
    b = make_session(catalog, store, WEAK, quit_after=2)
    with open(b.folder / LOG_NAME, "a") as f:
        f.write('{"type": "turn", "tu')  # a torn last line: listed with a warning
    rc, out = in_terminal("sessions", INTERVIEWER_SESSIONS=str(store))
    assert rc == 0, out
    header = next(line for line in out.splitlines() if "persona" in line)
    assert re.search(r"[┃│]\s*id\s*[┃│]\s*date\s*[┃│]", header), header
    for res, status in ((a, "completed"), (b, "quit")):
        row = next(line for line in out.splitlines() if res.session_id in line)
        assert status in row and f"{res.report.overall.score:.0f} {res.report.overall.letter}" in row
        assert "│" in row
    assert "warning" in out and "incomplete last line" in out.replace("\n", " ").replace("│", " ")


def test_history_on_a_terminal_is_a_table(catalog, tmp_path: Path):
    store = tmp_path / "sessions"
    results = [make_session(catalog, store, ans) for ans in (WEAK, STRONG)]
    rc, out = in_terminal("history", INTERVIEWER_SESSIONS=str(store))
    assert rc == 0, out
    assert "2 graded sessions" in out
    rows = {cells[0]: cells for line in out.splitlines()
            if (cells := [c.strip() for c in line.strip("│ ").split("│")]) and len(cells) == 5}
    assert re.search(r"┃\s*signal\s*┃\s*trend\s*┃\s*first\s*┃\s*latest\s*┃\s*change\s*┃", out), out
    assert set(rows) == {"overall", *[s.id for s in results[0].report.signals]}
    first, last = results[0].report, results[1].report
    impact = rows["impact"]
    assert impact[2:] == [str(first.signal("impact").score), str(last.signal("impact").score),
                          f"{last.signal('impact').score - first.signal('impact').score:+d}"]


def test_doctor_on_a_terminal_is_a_table(tmp_path: Path):
    home = tmp_path / "home"  # no ~/.asoundrc: whatever sound the machine has, the table is what is checked
    home.mkdir()
    rc, out = in_terminal("doctor", "--offline", HOME=str(home))
    assert rc in (0, 1), out
    header = next(line for line in out.splitlines() if "status" in line)
    assert re.search(r"[┃│]\s*status\s*[┃│]\s*check\s*[┃│]\s*found", header), header
    assert re.search(r"│\s*(ok|warn|FAIL)\s*│\s*text to speech\s*│", out), out
    assert re.search(r"│\s*info\s*│\s*LLM\s*│", out), out
    assert "Ready" in out or "Not ready" in out
