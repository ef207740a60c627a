"""The LLM judge: structured output, re-asks with the validation error, format fallback, verbatim quotes,
the combination rules, and the offline fallback with a visible note."""

from __future__ import annotations

import json

import pytest
from llm_server import Fault, FaultServer
from test_llm_client import client_for

from interviewer.grading import grade as offline_grade
from interviewer.llm.blend import COMBINE_NOTE, combine, find_verbatim
from interviewer.llm.judge import LLMGrader, LLMJudge
from interviewer.llm.verdict import Verdict, parse_verdict
from interviewer.models import SIGNAL_IDS, Level, RoundKind, Turn, candidate_text

ANSWER = (
    "Last spring our order service started returning errors for about 20 percent of checkouts. "
    "A latency alert paged me at 14:05 and I opened an incident channel. "
    "I rolled back the morning deploy at 14:20, which stopped the errors. "
    "The cause was a connection pool setting that nobody had load tested. "
    "Afterwards we added a load test to the pipeline."
)
MIXED_SPACING = "a latency   ALERT paged me at 14:05"


def turns(answer: str = ANSWER) -> list[Turn]:
    return [Turn(index=0, round=RoundKind.opening, question="Tell me about an incident you handled.",
                 answer=answer)]


def verdict_json(scores: dict[str, int] | None = None, quotes: dict[str, list[str]] | None = None,
                 flags: list[dict] | None = None, summary: str = "Solid story.") -> str:
    scores = scores or {}
    quotes = quotes or {}
    return json.dumps({
        "signals": {sid: {"score": scores.get(sid, 2), "quotes": quotes.get(sid, []), "rationale": "r"}
                    for sid in SIGNAL_IDS},
        "flags": flags or [],
        "summary": summary,
    })


@pytest.fixture(autouse=True)
def fresh_format_cache():
    LLMJudge.format_cache.clear()
    yield
    LLMJudge.format_cache.clear()


def grader_for(server: FaultServer, **over) -> LLMGrader:
    return LLMGrader(client_for(server, **over), "m", endpoint=server.base_url)


# --- pure parts ----------------------------------------------------------------------------


def test_find_verbatim_returns_the_transcripts_own_text() -> None:
    assert find_verbatim("I rolled back the morning deploy", ANSWER) == "I rolled back the morning deploy"
    found = find_verbatim(MIXED_SPACING, ANSWER)
    assert found == "A latency alert paged me at 14:05" and found in ANSWER
    assert find_verbatim('"I rolled back the deploy quickly"', ANSWER) is None  # paraphrase
    assert find_verbatim("the", ANSWER) is None  # too short to be evidence
    assert find_verbatim("...which stopped the errors.", ANSWER) == "which stopped the errors"


def test_parse_verdict_tolerates_fences_and_rejects_bad_shapes() -> None:
    v = parse_verdict("Here you go:\n```json\n" + verdict_json({"impact": 3}) + "\n```")
    assert v.signal("impact").score == 3
    with pytest.raises(ValueError, match="cut off"):
        parse_verdict('{"signals": {"impact": ')
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_verdict('{"signals": {impact: 4}}')
    missing = json.loads(verdict_json())
    del missing["signals"]["reflection"]
    with pytest.raises(ValueError, match="reflection"):
        parse_verdict(json.dumps(missing))
    bad = json.loads(verdict_json())
    bad["signals"]["impact"]["score"] = 7
    with pytest.raises(ValueError, match="0, 1, 2, 3 or 4"):
        parse_verdict(json.dumps(bad))


def test_combination_rules(catalog) -> None:
    rubric = catalog.rubrics["production-incident"]
    base = offline_grade(turns(), rubric, Level.L5)
    det = {s.id: s.score for s in base.signals}
    text = candidate_text(turns())
    up_quoted = next(s for s in SIGNAL_IDS if det[s] <= 2 and s not in _capped(base))
    down = next(s for s in SIGNAL_IDS if det[s] >= 1 and s != up_quoted)
    unquoted = next(s for s in SIGNAL_IDS if s not in (up_quoted, down) and det[s] <= 1)
    v = Verdict.model_validate(json.loads(verdict_json(
        scores={**det, up_quoted: 4, down: 0, unquoted: 4},
        quotes={up_quoted: ["i ROLLED back the morning deploy", "words the candidate never said at all"]},
    )))
    report = combine(base, v, text, [], rubric)
    got = {s.id: s for s in report.signals}
    assert got[up_quoted].score == det[up_quoted] + 1  # a quoted rise, bounded by one point
    assert "I rolled back the morning deploy" in got[up_quoted].evidence  # the transcript's exact text
    assert got[down].score == det[down] - 1  # the LLM may lower, by one point
    assert got[unquoted].score <= det[unquoted]  # no quote: no rise, and 4 counts as 2 at most
    assert got[up_quoted].llm_score == 4 and got[up_quoted].detector_score == det[up_quoted]
    assert COMBINE_NOTE in report.notes
    assert any("1 quote(s)" in n and "dropped" in n for n in report.notes)
    for s in report.signals:
        assert abs(s.score - det[s.id]) <= 1
        for q in s.evidence:
            assert q in text


def _capped(report) -> set[str]:
    from interviewer.grading import scoring

    return {scoring.FLAG_SIGNAL[f] for f in report.flag_ids()}


def test_a_flag_capped_signal_cannot_rise(catalog) -> None:
    rubric = catalog.rubrics["production-incident"]
    hero = ("I fixed it all by myself while everyone else panicked. Nobody else could have done it. "
            "I alone found the bug at 3am and I patched it.")
    base = offline_grade(turns(hero), rubric, Level.L5)
    assert "hero" in base.flag_ids()
    det = base.signal("ownership").score
    v = Verdict.model_validate(json.loads(verdict_json(
        scores={"ownership": 4}, quotes={"ownership": ["I alone found the bug at 3am"]})))
    report = combine(base, v, candidate_text(turns(hero)), [], rubric)
    assert report.signal("ownership").score <= det
    assert "hero" in report.flag_ids()


# --- against the fault server --------------------------------------------------------------


def test_a_valid_verdict_is_merged(fault_server: FaultServer, catalog) -> None:
    rubric = catalog.rubrics["production-incident"]
    fault_server.default = Fault("ok", verdict_json(summary="Clear mitigation."))
    report = grader_for(fault_server).grade(turns(), rubric, Level.L5, "Tell me about an incident.")
    assert report.grader == "llm:m+offline"
    assert COMBINE_NOTE in report.notes
    assert "LLM judge's summary: Clear mitigation." in report.notes
    body = fault_server.chat_requests()[0].body
    assert body["temperature"] == 0 and body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is True
    user = body["messages"][1]["content"]
    assert "I rolled back the morning deploy at 14:20" in user


def test_invalid_json_is_re_asked_with_the_error(fault_server: FaultServer, catalog) -> None:
    rubric = catalog.rubrics["production-incident"]
    fault_server.push(Fault("garbage"), Fault("ok", verdict_json()))
    report = grader_for(fault_server).grade(turns(), rubric, Level.L5)
    assert report.grader == "llm:m+offline"
    second = fault_server.chat_requests()[1].body["messages"]
    assert second[-2]["role"] == "assistant" and "{not json" in second[-2]["content"]
    assert "not valid" in second[-1]["content"] and "JSON" in second[-1]["content"]


def test_when_re_asks_run_out_the_offline_grade_is_used_with_a_note(fault_server: FaultServer, catalog) -> None:
    rubric = catalog.rubrics["production-incident"]
    fault_server.default = Fault("truncated", verdict_json())
    grader = grader_for(fault_server)
    report = grader.grade(turns(), rubric, Level.L5)
    offline = offline_grade(turns(), rubric, Level.L5)
    assert report.grader == "offline"
    assert [s.score for s in report.signals] == [s.score for s in offline.signals]
    assert any("no usable verdict after 3 attempt(s)" in n for n in report.notes)
    err = grader.last_error
    assert err is not None and err.attempts == 3 and err.last_output and err.last_output.startswith("{")
    assert len(fault_server.chat_requests()) == 3


def test_json_schema_unsupported_falls_back_to_json_mode_and_remembers(fault_server: FaultServer,
                                                                       catalog) -> None:
    rubric = catalog.rubrics["production-incident"]
    fault_server.push(Fault("bad_format"))
    fault_server.default = Fault("ok", verdict_json())
    grader = grader_for(fault_server)
    assert grader.grade(turns(), rubric, Level.L5).grader == "llm:m+offline"
    formats = [r.body["response_format"] for r in fault_server.chat_requests()]
    assert formats[0]["type"] == "json_schema" and formats[1]["type"] == "json_object"
    assert "JSON schema" in fault_server.chat_requests()[1].body["messages"][0]["content"]
    grader.grade(turns(), rubric, Level.L5)
    assert fault_server.chat_requests()[2].body["response_format"]["type"] == "json_object"  # remembered


@pytest.mark.parametrize("fault", [Fault("500"), Fault("empty"), Fault("ok", delay=1.0)])
def test_a_dead_endpoint_gives_the_offline_grade(fault_server: FaultServer, catalog, fault: Fault) -> None:
    rubric = catalog.rubrics["production-incident"]
    fault_server.default = fault
    report = grader_for(fault_server, read_timeout=0.3, max_attempts=2).grade(turns(), rubric, Level.L5)
    assert report.grader == "offline" and any("LLM judge" in n for n in report.notes)


def test_the_same_transcript_gets_the_same_prompt(fault_server: FaultServer, catalog) -> None:
    """Temperature 0 can only be consistent if the prompt is: the data tag is a hash of the answers."""
    rubric = catalog.rubrics["production-incident"]
    fault_server.default = Fault("ok", verdict_json())
    for answer in (ANSWER, ANSWER, ANSWER + " We also wrote a runbook."):
        grader_for(fault_server).grade(turns(answer), rubric, Level.L5, "q")
    first, second, third = (r.body["messages"] for r in fault_server.chat_requests())
    assert first == second and first != third
    tag = first[1]["content"].split("<", 1)[1].split(">", 1)[0]
    assert tag.startswith("transcript-") and tag in first[0]["content"] and tag not in ANSWER


def test_context_overflow_trims_older_turns(fault_server: FaultServer, catalog) -> None:
    rubric = catalog.rubrics["production-incident"]
    many = [Turn(index=i, round=RoundKind.opening, question=f"Q{i}?", answer=f"{ANSWER} (part {i})")
            for i in range(4)]
    fault_server.context_limit_turns = 2
    fault_server.default = Fault("ok", verdict_json())
    report = grader_for(fault_server).grade(many, rubric, Level.L5)
    assert report.grader == "llm:m+offline"
    assert any("saw only the last 2 turn(s)" in n for n in report.notes)
    last = fault_server.chat_requests()[-1].body["messages"][1]["content"]
    assert "(part 3)" in last and "(part 0)" not in last
