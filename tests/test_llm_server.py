"""The LLM path against a real OpenAI-compatible server: llama-cpp-python serving SmolLM2-135M.

Its answers are poor; these tests prove the plumbing: chat, streaming, the json_schema -> JSON mode
fallback, validation and the fallbacks, on a real HTTP server.
"""

from __future__ import annotations

import pytest

from interviewer.llm import ChatClient, LLMConfig
from interviewer.llm.judge import LLMGrader, LLMJudge
from interviewer.llm.persona import MAX_WORDS, LLMPhraser, leak
from interviewer.models import InterviewerNote, Level, RoundKind, Turn
from interviewer.protocols import PlannedQuestion

pytestmark = [pytest.mark.llm, pytest.mark.slow]
TRUNCATING_MAX_TOKENS = 40  # far too few for a verdict: every reply is cut off mid-JSON

ANSWER = (
    "At 09:40 the payments API began failing for about 30 percent of requests. An error-rate alert paged me "
    "two minutes later. I rolled back the deploy at 09:52 and the errors stopped. The cause was a config "
    "change that skipped the canary stage. Afterwards we made the canary mandatory and added an alert at "
    "2 percent errors."
)


def client(server, **over) -> ChatClient:
    return ChatClient(LLMConfig(base_url=server.base_url, model=server.model, has_key=False, **over))


def turns() -> list[Turn]:
    return [Turn(index=0, round=RoundKind.opening, question="Tell me about a production incident you handled.",
                 answer=ANSWER)]


def test_chat_and_stream(llama_server) -> None:
    c = client(llama_server)
    text = c.chat([{"role": "user", "content": "Say hello."}], max_tokens=12, temperature=0)
    assert text.strip()
    deltas = list(c.stream([{"role": "user", "content": "Count to five."}], max_tokens=16, temperature=0))
    assert len(deltas) > 1 and "".join(deltas).strip()


def test_judge_json_mode_re_asks_then_falls_back(llama_server, catalog) -> None:
    """json_schema is refused, JSON mode is used; a reply cut short by max_tokens fails validation, is re-asked
    with the error, then the offline grade is used with a note."""
    LLMJudge.format_cache.clear()
    rubric = catalog.rubrics["production-incident"]
    grader = LLMGrader(client(llama_server, read_timeout=600.0), llama_server.model,
                       endpoint=llama_server.base_url, attempts=2)
    grader.judge.max_tokens = TRUNCATING_MAX_TOKENS
    before = llama_server.requests_served()
    report = grader.grade(turns(), rubric, Level.L5)
    # llama-cpp-python rejects json_schema (HTTP 500); JSON mode with the schema attached is remembered
    assert grader.judge.format_used == "json_object+schema"
    assert LLMJudge.format_cache[grader.judge.key] == "json_object+schema"
    assert llama_server.requests_served() - before == 3  # refused json_schema + two JSON-mode attempts
    err = grader.last_error
    assert err is not None and err.attempts == 2 and err.last_output and err.last_output.lstrip().startswith("{")
    assert report.grader == "offline" and any("no usable verdict after 2 attempt(s)" in n for n in report.notes)


def test_phraser_streams_a_checked_question_or_the_planned_one(llama_server, catalog) -> None:
    persona = next(iter(catalog.personas.values()))
    planned = PlannedQuestion(round=RoundKind.probe, text="What did you check first when the errors started?",
                              target="diagnosis", note=InterviewerNote(gap="diagnosis"))
    phraser = LLMPhraser(client(llama_server, read_timeout=30.0), llama_server.model)
    said = "".join(phraser.phrase(planned, persona, turns()))
    assert said.strip()
    if phraser.name == "offline":
        assert said == planned.text and phraser.last_problem
    else:
        assert leak(said) is None or said.endswith(planned.text)
        assert said.count("?") == 1
        assert phraser.name == "llm:smollm2+offline" or len(said.split()) <= MAX_WORDS
