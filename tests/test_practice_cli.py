"""`interviewer practice --text` end to end in real subprocesses, plus the TextChannel on its own."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import CLI, cli_env, run_cli

from interviewer.errors import NoTerminalError
from interviewer.interview.text import TextChannel
from interviewer.models import DEFAULT_LEVEL, Level
from interviewer.sessions.store import read_session

# Answers written for these tests: one incident, told across the rounds.
ANSWERS = [
    "Last spring the thumbnail service for our photo app started timing out. About 18 percent of uploads failed "
    "for roughly forty minutes. Our p95 latency alert paged me at 10:02.",
    "My first guess was the storage bucket, but its error rate was flat. The traces showed every request "
    "waiting on a lock in the image cache, which a dependency bump had made global.",
    "I opened an incident channel at 10:10 and asked our support lead to post updates every twenty minutes. "
    "I rolled back the dependency bump at 10:25 and latency recovered.",
    "The process let a dependency bump ship without a load test, and nothing alerted on lock contention, so two "
    "gaps lined up.",
    "Within a week we added a load test to the release pipeline and an alert on lock wait time. Next time I would "
    "roll back sooner instead of debugging first.",
]


def session_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if (p / "session.jsonl").is_file()) if root.is_dir() else []


def piped(*answers: str) -> str:
    return "".join(a + "\n\n" for a in answers)


# the bar-raiser's plan has a second round on the failure chain
BAR_RAISER_ANSWERS = [*ANSWERS[:2], "The lock had been per-image before the bump; the new default made one lock for "
                      "the whole cache, so every request queued behind it.", *ANSWERS[2:]]


def test_full_interview_with_piped_answers(sessions_dir, catalog):
    r = run_cli("practice", "--text", "--persona", "bar-raiser", "--question", "incident-performance",
                input=piped(*BAR_RAISER_ANSWERS), env=cli_env(INTERVIEWER_SESSIONS=str(sessions_dir)))
    assert r.returncode == 0, r.stderr
    assert "Morgan" in r.stdout
    assert "# Interview report" in r.stdout and "## Transcript" in r.stdout
    [folder] = session_folders(sessions_dir)
    assert f"Session saved in {folder}" in r.stdout
    session = read_session(folder)
    assert [t.round for t in session.turns] == catalog.persona("bar-raiser").rounds
    assert [t.answer for t in session.turns] == BAR_RAISER_ANSWERS
    assert session.meta.persona == "bar-raiser" and session.meta.question_id == "incident-performance"
    assert session.ended is not None and session.ended.reason == "completed"
    assert len(session.grades) == 1
    questions = [t.question for t in session.turns]
    assert len(set(questions)) == len(questions), "a question was repeated"
    assert all(t.note is not None for t in session.turns[1:])
    assert (folder / "report.md").read_text(encoding="utf-8").startswith("# Interview report")


def test_skip_quit_and_multi_line_answers(sessions_dir):
    typed = (
        "\n"  # a stray blank line before the answer is ignored
        "Our login service rejected valid passwords for 25 minutes.\n"
        "An alert on failed logins paged me.\n"
        "/done\n"
        "/skip\n"
        "I told the support team in our incident channel.\n"
        "/quit\n"
    )
    r = run_cli("practice", "--text", "--seed", "7", input=typed, env=cli_env(INTERVIEWER_SESSIONS=str(sessions_dir)))
    assert r.returncode == 0, r.stderr
    [folder] = session_folders(sessions_dir)
    session = read_session(folder)
    assert len(session.turns) == 3
    first, skipped, last = session.turns
    assert first.answer == ("Our login service rejected valid passwords for 25 minutes.\n"
                            "An alert on failed logins paged me.")
    assert skipped.skipped and skipped.answer == ""
    assert last.answer == "I told the support team in our incident channel."  # kept: typed before /quit
    assert session.ended.reason == "quit"
    assert session.grades, "finished turns are graded after /quit"
    assert "_(skipped)_" in r.stdout
    assert session.meta.persona == "peer" and session.meta.level is DEFAULT_LEVEL  # not the persona's L4


def test_quit_before_any_answer_grades_nothing(sessions_dir):
    r = run_cli("practice", "--text", input="/quit\n", env=cli_env(INTERVIEWER_SESSIONS=str(sessions_dir)))
    assert r.returncode == 0, r.stderr
    assert "nothing to grade" in r.stdout
    [folder] = session_folders(sessions_dir)
    session = read_session(folder)
    assert session.turns == [] and session.ended.reason == "quit" and not session.grades


@pytest.mark.parametrize("persona", ["peer", "exec"])  # an L4 and a staff interviewer
def test_practice_grades_at_the_one_default_level_not_the_personas(sessions_dir, persona):
    """Like `grade`, `practice` holds the candidate to DEFAULT_LEVEL (L5) unless --level says otherwise."""
    env = cli_env(INTERVIEWER_SESSIONS=str(sessions_dir))
    r = run_cli("practice", "--text", "--persona", persona, "--question", "incident-classic",
                input=piped(ANSWERS[0]) + "/quit\n", env=env)
    assert r.returncode == 0, r.stderr
    [folder] = session_folders(sessions_dir)
    session = read_session(folder)
    assert DEFAULT_LEVEL is Level.L5
    assert session.meta.level is DEFAULT_LEVEL and session.grades[0].level is DEFAULT_LEVEL
    assert "level L5" in r.stdout  # the printed report says so

    r = run_cli("practice", "--text", "--persona", persona, "--question", "incident-classic", "--level", "L3",
                input=piped(ANSWERS[0]) + "/quit\n", env=env)
    assert r.returncode == 0, r.stderr
    [newest] = set(session_folders(sessions_dir)) - {folder}
    assert read_session(newest).meta.level is Level.L3 and read_session(newest).grades[0].level is Level.L3


def test_practice_help_documents_the_default_level():
    r = run_cli("practice", "--help")
    assert r.returncode == 0
    help_text = " ".join(r.stdout.split())
    assert "default L5" in help_text and "persona's own level does not change it" in help_text


def test_answers_run_out_before_the_rounds_do(sessions_dir):
    r = run_cli("practice", "--text", input=piped(ANSWERS[0], ANSWERS[1]),
                env=cli_env(INTERVIEWER_SESSIONS=str(sessions_dir)))
    assert r.returncode == 0, r.stderr
    session = read_session(session_folders(sessions_dir)[0])
    assert [t.answer for t in session.turns] == ANSWERS[:2]
    assert session.ended.reason == "quit" and session.grades


@pytest.mark.parametrize("stdin", ["devnull", "empty-pipe"])
def test_no_terminal_and_no_answers_exits_with_a_message(sessions_dir, stdin):
    cmd = [*CLI, "practice", "--text"]
    env = cli_env(INTERVIEWER_SESSIONS=str(sessions_dir))
    if stdin == "devnull":
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=60)
    else:
        r = subprocess.run(cmd, input="", capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2
    assert "stdin is not a terminal" in r.stderr and "Traceback" not in r.stderr
    assert session_folders(sessions_dir) == []  # nothing half-started is left behind


def test_without_text_falls_back_to_text_with_a_note(sessions_dir):
    r = run_cli("practice", "--question", "incident-classic", input=piped(ANSWERS[0]) + "/quit\n",
                env=cli_env(INTERVIEWER_SESSIONS=str(sessions_dir)))
    assert r.returncode == 0, r.stderr
    assert "voice" in r.stderr.lower() and "text" in r.stderr.lower()


def test_unknown_question_persona_and_rubric_list_the_choices(sessions_dir):
    env = cli_env(INTERVIEWER_SESSIONS=str(sessions_dir))
    r = run_cli("practice", "--text", "--question", "no-such-q", input="x\n", env=env)
    assert r.returncode == 2 and "no-such-q" in r.stderr and "incident-classic" in r.stderr
    r = run_cli("practice", "--text", "--persona", "grumpy", input="x\n", env=env)
    assert r.returncode == 2 and "grumpy" in r.stderr and "bar-raiser" in r.stderr
    r = run_cli("practice", "--text", "--rubric", "nope", input="x\n", env=env)
    assert r.returncode == 2 and "nope" in r.stderr and "production-incident" in r.stderr
    assert session_folders(sessions_dir) == []


def test_seed_picks_the_same_opening_for_the_level(sessions_dir, catalog):
    env = cli_env(INTERVIEWER_SESSIONS=str(sessions_dir))
    ids = []
    for _ in range(2):
        r = run_cli("practice", "--text", "--seed", "11", "--level", "staff", input="/quit\n", env=env)
        assert r.returncode == 0, r.stderr
    for folder in session_folders(sessions_dir):
        ids.append(read_session(folder).meta.question_id)
    assert ids[0] == ids[1]
    assert Level.staff in catalog.question(ids[0]).levels


def _turns_logged(log: Path) -> int:
    if not log.is_file():
        return 0
    return sum(1 for line in log.read_text(encoding="utf-8").splitlines() if '"type":"turn"' in line)


def _wait_for_turns(log: Path, n: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while _turns_logged(log) < n:
        assert proc.poll() is None, f"practice exited early: {proc.stderr.read()}"
        assert time.monotonic() < deadline, f"turn {n} never reached {log}"
        time.sleep(0.05)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_mid_session_keeps_every_finished_turn(sessions_dir):
    proc = subprocess.Popen(
        [*CLI, "practice", "--text", "--question", "incident-classic"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env=cli_env(INTERVIEWER_SESSIONS=str(sessions_dir)),
    )
    try:
        proc.stdin.write(piped(ANSWERS[0]))
        proc.stdin.flush()
        deadline = time.monotonic() + 60
        while not session_folders(sessions_dir):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        [folder] = session_folders(sessions_dir)
        log = folder / "session.jsonl"
        _wait_for_turns(log, 1, proc)
        proc.stdin.write(piped(ANSWERS[1]))
        proc.stdin.flush()
        _wait_for_turns(log, 2, proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    session = read_session(folder)
    assert [t.answer for t in session.turns] == ANSWERS[:2]
    assert session.ended is None and not session.grades


# --- the TextChannel on its own ------------------------------------------------------------


def channel(text: str) -> tuple[TextChannel, io.StringIO]:
    out = io.StringIO()
    return TextChannel(stdin=io.StringIO(text), stdout=out, speaker="Sam"), out


def test_text_channel_answer_endings():
    ch, out = channel("\n\nfirst line\nsecond line\n\nnext answer\n/done\n/skip\npartial\n/quit\n")
    said = ch.say(iter(["Tell me ", "about it."]), 0)
    assert said.text == "Tell me about it." and "[1] Sam: Tell me about it." in out.getvalue()
    a = ch.listen(0)
    assert (a.text, a.skipped, a.quit) == ("first line\nsecond line", False, False)
    assert ch.listen(1).text == "next answer"
    assert ch.listen(2).skipped
    last = ch.listen(3)
    assert last.text == "partial" and last.quit


def test_text_channel_end_of_input_ends_the_interview():
    ch, _ = channel("only answer")  # no trailing newline, then EOF
    assert ch.listen(0).text == "only answer"
    after = ch.listen(1)
    assert after.quit and after.text == ""


def test_text_channel_check_input_keeps_the_first_line():
    ch, _ = channel("piped answer\n\n")
    ch.check_input(timeout=1)  # a StringIO is not a terminal
    assert ch.listen(0).text == "piped answer"


def test_text_channel_check_input_refuses_empty_input():
    ch, _ = channel("")
    with pytest.raises(NoTerminalError, match="stdin is not a terminal"):
        ch.check_input(timeout=1)


def test_text_channel_check_input_times_out_on_a_silent_pipe():
    read_fd, write_fd = os.pipe()
    try:
        with os.fdopen(read_fd, "r") as stdin:
            ch = TextChannel(stdin=stdin, stdout=io.StringIO())
            with pytest.raises(NoTerminalError, match="no answer arrived"):
                ch.check_input(timeout=0.2)
    finally:
        os.close(write_fd)


def test_resume_continues_after_the_last_finished_turn(sessions_dir, catalog):
    env = cli_env(INTERVIEWER_SESSIONS=str(sessions_dir))
    r = run_cli("practice", "--text", "--persona", "exec", "--level", "L5", "--question", "incident-classic",
                input=piped(ANSWERS[0], ANSWERS[1]) + "/quit\n", env=env)
    assert r.returncode == 0, r.stderr
    [folder] = session_folders(sessions_dir)
    # make it look cut off: drop the grade and the end event, as a crash before them would
    log = folder / "session.jsonl"
    kept = [line for line in log.read_text(encoding="utf-8").splitlines()
            if '"type":"graded"' not in line and '"type":"session_ended"' not in line]
    log.write_text("\n".join(kept) + "\n", encoding="utf-8")
    r = run_cli("practice", "--text", "--resume", folder.name, input=piped(*ANSWERS[2:]), env=env)
    assert r.returncode == 0, r.stderr
    session = read_session(folder)
    assert [t.answer for t in session.turns] == ANSWERS
    assert [t.round for t in session.turns] == catalog.persona("exec").rounds
    assert session.meta.persona == "exec" and session.meta.level is Level.L5
    assert session.ended.reason == "completed" and len(session.grades) == 1
    questions = [t.question for t in session.turns]
    assert len(set(questions)) == len(questions)
    r = run_cli("practice", "--text", "--resume", folder.name, input="x\n", env=env)
    assert r.returncode == 2 and "already completed" in r.stderr
