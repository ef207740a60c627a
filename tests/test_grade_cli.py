"""`interviewer grade` and the listing commands end to end in subprocesses; the grade seam in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

from interviewer.batch.pipeline import GradeContext, grade_input
from interviewer.batch.transcripts import read_transcript
from interviewer.errors import InputFileError
from interviewer.grading import OfflineGrader
from interviewer.models import SIGNAL_IDS, GradeReport, Level

GOOD = (
    "On a Tuesday at 16:20 our order export job began writing duplicate rows, and about 2,000 shops received "
    "doubled invoices over three hours. A customer ticket told us first, which was the first lesson. I paused "
    "the export job at 16:45 to stop more damage, then my teammate and I traced it to a retry that was not "
    "idempotent. The review process never asked about retries and we had no check on duplicate rows. Within "
    "two weeks we added an idempotency key and an alert on duplicate invoice counts."
)
SECOND = (
    "Our search cluster ran out of disk at 03:10 and queries failed for twenty minutes. I added nodes to scale "
    "out, then we found the log retention setting had been removed in a refactor."
)
REPORT_FIELDS = set(GradeReport.model_fields)


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    files = {
        "good": tmp_path / "good.txt",
        "second": tmp_path / "second.txt",
        "latin1": tmp_path / "latin1.txt",
        "empty": tmp_path / "empty.txt",
        "blank": tmp_path / "blank.txt",
        "missing": tmp_path / "missing.txt",
        "nodir": tmp_path / "no-transcripts",
    }
    files["good"].write_text(GOOD, encoding="utf-8")
    files["second"].write_text(SECOND, encoding="utf-8")
    files["latin1"].write_bytes("Le d\u00e9ploiement a \u00e9chou\u00e9.".encode("latin-1"))
    files["empty"].write_bytes(b"")
    files["blank"].write_text(" \n\t\n", encoding="utf-8")
    files["nodir"].mkdir()  # a folder with nothing in it: one error row naming it
    return files


def test_json_lines_with_good_and_bad_inputs(inputs):
    order = ["good", "missing", "latin1", "empty", "blank", "nodir", "second"]
    r = run_cli("grade", *(str(inputs[k]) for k in order), "--format", "json", "--level", "L4",
                "--question", "Tell me about an incident.")
    assert r.returncode == 1, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [line["source"] for line in lines] == [str(inputs[k]) for k in order]
    by = dict(zip(order, lines, strict=True))
    for key in ("good", "second"):
        rec = by[key]
        assert "error" not in rec
        assert set(rec) >= REPORT_FIELDS
        GradeReport.model_validate({k: v for k, v in rec.items() if k != "source"})
        assert rec["level"] == "L4" and rec["question"] == "Tell me about an incident."
        assert [s["id"] for s in rec["signals"]] == list(SIGNAL_IDS)
        text = inputs[key].read_text(encoding="utf-8")
        for quote in [q for s in rec["signals"] for q in s["evidence"]] + [q for f in rec["flags"] for q in f["evidence"]]:
            assert quote in text, f"evidence is not verbatim: {quote!r}"
    assert "no such file" in by["missing"]["error"]
    assert "not UTF-8" in by["latin1"]["error"]
    assert "is empty" in by["empty"]["error"]
    assert "only whitespace" in by["blank"]["error"]
    assert "no transcripts" in by["nodir"]["error"]
    for key in ("missing", "latin1", "empty", "blank", "nodir"):
        assert set(by[key]) == {"source", "error"}
        assert str(inputs[key]) in by[key]["error"]  # the message names the input
    assert "5 of 7 inputs could not be graded" in r.stderr


def test_a_file_that_is_not_a_transcript_inside_a_folder_gets_its_own_row(tmp_path):
    folder = tmp_path / "cohort"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD, encoding="utf-8")
    (folder / "notes.md").write_text("not a transcript", encoding="utf-8")
    r = run_cli("grade", str(folder), "--format", "json")
    assert r.returncode == 1
    rows = {Path(rec["source"]).name: rec for rec in map(json.loads, r.stdout.splitlines())}
    assert "error" not in rows["a.txt"]
    assert "unsupported file type .md" in rows["notes.md"]["error"]


def test_markdown_output_names_each_input_and_each_failure(inputs):
    r = run_cli("grade", str(inputs["good"]), str(inputs["missing"]), str(inputs["latin1"]))
    assert r.returncode == 1
    assert f"# Grade: {inputs['good']}" in r.stdout
    assert "## Signals" in r.stdout and "## Red flags" in r.stdout and "## Delivery" in r.stdout
    assert f"interviewer: {inputs['missing']}: no such file" in r.stderr
    assert f"interviewer: {inputs['latin1']}: not UTF-8" in r.stderr
    assert "Traceback" not in r.stderr


def test_all_good_exits_zero_and_a_folder_expands_to_its_transcripts(inputs, tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD, encoding="utf-8")
    (folder / "b.txt").write_text(SECOND, encoding="utf-8")
    r = run_cli("grade", str(folder), str(inputs["second"]), "--format", "json")
    assert r.returncode == 0, r.stderr
    sources = [json.loads(line)["source"] for line in r.stdout.splitlines()]
    assert sources == [str(folder / "a.txt"), str(folder / "b.txt"), str(inputs["second"])]


def test_strong_answer_outscores_a_thin_one(inputs):
    r = run_cli("grade", str(inputs["good"]), str(inputs["second"]), "--format", "json")
    good, thin = (json.loads(line) for line in r.stdout.splitlines())
    assert good["overall"]["score"] > thin["overall"]["score"]


def test_unknown_rubric_is_a_usage_error(inputs):
    r = run_cli("grade", str(inputs["good"]), "--rubric", "sales-call")
    assert r.returncode == 2
    assert "sales-call" in r.stderr and "production-incident" in r.stderr


def test_grade_input_seam_returns_errors_instead_of_raising(inputs, catalog):
    ctx = GradeContext(rubric=catalog.rubric(), level=Level.L5, grader=OfflineGrader())
    [ok] = grade_input(inputs["good"], ctx)
    assert ok.error is None and ok.report is not None and ok.turns[0].answer == GOOD
    [bad] = grade_input(inputs["latin1"], ctx)
    assert bad.report is None and "not UTF-8" in bad.error
    with pytest.raises(InputFileError, match="is a folder"):
        read_transcript(inputs["nodir"])


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))
    assert read_transcript(path) == GOOD


# --- the listing commands -------------------------------------------------------------------


def test_listing_commands(catalog):
    r = run_cli("personas")
    assert r.returncode == 0
    for pid in ("peer", "bar-raiser", "exec"):
        assert pid in r.stdout
    r = run_cli("rubrics")
    assert r.returncode == 0 and "production-incident" in r.stdout and "root_cause" in r.stdout
    r = run_cli("questions")
    assert r.returncode == 0
    assert all(qid in r.stdout for qid in catalog.questions)
    assert "[staff]" in r.stdout


def test_labelled_transcript_grades_only_the_candidate(tmp_path):
    path = tmp_path / "dialogue.txt"
    path.write_text(
        "Interviewer: Tell me about an incident where someone else's mistake took production down.\n"
        "Candidate: At 08:30 our queue consumers stalled and 4,000 emails were delayed by an hour.\n"
        "I paused the producer at 08:41 to stop the backlog growing.\n"
        "Interviewer: Whose fault was it? Did Bob's team break it?\n"
        "Candidate: The deploy pipeline had no canary stage, so a bad build reached every consumer at once.\n",
        encoding="utf-8",
    )
    r = run_cli("grade", str(path), "--format", "json")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["question"].startswith("Tell me about an incident where someone else's mistake")
    quotes = [q for s in rec["signals"] for q in s["evidence"]] + [q for f in rec["flags"] for q in f["evidence"]]
    assert quotes
    assert not any("Bob" in q or "Whose fault" in q or "Tell me about" in q for q in quotes)
    assert "blame" not in [f["id"] for f in rec["flags"]]  # the interviewer's words are not the candidate's


def test_labelled_transcript_without_answers_is_an_error(tmp_path):
    path = tmp_path / "questions-only.txt"
    path.write_text("Interviewer: Tell me about an incident.\nCandidate:\nInterviewer: Anything?\n", encoding="utf-8")
    r = run_cli("grade", str(path), "--format", "json")
    assert r.returncode == 1
    assert json.loads(r.stdout)["error"].endswith("interviewer lines but no answers to grade")
