"""Sessions from the installed CLI: list, history, replay (text and audio), versioned re-grades, reports,
a torn last line, and resuming an interrupted interview. Every session is made by the real interview
pipeline; every command runs in a subprocess."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from browser import chromium, load
from conftest import REQUIRE_ALL_ENV, cli_env, run_cli
from session_helpers import STRONG, WEAK, make_session

from interviewer.grading import OfflineGrader
from interviewer.models import Level, RoundKind, Turn
from interviewer.sessions import LOG_NAME, SessionStore, grade_diff, read_session, repair_torn_tail, sparkline

CLOCK = r"\[\d\d:\d\d:\d\d \+\d+:\d\d\]"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "sessions"


def cli(store: Path, *args: str, input: str | None = None, **env: str):
    return run_cli(*args, input=input, env=cli_env(INTERVIEWER_SESSIONS=str(store), **env))


def log_events(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / LOG_NAME).read_text().splitlines() if line.strip()]


def test_sessions_lists_date_persona_question_and_score(catalog, store):
    a = make_session(catalog, store, STRONG)
    b = make_session(catalog, store, WEAK)
    c = make_session(catalog, store, STRONG, quit_after=2)
    out = cli(store, "sessions")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:4] == ["id", "date", "persona", "lvl"]
    persona = catalog.personas[sorted(catalog.personas)[0]].id
    for res, status in ((a, "completed"), (b, "completed"), (c, "quit")):
        row = next(line for line in lines if line.startswith(res.session_id))
        assert persona in row and status in row
        assert f"{res.report.overall.score:.0f} {res.report.overall.letter}" in row
        assert res.turns[0].question[:30] in row or catalog.questions[sorted(catalog.questions)[0]].text[:30] in row


def test_history_shows_each_signals_trend(catalog, store):
    results = [make_session(catalog, store, ans) for ans in (WEAK, STRONG, STRONG)]
    out = cli(store, "history")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("3 graded sessions")
    rows = {line.split()[0]: line.split() for line in out.stdout.splitlines()[2:]}
    assert set(rows) == {"overall", *[s.id for s in results[0].report.signals]}
    first, last = results[0].report, results[-1].report
    for s in last.signals:
        name, trend, v0, v1, change = rows[s.id]
        assert len(trend) == 3 and trend == sparkline([first.signal(s.id).score, results[1].report.signal(s.id).score,
                                                        s.score], 4)
        assert (int(v0), int(v1), int(change)) == (first.signal(s.id).score, s.score, s.score - first.signal(s.id).score)
    assert rows["overall"][2] == f"{first.overall.score:.0f}"

    html = store.parent / "history.html"
    out = cli(store, "history", "--html", str(html))
    assert out.returncode == 0 and html.is_file()
    assert html.read_text().count("<polyline") >= 1 + len(last.signals)


def test_replay_shows_the_conversation_with_timestamps(catalog, store):
    res = make_session(catalog, store, STRONG)
    out = cli(store, "replay", res.session_id)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    positions = []
    for t in res.turns:
        q = re.search(CLOCK + rf" interviewer \({t.round.value}\):", text)
        assert q, t.round
        assert t.answer.split()[0] in text
        positions.append(q.start())
    assert positions == sorted(positions)  # in conversation order
    assert len(re.findall(CLOCK + " candidate:", text)) == len(res.turns)
    assert "session ended: completed" in text and "latest grade (v1)" in text


def test_regrade_appends_a_version_and_never_overwrites(catalog, store):
    res = make_session(catalog, store, STRONG)
    folder = res.folder
    out = cli(store, "replay", res.session_id, "--regrade")
    assert out.returncode == 0, out.stderr
    assert "re-graded as version 2" in out.stdout
    assert "signals: no change" in out.stdout  # same transcript, same grader
    v1 = (folder / "grade-v1.json").read_bytes()
    v2 = (folder / "grade-v2.json").read_bytes()
    out = cli(store, "replay", res.session_id, "--regrade", "--level", "staff")
    assert out.returncode == 0, out.stderr
    assert "re-graded as version 3" in out.stdout
    assert (folder / "grade-v1.json").read_bytes() == v1 and (folder / "grade-v2.json").read_bytes() == v2
    graded = [e for e in log_events(folder) if e["type"] == "graded"]
    assert [e["version"] for e in graded] == [1, 2, 3]
    assert graded[2]["report"]["level"] == "staff"
    assert json.loads((folder / "grade-v3.json").read_text())["level"] == "staff"
    assert (folder / "report.html").is_file()
    assert not list(folder.glob(".*tmp*"))  # atomic writes left no temp files
    assert len(read_session(folder).grades) == 3


def test_regrade_with_another_rubric_from_a_data_dir(catalog, store, tmp_path):
    """`--regrade --rubric R` with R a user's rubric: a new version graded with it, and what changed."""
    import yaml

    from interviewer.catalog import builtin_dir

    res = make_session(catalog, store, STRONG)
    data = yaml.safe_load((builtin_dir("rubric") / "production-incident.yaml").read_text())
    data["id"], data["name"] = "strict-incident", "Strict incident"
    for signal in data["signals"]:
        if signal["id"] == "mitigation":
            signal["weight"] = 4.0  # a coach who cares most about stopping the bleeding
    (tmp_path / "mine" / "rubric").mkdir(parents=True)
    (tmp_path / "mine" / "rubric" / "strict.yaml").write_text(yaml.safe_dump(data))
    out = cli(store, "replay", res.session_id, "--regrade", "--rubric", "strict-incident",
              "--data-dir", str(tmp_path / "mine"))
    assert out.returncode == 0, out.stderr
    assert "re-graded as version 2" in out.stdout
    v1, v2 = read_session(res.folder).grades
    assert v1.rubric == "production-incident" and v2.rubric == "strict-incident"
    assert v2.overall.score != v1.overall.score and "overall" in out.stdout
    unknown = cli(store, "replay", res.session_id, "--regrade", "--rubric", "no-such-rubric")
    assert unknown.returncode == 2 and "no-such-rubric" in unknown.stderr and "production-incident" in unknown.stderr


def test_grade_diff_names_what_changed_per_signal(catalog):
    rubric = catalog.rubrics["production-incident"]
    turns = [Turn(index=0, round=RoundKind.opening, question="q", answer=" ".join(WEAK))]
    weak = OfflineGrader().grade(turns, rubric, Level.L5, "q")
    turns2 = [Turn(index=0, round=RoundKind.opening, question="q", answer=" ".join(STRONG))]
    strong = OfflineGrader().grade(turns2, rubric, Level.L5, "q")
    lines = grade_diff(weak, strong)
    assert lines[0].startswith(f"overall  {weak.overall.score:.0f}")
    changed = [s.id for s in strong.signals if s.score != weak.signal(s.id).score]
    assert changed
    for sid in changed:
        assert any(re.match(rf"  {sid}\s+{weak.signal(sid).score} -> {strong.signal(sid).score} [\u2191\u2193]", x)
                   for x in lines), sid
    assert any(x.startswith("      + \u201c") for x in lines)  # new evidence quoted
    assert any(x.startswith("  flags:") for x in lines)


def test_torn_last_line_is_reported_then_repaired_before_appending(catalog, store):
    res = make_session(catalog, store, STRONG)
    log = res.folder / LOG_NAME
    fragment = '{"type": "turn", "at": "2026-01-01T00:00:00Z", "turn": {"index": 5, "rou'
    with open(log, "a") as f:
        f.write(fragment)  # what a crash mid-write leaves
    out = cli(store, "sessions")
    assert out.returncode == 0 and "incomplete last line" in out.stdout
    out = cli(store, "replay", res.session_id)
    assert out.returncode == 0 and "warning:" in out.stdout and "incomplete last line" in out.stdout
    out = cli(store, "replay", res.session_id, "--regrade")
    assert out.returncode == 0, out.stderr
    session = read_session(res.folder)
    assert session.warnings == [] and len(session.grades) == 2 and len(session.turns) == len(res.turns)
    assert (res.folder / "session.jsonl.torn").read_text().strip() == fragment  # kept, not lost
    assert repair_torn_tail(res.folder) is None  # nothing left to repair


def test_report_command_writes_html_and_markdown(catalog, store):
    res = make_session(catalog, store, STRONG)
    make_session(catalog, store, WEAK)
    out = cli(store, "report", res.session_id)
    assert out.returncode == 0, out.stderr
    html = (res.folder / "report.html").read_text()
    for section in ("overall", "signals", "flags", "timeline", "delivery", "transcript", "history", "improvements"):
        assert f'id="{section}"' in html
    assert html.count('class="dot') >= 2  # both graded sessions on the history chart
    if chromium() is not None or os.environ.get(REQUIRE_ALL_ENV):  # under scripts/test chromium must be there
        loaded = load(res.folder / "report.html", store.parent / "profile")
        assert loaded.console == [] and 'data-ready="report"' in loaded.dom
    md = res.folder.parent / "r.md"
    out = cli(store, "report", res.session_id, "--format", "markdown", "-o", str(md))
    assert out.returncode == 0, out.stderr
    text = md.read_text()
    assert f"{res.report.overall.score:.0f}/100" in text and res.session_id in text


def test_unknown_session_is_a_clear_error(store):
    out = cli(store, "replay", "no-such-session")
    assert out.returncode == 2
    assert "no session 'no-such-session'" in out.stderr and "Traceback" not in out.stderr


def _alsa_home(tmp_path: Path) -> tuple[Path, Path]:
    """A HOME whose ~/.asoundrc makes ALSA's default device a sink that appends every stream to a file
    (through a pipe, since the file plugin truncates on each open): real sounddevice playback, no card."""
    home = tmp_path / "home"
    home.mkdir()
    sink = tmp_path / "played.raw"
    conf = ["pcm.!default {", " type file", ' slave.pcm "null"', f' file "|cat >> {sink}"', ' format "raw"', "}"]
    (home / ".asoundrc").write_text("\n".join(conf) + "\n")
    return home, sink


@pytest.mark.audio
def test_replay_audio_plays_both_sides_in_order(catalog, store, tmp_path):
    res = make_session(catalog, store, STRONG[:3], audio=True, quit_after=3)
    from interviewer.durable import write_wav

    for name in ("greeting.wav", "closing.wav"):  # a voice session saves the persona's first and last words
        write_wav(res.folder / name, (0.2 * np.sin(np.arange(4000) / 5)).astype(np.float32), 16_000)
    home, sink = _alsa_home(tmp_path)
    out = cli(store, "replay", res.session_id, "--audio", HOME=str(home))
    assert out.returncode == 0, out.stderr
    played = re.findall(r"\u25b6 ([a-z0-9 ]+): (\S+)", out.stdout)
    assert played == [("greeting", "greeting.wav"), *[
        (f"turn {i + 1} {who}", f"turn{i}-{kind}.wav") for i in range(3)
        for who, kind in (("interviewer", "question"), ("candidate", "answer"))], ("closing", "closing.wav")]
    from interviewer.voice.tts import read_wav

    clips = [read_wav(res.folder / name).samples for _, name in played]
    heard = np.fromfile(sink, dtype="<f4")  # the stream's float32 samples, as the device received them
    assert heard.size >= sum(c.size for c in clips)  # every clip reached the device
    start = 0
    for clip in clips:  # each clip, in order, where the previous one ended
        at = start + int(np.argmax(np.abs(heard[start:]) > 0))
        head = clip[int(np.argmax(np.abs(clip) > 0)):][:2000]
        assert np.allclose(heard[at : at + head.size], head, atol=1e-6)
        start = at + clip.size - int(np.argmax(np.abs(clip) > 0))


@pytest.mark.audio
def test_replay_audio_without_a_device_says_so(catalog, store, tmp_path):
    res = make_session(catalog, store, STRONG[:1], audio=True, quit_after=1)
    home = tmp_path / "nohome"
    home.mkdir()
    out = cli(store, "replay", res.session_id, "--audio", HOME=str(home))
    assert out.returncode == 2
    assert "no speaker" in out.stderr and "Traceback" not in out.stderr


def test_resume_continues_an_interrupted_session(catalog, store):
    with pytest.raises(KeyboardInterrupt):
        make_session(catalog, store, STRONG, persona="peer", interrupt_after=2)  # five rounds, five answers
    (sid,) = SessionStore(store).ids()
    before = read_session(store / sid)
    assert len(before.turns) == 2 and before.ended and before.ended.reason == "interrupted"
    answers = "".join(f"{a}\n\n" for a in STRONG[2:])
    out = cli(store, "practice", "--text", "--resume", sid, input=answers)
    assert out.returncode == 0, out.stderr
    after = read_session(store / sid)
    assert SessionStore(store).ids() == [sid]  # continued, not a new session
    assert [t.index for t in after.turns] == list(range(len(after.turns))) and len(after.turns) == 5
    assert [t.answer for t in after.turns[:2]] == [t.answer for t in before.turns]
    assert after.turns[2].answer == STRONG[2].strip()
    assert after.ended and after.ended.reason == "completed" and after.grades
    asked = [t.question for t in after.turns]
    assert len(set(asked)) == len(asked)  # no question repeated across the interruption
    assert (store / sid / "grade-v1.json").is_file() and (store / sid / "report.html").is_file()
    assert "HTML report:" in out.stdout


def test_resume_after_a_crash_mid_write(catalog, store):
    res = make_session(catalog, store, STRONG, persona="peer", quit_after=3)  # five rounds, five answers
    log = res.folder / LOG_NAME
    lines = log.read_text().splitlines(keepends=True)
    # keep session_started and the first three turns; cut the last turn's line in half (as SIGKILL can)
    kept = [ln for ln in lines if json.loads(ln)["type"] in ("session_started", "turn")][:3]
    log.write_text("".join(kept) + lines[3][: len(lines[3]) // 2])
    answers = "".join(f"{a}\n\n" for a in STRONG[2:])
    out = cli(store, "practice", "--text", "--resume", res.session_id, input=answers)
    assert out.returncode == 0, out.stderr
    after = read_session(res.folder)
    assert after.warnings == [] and len(after.turns) == 5 and after.ended.reason == "completed"
    assert (res.folder / "session.jsonl.torn").is_file()


def test_completed_session_cannot_be_resumed(catalog, store):
    res = make_session(catalog, store, STRONG)
    out = cli(store, "practice", "--text", "--resume", res.session_id, input="x\n\n")
    assert out.returncode == 2 and "already completed" in out.stderr


def test_resume_after_quit_grades_as_the_next_version(catalog, store):
    res = make_session(catalog, store, STRONG, quit_after=2)
    assert res.reason == "quit" and res.report is not None  # what was answered got graded: version 1
    out = cli(store, "practice", "--text", "--resume", res.session_id,
              input="".join(f"{a}\n\n" for a in STRONG[2:]))
    assert out.returncode == 0, out.stderr
    graded = [e for e in log_events(res.folder) if e["type"] == "graded"]
    assert [e["version"] for e in graded] == [1, 2]
    assert len(graded[1]["report"]["signals"]) == len(graded[0]["report"]["signals"])
    assert (res.folder / "grade-v2.json").is_file()
    html = (res.folder / "report.html").read_text()
    assert 'id="timeline"' in html and "Grade version</dt><dd>2" in html


@pytest.mark.parametrize("bad", ["ABS", "../outside", "20240101-000000-abcdef/../../x"])
def test_resume_refuses_ids_that_are_not_the_stores_own(catalog, store, tmp_path, bad):
    """`--resume /abs/path` used to open (and write) wherever it pointed; only the store's own ids are taken."""
    target = tmp_path / "elsewhere"
    make_session(catalog, store, STRONG, quit_after=2)  # a real unfinished session beside it
    bad = str(target) if bad == "ABS" else bad
    before = sorted(p.name for p in store.iterdir())
    out = cli(store, "practice", "--text", "--resume", bad, input="x\n\n")
    assert out.returncode == 2, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert not target.exists() and not (tmp_path / "outside").exists() and not (store.parent / "x").exists()
    assert sorted(p.name for p in store.iterdir()) == before
