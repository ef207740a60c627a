"""Holes in the session commands, each closed: ids that escape the store, writes that fail, HTML in the
markdown report, the order of durable writes for turn audio, microphone overflow counts, and how many
times a command reads a session log. Sessions are real (the interview pipeline or the real SessionWriter);
commands run through the installed CLI in a subprocess unless a test counts calls in-process."""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import os
import re
import resource
import shutil
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import CLI, cli_env, run_cli
from session_helpers import STRONG, make_session

from interviewer.durable import write_wav
from interviewer.errors import InterviewerError
from interviewer.grading import OfflineGrader
from interviewer.models import Level, RoundKind, SessionMeta, Turn
from interviewer.report.markdown import render_markdown
from interviewer.session_log import Graded, SessionEnded, SessionStarted, TurnCompleted
from interviewer.sessions import LOG_NAME, SessionStore, resumable

HOSTILE = '<script>alert(1)</script> and <img src=x onerror="alert(2)"> & more'


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "sessions"


def cli(store: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=cli_env(INTERVIEWER_SESSIONS=str(store), **env))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def one_line_error(out: subprocess.CompletedProcess[str]) -> str:
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("interviewer: ")
    return lines[0]


# --- session ids that escape the store -----------------------------------------------------------


def test_replay_and_report_refuse_ids_that_point_outside_the_store(catalog, store, tmp_path):
    outside = make_session(catalog, tmp_path / "elsewhere", STRONG)  # a real session, outside the store
    make_session(catalog, store, STRONG)
    before = snapshot(outside.folder)
    relative = os.path.relpath(outside.folder, store)  # ../elsewhere/<id>
    for args in (("replay", relative, "--regrade"), ("replay", str(outside.folder), "--regrade"),
                 ("report", relative), ("report", str(outside.folder), "--format", "markdown"),
                 ("replay", "../../../outside/x", "--regrade")):
        line = one_line_error(cli(store, *args))
        assert "not a session id" in line and "YYYYMMDD-HHMMSS-xxxxxx" in line, line
    assert snapshot(outside.folder) == before  # nothing written or re-graded out there


def test_store_lookups_accept_only_its_own_ids(catalog, store, tmp_path):
    """Every id-to-folder lookup (load, folder, create, and resume through them) refuses a path."""
    outside = make_session(catalog, tmp_path / "elsewhere", STRONG, quit_after=2)  # resumable, outside
    s = SessionStore(store)
    for bad in (str(outside.folder), f"../elsewhere/{outside.session_id}", "..", "", "20260101-000000-ABCDEF",
                "20260101-000000-abcdef/..", "20260101-000000-abcdef\n"):
        with pytest.raises(InterviewerError, match="not a session id"):
            s.folder(bad)
        with pytest.raises(InterviewerError, match="not a session id"):
            s.load(bad)
        with pytest.raises(InterviewerError, match="not a session id"):
            resumable(s, bad)
        with pytest.raises(InterviewerError, match="not a session id"):
            s.create(bad)
    assert not store.exists()  # create made no folder anywhere
    sid, writer = s.create()
    writer.close()
    assert s.folder(sid) == store / sid and s.ids() == [sid]


def test_an_unknown_well_formed_id_is_still_reported_as_missing(store):
    line = one_line_error(cli(store, "report", "20260101-000000-abcdef"))
    assert "no session '20260101-000000-abcdef'" in line


# --- writes that fail ------------------------------------------------------------------------------


def test_report_and_history_writes_that_fail_are_one_line(catalog, store, tmp_path):
    res = make_session(catalog, store, STRONG)
    cli(store, "report", res.session_id)
    before = snapshot(res.folder)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for args, path in (
        (("report", res.session_id, "-o", str(tmp_path / "no" / "dir" / "r.html")), tmp_path / "no" / "dir"),
        (("report", res.session_id, "--format", "markdown", "-o", str(blocker / "r.md")), blocker),
        (("history", "--html", str(tmp_path / "missing" / "x.html")), tmp_path / "missing"),
        (("report", res.session_id, "-o", str(tmp_path)), tmp_path),  # a folder, not a file
    ):
        line = one_line_error(cli(store, *args))
        assert str(path) in line, line
    assert snapshot(res.folder) == before


def _limited(max_bytes: int):
    def apply() -> None:  # a file size limit (ulimit -f): writes past it fail with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))
    return apply


def test_a_log_append_that_fails_is_one_line_and_leaves_the_log_as_it_was(catalog, store):
    res = make_session(catalog, store, STRONG)
    log = res.folder / LOG_NAME
    before = log.read_bytes()
    out = subprocess.run([*CLI, "replay", res.session_id, "--regrade"], capture_output=True, text=True,
                         env=cli_env(INTERVIEWER_SESSIONS=str(store)), preexec_fn=_limited(len(before)),
                         timeout=120)
    line = one_line_error(out)
    assert str(log) in line and "too large" in line.lower(), line
    assert log.read_bytes() == before


@contextlib.contextmanager
def read_only(folder: Path):
    """A folder nobody can add files to: mode 555, or for root (who ignores modes) the immutable attribute."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        undo = ["chmod", "755", str(folder)]
    else:
        chattr = shutil.which("chattr")
        if not chattr or subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode != 0:
            pytest.skip("running as root on a filesystem without the immutable attribute")
        undo = [chattr, "-i", str(folder)]
    try:
        yield
    finally:
        subprocess.run(undo, check=True)


def test_writes_into_a_read_only_session_folder_are_one_line(catalog, store):
    res = make_session(catalog, store, STRONG)
    before = snapshot(res.folder)
    with read_only(res.folder):
        for args in (("report", res.session_id), ("replay", res.session_id, "--regrade")):
            line = one_line_error(cli(store, *args))
            assert str(res.folder) in line, line
    assert snapshot(res.folder) == before


def test_a_torn_log_in_a_read_only_folder_is_one_line_and_stays_as_it_was(catalog, store):
    """Setting a torn last line aside needs a new file in the folder; when that fails, one line, no change."""
    res = make_session(catalog, store, STRONG)
    with open(res.folder / LOG_NAME, "a") as f:
        f.write('{"type": "graded", "rep')
    before = snapshot(res.folder)
    with read_only(res.folder):
        line = one_line_error(cli(store, "replay", res.session_id, "--regrade"))
        assert str(res.folder) in line, line
    assert snapshot(res.folder) == before


# --- the markdown report does not carry HTML ------------------------------------------------------


def test_markdown_report_escapes_html_from_the_transcript(catalog):
    rubric = catalog.rubrics["production-incident"]
    turns = [Turn(index=0, round=RoundKind.opening, question="What broke <b>first</b>?",
                  answer=f"{STRONG[0]} {HOSTILE}"),
             Turn(index=1, round=RoundKind.probe, question="And then?", answer=f"{HOSTILE}\n{STRONG[1]}")]
    report = OfflineGrader().grade(turns, rubric, Level.L5, "Tell me about an <incident>")
    report.signals[0].evidence.append(HOSTILE)
    report.summary += " " + HOSTILE
    meta = SessionMeta(id="20260101-000000-abcdef", persona="peer", level=Level.L5, question="A <i>question</i>")
    md = render_markdown(report, turns, meta, rubric=rubric)
    for raw in ("<script", "<img", "<b>", "<i>", "</script"):
        assert raw not in md, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md and "&amp; more" in md
    assert "What broke &lt;b&gt;first&lt;/b&gt;?" in md
    assert STRONG[1] in md  # ordinary words stay as they were


# --- turn audio is durable before the log names it -------------------------------------------------


def test_turn_audio_is_durable_before_the_log_line_that_names_it(tmp_path, monkeypatch):
    calls: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        calls.append(("fsync", Path(os.readlink(f"/proc/self/fd/{fd}")).name))
        real_fsync(fd)

    def replace(src, dst) -> None:
        calls.append(("replace", Path(dst).name))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    store = SessionStore(tmp_path / "sessions")
    sid, writer = store.create()
    with writer:
        assert ("fsync", sid) in calls and ("fsync", "sessions") in calls  # the new log's name is durable
        writer.append(SessionStarted(meta=SessionMeta(id=sid, persona="peer", level=Level.L5, question="Q?")))
        calls.clear()
        name = "turn-00-answer.wav"
        write_wav(writer.folder / name, (0.1 * np.sin(np.arange(1600) / 3)).astype(np.float32), 16_000)
        writer.append(TurnCompleted(turn=Turn(index=0, round=RoundKind.opening, question="q", answer="a",
                                              answer_audio=name)))
    data = next(i for i, c in enumerate(calls) if c[0] == "fsync" and c[1].startswith(f".{name}.tmp"))
    renamed = calls.index(("replace", name))
    folder = next(i for i, c in enumerate(calls) if c == ("fsync", sid) and i > renamed)
    line = calls.index(("fsync", LOG_NAME))
    assert data < renamed < folder < line, calls
    assert name in (writer.folder / LOG_NAME).read_text().splitlines()[-1]


# --- microphone overflows --------------------------------------------------------------------------


def test_audio_dropped_and_a_cut_off_opening_show_in_replay_and_both_reports(catalog, store):
    s = SessionStore(store)
    sid, writer = s.create()
    rubric = catalog.rubrics["production-incident"]
    turns = [Turn(index=i, round=kind, question=f"question {i}", answer=STRONG[i], answer_seconds=30.0,
                  audio_dropped=dropped)
             for i, (kind, dropped) in enumerate(zip(RoundKind, (0, 3, 1), strict=False))]
    turns[0] = turns[0].model_copy(update={"time_limit_s": 120.0, "cut_off": True})  # the opening, interrupted
    with writer:
        writer.append(SessionStarted(meta=SessionMeta(id=sid, persona="peer", level=Level.L5, question="Q?",
                                                      mode="voice")))
        for t in turns:
            writer.append(TurnCompleted(turn=t))
        writer.append(Graded(report=OfflineGrader().grade(turns, rubric, Level.L5, "Q?")))
        writer.append(SessionEnded())
    md_path = store / "r.md"
    outputs = {
        "replay": cli(store, "replay", sid).stdout,
        "markdown": (cli(store, "report", sid, "--format", "markdown", "-o", str(md_path)), md_path.read_text())[1],
        "html": (cli(store, "report", sid), (store / sid / "report.html").read_text())[1],
    }
    for where, text in outputs.items():
        assert "audio dropped 3 times in turn 2" in text, where
        assert "audio dropped 1 time in turn 3" in text, where
        assert "cut off at the 2:00 limit in turn 1" in text, where
        assert not re.search(r"audio dropped \d+ times? in turn 1\b", text), where  # none lost in turn 1
        assert text.count("cut off at") == 1, where  # only the opening was cut off


# --- a command reads a session log once ------------------------------------------------------------


def _count_log_reads(monkeypatch: pytest.MonkeyPatch, log: Path) -> list[str]:
    reads: list[str] = []
    real_open = io.open
    target = os.path.realpath(log)

    def counting_open(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and "r" in mode and os.path.realpath(file) == target:
            reads.append(mode)
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(io, "open", counting_open)
    monkeypatch.setattr(builtins, "open", counting_open)
    return reads


@pytest.mark.parametrize("args", [("report",), ("report", "--format", "markdown"), ("replay",),
                                  ("replay", "--regrade")])
def test_a_command_reads_the_session_log_once(catalog, store, monkeypatch, capsys, args):
    from interviewer.cli import main

    res = make_session(catalog, store, STRONG)
    make_session(catalog, store, STRONG)  # another session in the store, for the history charts
    monkeypatch.setenv("INTERVIEWER_SESSIONS", str(store))
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "INTERVIEWER_MODEL"):
        monkeypatch.delenv(name, raising=False)  # the offline grader, as in the CLI tests
    reads = _count_log_reads(monkeypatch, res.folder / LOG_NAME)
    assert main([args[0], res.session_id, *args[1:]]) == 0, capsys.readouterr().err
    assert len(reads) == 1, reads
    if "--regrade" in args:
        lines = (res.folder / LOG_NAME).read_text().splitlines()
        assert [json.loads(x)["version"] for x in lines if '"graded"' in x] == [1, 2]
