"""Whole interviews through the LLM persona and judge against a misbehaving endpoint.

Each fault ends in the offline fallback, and the session log still holds every finished turn.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from llm_server import BlackHole, Fault, FaultServer, free_port
from test_llm_client import FakeClock, client_for

from interviewer.interview import InterviewSetup, run_interview
from interviewer.interview.text import TextChannel
from interviewer.llm.judge import LLMGrader, LLMJudge
from interviewer.llm.persona import LLMPhraser
from interviewer.models import Level
from interviewer.sessions.store import SessionStore, read_session

ANSWERS = [
    "Our billing API started timing out at 10:05 for about a quarter of invoices. A latency alert paged me.",
    "I compared the slow query log with the deploy at 09:58 and suspected a missing index.",
    "I opened an incident channel and posted updates every 15 minutes while a teammate owned comms.",
    "At first we blamed the database vendor, but the real gap was that migrations skipped load tests.",
    "We added a load test stage and an alert at 2 seconds p99; it caught a similar change within a month.",
]


def setup_for(catalog) -> InterviewSetup:
    persona = catalog.personas["peer"]
    question = sorted(catalog.questions.values(), key=lambda q: q.id)[0]
    return InterviewSetup(persona=persona, rubric=catalog.rubrics["production-incident"], level=Level.L5,
                          question=question, llm_model="m")


def run(catalog, tmp_path: Path, base_url: str, **client_over):
    LLMJudge.format_cache.clear()
    clock = FakeClock()  # backoff sleeps advance a clock instead of waiting
    phraser = LLMPhraser(client_for(base_url, clock, **client_over), "m")
    grader = LLMGrader(client_for(base_url, clock, **client_over), "m")
    channel = TextChannel(stdin=io.StringIO("\n\n".join(ANSWERS) + "\n\n"), stdout=io.StringIO())
    store = SessionStore(tmp_path / "sessions")
    result = run_interview(setup_for(catalog), channel, grader, store, phraser=phraser)
    return result, read_session(result.folder), channel.stdout.getvalue()


def assert_no_turn_lost(session, result) -> None:
    assert [t.answer for t in session.turns] == ANSWERS
    assert [t.round.value for t in session.turns] == ["opening", "probe", "constraint", "curveball", "synthesis"]
    assert all(t.question.strip() for t in session.turns)
    assert session.ended is not None and session.ended.reason == "completed"
    assert len(session.grades) == 1 and result.report is not None


FAULTS = {
    "429": Fault("429", retry_after="2"),
    "500": Fault("500"),
    "slow": Fault("ok", delay=1.0),
    "empty": Fault("empty"),
    "dropped": Fault("drop"),
    "garbage": Fault("garbage"),
    "truncated": Fault("truncated", "What did you check first when it broke, and why?"),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_a_faulty_endpoint_never_loses_a_turn(fault_server: FaultServer, catalog, tmp_path: Path,
                                              name: str) -> None:
    fault_server.default = FAULTS[name]
    result, session, out = run(catalog, tmp_path, fault_server.base_url, read_timeout=0.3, max_attempts=2)
    assert_no_turn_lost(session, result)
    report = session.grades[0]
    assert report.grader == "offline"
    assert any("LLM judge (m) gave no usable verdict" in n for n in report.notes)
    for turn in session.turns:
        assert turn.phrased_by in ("offline", "llm:m+offline")
    assert len(fault_server.chat_requests()) >= 6  # the LLM was asked for every question and the grade


def test_connection_refused_runs_the_whole_interview_offline(catalog, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/v1"
    result, session, _ = run(catalog, tmp_path, dead, max_attempts=2)
    assert_no_turn_lost(session, result)
    assert all(t.phrased_by == "offline" for t in session.turns)
    assert any("cannot connect" in n for n in session.grades[0].notes)


def test_a_connect_timeout_runs_the_whole_interview_offline(catalog, tmp_path: Path) -> None:
    with BlackHole() as hole:
        result, session, _ = run(catalog, tmp_path, hole.base_url, connect_timeout=0.2, max_attempts=2)
    assert_no_turn_lost(session, result)
    assert all(t.phrased_by == "offline" for t in session.turns)
    assert any("timed out" in n for n in session.grades[0].notes)


def test_an_endpoint_dying_mid_interview(fault_server: FaultServer, catalog, tmp_path: Path) -> None:
    good = ["You said the billing API timed out. What did you look at first?",
            "What did the latency alert tell you about the billing API?"]
    fault_server.push(*(Fault("ok", q) for q in good))
    fault_server.default = Fault("500")
    result, session, out = run(catalog, tmp_path, fault_server.base_url, max_attempts=2)
    assert_no_turn_lost(session, result)
    assert [t.phrased_by for t in session.turns[:2]] == ["llm:m", "llm:m"]
    assert session.turns[0].question == good[0]
    assert all(t.phrased_by == "offline" for t in session.turns[2:])
    assert good[1] in out  # what the candidate saw is what was logged


def test_context_overflow_in_a_long_interview(fault_server: FaultServer, catalog, tmp_path: Path) -> None:
    fault_server.context_limit_turns = 2
    verdict = {"signals": {s: {"score": 2, "quotes": [], "rationale": "r"} for s in
                           ("impact", "detection", "timeline", "mitigation", "diagnosis", "root_cause",
                            "communication", "ownership", "prevention", "reflection")},
               "flags": [], "summary": ""}
    questions = iter(["Tell me about an outage you owned from start to finish?",
                      "Which dashboard did you open first?", "Who did you tell, and when?",
                      "What would someone on the database team say caused it?", "How do you know the fix held?"])

    def reply(body: dict) -> str:
        return json.dumps(verdict) if "response_format" in body else next(questions)

    fault_server.default = Fault("ok", reply)
    result, session, _ = run(catalog, tmp_path, fault_server.base_url)
    assert_no_turn_lost(session, result)
    assert [t.phrased_by for t in session.turns] == ["llm:m"] * 5
    assert session.grades[0].grader == "llm:m+offline"
    assert any("saw only the last 2 turn(s)" in n for n in session.grades[0].notes)
