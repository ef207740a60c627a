"""The markdown report: every part of a real offline grade shows up, quotes verbatim, transcript in order."""

from __future__ import annotations

from interviewer.grading import grade
from interviewer.models import Level, RoundKind, SessionMeta, Turn, candidate_text
from interviewer.report.markdown import TOP_IMPROVEMENTS, label, render_markdown

TURNS = [
    Turn(index=0, round=RoundKind.opening, question="Tell me about an outage.",
         answer="Our DNS provider failed at 11:00 and 60 percent of API calls timed out for half an hour. "
                "Honestly Marco broke it by pushing the wrong record, it was his fault."),
    Turn(index=1, round=RoundKind.probe, question="What did you look at first?", skipped=True),
    Turn(index=2, round=RoundKind.constraint, question="Who was told?",
         answer="I fixed it myself and the site was fine again.\nNobody else was around."),
]


def test_report_shows_overall_signals_flags_delivery_and_transcript(catalog):
    report = grade(TURNS, catalog.rubric(), Level.L5, TURNS[0].question)
    meta = SessionMeta(id="20260101-000000-abcdef", persona="peer", level=Level.L5, question=TURNS[0].question)
    md = render_markdown(report, TURNS, meta)
    assert md.startswith("# Interview report\n")
    assert f"**{report.overall.score:.0f}/100, grade {report.overall.letter}" in md
    assert "session 20260101-000000-abcdef" in md and "persona peer" in md
    for s in report.signals:
        assert f"### {label(s.id)}: {s.score}/4" in md
        for quote in s.evidence:
            assert f'- "{quote.strip()}"' in md
    assert report.flags, "this answer should raise flags"
    for f in report.flags:
        for quote in f.evidence:
            assert f'  - "{quote.strip()}"' in md
    text = candidate_text(TURNS)
    evidence_part = md.split("## Delivery")[0]
    quoted = [line.strip()[3:-1] for line in evidence_part.splitlines() if line.strip().startswith('- "')]
    assert quoted and all(q in text for q in quoted), "a quote in the report is not verbatim"
    improvements = md.split("## Top improvements")[1].split("## Signals")[0]
    assert 1 <= improvements.count("\n1. ") + improvements.count("\n2. ") + improvements.count("\n3. ") <= TOP_IMPROVEMENTS
    assert "## Delivery" in md and f"{report.delivery.words} words" in md
    transcript = md.split("## Transcript")[1]
    assert transcript.index("Tell me about an outage.") < transcript.index("What did you look at first?")
    assert "_(skipped)_" in transcript
    assert "> I fixed it myself and the site was fine again.\n> Nobody else was around." in transcript


def test_report_without_turns_or_meta_has_no_transcript(catalog):
    report = grade(TURNS, catalog.rubric(), Level.L4, None)
    md = render_markdown(report, title="Grade: answer.txt")
    assert md.startswith("# Grade: answer.txt\n")
    assert "## Transcript" not in md and "session " not in md
    assert "level L4" in md


def test_with_the_rubric_the_report_names_anchors_expectations_and_flag_advice(catalog):
    rubric = catalog.rubric()
    report = grade(TURNS, rubric, Level.staff, None)
    md = render_markdown(report, TURNS, rubric=rubric)
    for s in report.signals:
        sig = rubric.signal(s.id)
        assert f"### {sig.name}: {s.score}/4" in md
        assert f"_{sig.anchors[s.score]}_" in md
        if s.score < 4 and Level.staff in sig.level_expectations:
            assert f"Expected at staff: {sig.level_expectations[Level.staff]}" in md
    for f in report.flags:
        assert f"- **{rubric.flag(f.id).name}**: {rubric.flag(f.id).advice}" in md
