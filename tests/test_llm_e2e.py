"""End to end in subprocesses: `interviewer practice --text` and `interviewer grade` through the LLM path,
against the real local server and the fault server, with a recognisable fake API key that must never
show up in anything written or printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import cli_env, run_cli
from llm_server import Fault, FaultServer

from interviewer.sessions.store import read_session

FAKE_KEY = "sk-test-RECOGNISABLE-e2e-9f8e7d6c5b4a"
ANSWERS = [
    "At 09:40 the payments API began failing for about 30 percent of requests. An error-rate alert paged me.",
    "I checked the deploy log and saw a config change at 09:35, so I suspected it before the database.",
    "I opened an incident channel and a teammate posted status updates every 15 minutes.",
    "The config change skipped the canary stage because the pipeline allowed it for config-only changes.",
    "We made the canary mandatory for config too and added an alert at 2 percent errors; it fired once since.",
]
PIPED = "\n\n".join(ANSWERS) + "\n\n"
SLOW_MODEL_TIMEOUT = "900"  # seconds: SmolLM on a busy 2-core machine is slow, and a timeout would hide the path


def assert_key_nowhere(root: Path, *outputs: str) -> None:
    for text in outputs:
        assert FAKE_KEY not in text
    written = [p for p in root.rglob("*") if p.is_file()]
    assert written
    for path in written:
        assert FAKE_KEY.encode() not in path.read_bytes(), path


def env_for(base_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return cli_env(OPENAI_BASE_URL=base_url, OPENAI_API_KEY=FAKE_KEY,
                   INTERVIEWER_SESSIONS=str(tmp_path / "sessions"), **extra)


def only_session(tmp_path: Path):
    (folder,) = [p for p in (tmp_path / "sessions").iterdir() if p.is_dir()]
    return folder, read_session(folder)


@pytest.mark.llm
@pytest.mark.slow
def test_practice_and_grade_through_the_local_server(llama_server, tmp_path: Path) -> None:
    env = env_for(llama_server.base_url, tmp_path, INTERVIEWER_LLM_TIMEOUT=SLOW_MODEL_TIMEOUT)
    before = llama_server.requests_served()
    r = run_cli("practice", "--text", "--persona", "peer", "--seed", "3", input=PIPED, env=env, timeout=3600)
    assert r.returncode == 0, r.stderr
    folder, session = only_session(tmp_path)
    assert session.meta.llm_model == "smollm2"
    assert [t.answer for t in session.turns] == ANSWERS
    assert all(t.phrased_by in ("llm:smollm2", "llm:smollm2+offline", "offline") for t in session.turns)
    assert llama_server.requests_served() - before >= 6  # every question and the grade went to the server
    (report,) = session.grades
    assert report.grader == "llm:smollm2+offline" or any("LLM judge (smollm2)" in n for n in report.notes)
    for s in report.signals:
        for q in s.evidence:
            assert q in "\n\n".join(ANSWERS)

    transcript = tmp_path / "answer.txt"
    transcript.write_text(" ".join(ANSWERS), encoding="utf-8")
    g = run_cli("grade", str(transcript), "--format", "json", env=env, timeout=3600)
    assert g.returncode == 0, g.stderr
    line = json.loads(g.stdout.strip().splitlines()[-1])
    assert line["source"] == str(transcript)
    # one answer in JSON mode at temperature 0: the judge's verdict is used, not the offline fallback
    assert line["grader"] == "llm:smollm2+offline", line["notes"]
    assert any(n.startswith("Scores combine the evidence detectors and the LLM judge") for n in line["notes"])
    assert_key_nowhere(tmp_path, r.stdout, r.stderr, g.stdout, g.stderr)


def test_a_key_echoed_by_the_server_reaches_no_file_or_output(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.default = Fault("auth_echo")
    env = env_for(fault_server.base_url, tmp_path, INTERVIEWER_MODEL="m")
    r = run_cli("practice", "--text", "--persona", "peer", "--seed", "3", input=PIPED, env=env)
    assert r.returncode == 0, r.stderr
    folder, session = only_session(tmp_path)
    assert [t.answer for t in session.turns] == ANSWERS
    (report,) = session.grades
    assert report.grader == "offline"
    note = next(n for n in report.notes if "LLM judge (m)" in n)
    assert "Incorrect API key provided: ***" in note  # the server's words, minus the key
    g = run_cli("grade", str(folder / "report.md"), "--format", "json", env=env)
    d = run_cli("doctor", env=env)
    assert "FAIL" in d.stdout and "credentials" in d.stdout
    assert fault_server.chat_requests()[0].headers["authorization"] == f"Bearer {FAKE_KEY}"
    assert_key_nowhere(tmp_path, r.stdout, r.stderr, g.stdout, g.stderr, d.stdout, d.stderr)


def test_offline_flag_and_no_endpoint_never_touch_the_network(fault_server: FaultServer, tmp_path: Path) -> None:
    env = env_for(fault_server.base_url, tmp_path)
    r = run_cli("practice", "--text", "--offline", "--persona", "peer", input=PIPED, env=env)
    assert r.returncode == 0, r.stderr
    _, session = only_session(tmp_path)
    assert all(t.phrased_by == "offline" for t in session.turns)
    assert session.grades[0].grader == "offline" and session.meta.llm_model is None
    assert fault_server.requests == []
