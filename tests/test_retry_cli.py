"""`practice --retry`: a drill at one weak signal of a saved session, in real CLI subprocesses, saved in the same
append-only log as an attempt and graded again with the new answer in place of the old one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import CLI, cli_env, run_cli

from interviewer.sessions.store import read_log, read_session

# one incident; the constraint answer says nothing about how the bleeding was stopped
WEAK_MITIGATION = [
    "At 10:02 our photo upload service started timing out for 18 percent of uploads. Our p95 latency alert "
    "paged me.",
    "The traces showed every request waiting on a lock in the image cache, which a dependency bump had made "
    "global.",
    "We dealt with it eventually and things got better.",
    "The dependency bump had shipped without a load test, which is how the gap got through.",
    "Within a week we added a load test to the release pipeline and an alert on lock wait time.",
]
STRONG_MITIGATION = (
    "To stop the bleeding I rolled back the dependency bump at 10:25, because a rollback was the safest "
    "reversible step, and I drained traffic from the two worst hosts first. Latency recovered within five "
    "minutes of the rollback, and only after that did we work on the real fix."
)
THIN = "I think we restarted something."


def piped(*answers: str) -> str:
    return "".join(a + "\n\n" for a in answers)


def events(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "session.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def weak_session(sessions_dir) -> Path:
    r = run_cli("practice", "--text", "--offline", "--persona", "bar-raiser", "--question", "incident-performance",
                input=piped(*WEAK_MITIGATION), env=cli_env(INTERVIEWER_SESSIONS=str(sessions_dir)))
    assert r.returncode == 0, r.stderr
    [folder] = [p for p in sessions_dir.iterdir() if p.is_dir()]
    return folder


def retry(folder: Path, *args: str, answers: str) -> subprocess.CompletedProcess[str]:
    return run_cli("practice", "--retry", folder.name, "--text", "--offline", *args, input=answers,
                   env=cli_env(INTERVIEWER_SESSIONS=str(folder.parent)))


def test_retry_raises_mitigation_and_overall_in_a_new_grade_version(weak_session):
    folder = weak_session
    before_log = (folder / "session.jsonl").read_bytes()
    original = read_session(folder)
    old = original.grades[-1]
    assert old.signal("mitigation").score <= 2  # a vague "we dealt with it": thin at best

    r = retry(folder, "--signal", "mitigation", answers=piped(STRONG_MITIGATION))
    assert r.returncode == 0, r.stderr
    assert "retry 1 at mitigation" in r.stdout and "graded again as version 2" in r.stdout

    log = read_log(folder)
    assert (folder / "session.jsonl").read_bytes().startswith(before_log)  # append-only: nothing rewritten
    session = log.session
    assert [t.answer for t in session.turns] == WEAK_MITIGATION  # the original attempt is still in the log
    [attempt] = session.attempts
    assert attempt.signal == "mitigation" and attempt.version == 2 and attempt.before_version == 1
    assert attempt.turns[0].answer == STRONG_MITIGATION and attempt.turns[0].target == "mitigation"
    assert [v for v, _ in log.versions] == [1, 2]
    new = log.versions[-1][1]
    assert new.signal("mitigation").score > old.signal("mitigation").score
    assert new.overall.score > old.overall.score
    assert any("rolled back the dependency bump" in q for q in new.signal("mitigation").evidence)
    assert (folder / "grade-v1.json").is_file() and (folder / "grade-v2.json").is_file()
    assert [e["type"] for e in events(folder)][-4:] == ["attempt_started", "attempt_turn", "graded",
                                                         "attempt_finished"]

    page = (folder / "report.html").read_text(encoding="utf-8")
    retries = page[page.index('id="retries"'):page.index("</section>", page.index('id="retries"'))]
    assert f"{old.signal('mitigation').score} &rarr; {new.signal('mitigation').score}/4" in retries
    assert f"overall {old.overall.score:.0f} &rarr; {new.overall.score:.0f}" in retries
    assert "We dealt with it eventually and things got better." in retries  # before
    assert "rolled back the dependency bump at 10:25" in retries  # after, and a quote that made the difference
    assert 'class="gain"' in retries

    md = (folder / "report.md").read_text(encoding="utf-8")
    assert "## Retries" in md and "- before: We dealt with it eventually and things got better." in md
    replay = run_cli("replay", folder.name, env=cli_env(INTERVIEWER_SESSIONS=str(folder.parent)))
    assert "retry 1 at mitigation, in place of turn 3 (graded as version 2):" in replay.stdout
    assert "We dealt with it eventually" in replay.stdout  # the original, still in the log

    h = run_cli("history", env=cli_env(INTERVIEWER_SESSIONS=str(folder.parent)))
    assert h.returncode == 0, h.stderr
    assert h.stdout.startswith("1 graded sessions and 1 retry")
    mitigation = next(line for line in h.stdout.splitlines() if line.startswith("mitigation"))
    assert mitigation.split()[-3:] == [str(old.signal("mitigation").score), str(new.signal("mitigation").score),
                                       f"{new.signal('mitigation').score - old.signal('mitigation').score:+d}"]


def test_retry_without_a_signal_drills_the_weakest(weak_session):
    old = read_session(weak_session).grades[-1]
    weakest = min(old.signals, key=lambda s: s.score).id
    r = retry(weak_session, answers=piped("We told support every twenty minutes in the incident channel.", "/quit"))
    assert r.returncode == 0, r.stderr
    [attempt] = read_session(weak_session).attempts
    assert attempt.signal == weakest


def test_retry_refuses_bad_input_in_one_line(weak_session, sessions_dir):
    env = cli_env(INTERVIEWER_SESSIONS=str(sessions_dir))
    for args, message in ((["--retry", "../etc"], "not a session id"),
                          (["--retry", "20260101-000000-abcdef"], "no session"),
                          (["--retry", weak_session.name, "--resume", weak_session.name], "choose one"),
                          (["--retry", weak_session.name, "--signal", "charisma"], "invalid choice"),
                          (["--signal", "mitigation"], "--signal goes with --retry")):
        r = run_cli("practice", "--text", "--offline", *args, input="x\n\n", env=env)
        assert r.returncode == 2, (args, r.stderr)
        assert message in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert len(read_session(weak_session).attempts) == 0


def _wait(predicate, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 60
    while not predicate():
        assert proc.poll() is None, f"retry exited early: {proc.stderr.read()}"
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_kill_mid_retry_keeps_every_finished_attempt(weak_session):
    folder = weak_session
    assert retry(folder, "--signal", "mitigation", answers=piped(STRONG_MITIGATION)).returncode == 0
    proc = subprocess.Popen([*CLI, "practice", "--retry", folder.name, "--signal", "prevention", "--text",
                             "--offline"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=cli_env(INTERVIEWER_SESSIONS=str(folder.parent)))
    try:
        proc.stdin.write(piped(THIN))  # thin, so the drill asks its follow-up and waits for it
        proc.stdin.flush()
        _wait(lambda: sum(e["type"] == "attempt_turn" for e in events(folder)) == 2, proc,
              "the second attempt's first turn never reached the log")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    session = read_session(folder)
    first, second = session.attempts
    assert first.version == 2 and first.turns[0].answer == STRONG_MITIGATION  # finished: kept whole
    assert second.finished is None and [t.answer for t in second.turns] == [THIN]  # its finished turn too
    assert len(session.grades) == 2
    # the session still reports, and a new attempt after the killed one works
    r = run_cli("report", folder.name, env=cli_env(INTERVIEWER_SESSIONS=str(folder.parent)))
    assert r.returncode == 0, r.stderr
    assert "rolled back the dependency bump at 10:25" in (folder / "report.html").read_text(encoding="utf-8")
    assert retry(folder, "--signal", "prevention", answers=piped(THIN, "/quit")).returncode == 0
    assert [a.attempt for a in read_session(folder).attempts] == [1, 2, 3]


def test_a_retry_after_a_torn_last_line_sets_the_fragment_aside_first(weak_session):
    """A crash mid-write leaves half a line; the retry must not glue its events onto it."""
    folder = weak_session
    with open(folder / "session.jsonl", "ab") as fh:
        fh.write(b'{"type":"attempt_turn","at":"2026-')
    r = retry(folder, "--signal", "mitigation", answers=piped(STRONG_MITIGATION))
    assert r.returncode == 0, r.stderr
    assert "moved an incomplete last line" in r.stderr
    session = read_session(folder)
    assert session.warnings == [] and len(session.attempts) == 1 and session.attempts[0].version == 2
    assert (folder / "session.jsonl.torn").read_bytes() == b'{"type":"attempt_turn","at":"2026-\n'
