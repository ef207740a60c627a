"""The grade report as readable markdown: for the terminal, `report.md` in a session, and `grade --format markdown`.

Pure: a GradeReport (plus, optionally, the turns and session metadata) in, a string out. Text that comes
from a transcript, a grader or a data file goes through `md_text`, so a markdown viewer shows `<script>` as
text instead of running it as HTML.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..clock import clock
from ..models import MAX_SCORE, PRESENT_SCORE, GradeReport, Level, Rubric, SessionMeta, SignalScore, Turn
from .data import RetryView
from .notes import turn_notes

TOP_IMPROVEMENTS = 3
RECOMMENDATION_WORDS = {
    "strong_hire": "strong hire",
    "hire": "hire",
    "lean_hire": "lean hire",
    "lean_no_hire": "lean no hire",
    "no_hire": "no hire",
}
FLAG_NAMES = {
    "blame": "Blame",
    "hero": "Solo hero",
    "conflation": "Mitigation, fix and prevention conflated",
    "vague": "Vague",
    "no_prevention": "No prevention",
}


_HTML_CHARS = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def md_text(text: object) -> str:
    """Text for a markdown page: `&`, `<` and `>` as entities, so no viewer renders them as HTML (the
    entities display as the characters themselves)."""
    return str(text).translate(_HTML_CHARS)


def label(identifier: str) -> str:
    """'root_cause' -> 'Root cause'."""
    return identifier.replace("_", " ").replace("-", " ").capitalize()


def _bar(score: int) -> str:
    return "●" * score + "○" * (MAX_SCORE - score)


def _clock(seconds: float) -> str:
    return clock(round(seconds))


def _quote_lines(text: str, prefix: str = "> ") -> list[str]:
    return [f"{prefix}{md_text(line)}".rstrip() for line in text.strip().splitlines()] or [prefix.rstrip()]


def _signal_name(signal_id: str, rubric: Rubric | None) -> str:
    try:
        return md_text(rubric.signal(signal_id).name) if rubric else label(signal_id)
    except KeyError:
        return label(signal_id)


def _signal_section(s: SignalScore, rubric: Rubric | None, level: Level) -> list[str]:
    verdict = "present" if s.score >= PRESENT_SCORE else "missing or thin"
    out = [f"### {_signal_name(s.id, rubric)}: {s.score}/{MAX_SCORE} {_bar(s.score)} ({verdict})", ""]
    if rubric is not None:
        try:
            sig = rubric.signal(s.id)
        except KeyError:
            sig = None
        if sig is not None:
            out += [f"_{md_text(sig.anchors[s.score])}_", ""]
            expected = sig.level_expectations.get(level)
            if expected and s.score < MAX_SCORE:
                out += [f"Expected at {level.value}: {md_text(expected)}", ""]
    if s.detector_score is not None and s.llm_score is not None:
        out += [f"Detectors {s.detector_score}/{MAX_SCORE}, LLM judge {s.llm_score}/{MAX_SCORE}.", ""]
    if s.evidence:
        out.append("Evidence:")
        out += [f'- "{md_text(q.strip())}"' for q in s.evidence]
    else:
        out.append("Evidence: nothing in the answer.")
    if s.advice and s.score < MAX_SCORE:
        out += ["", f"Advice: {md_text(s.advice)}"]
    out.append("")
    return out


def _delivery(report: GradeReport) -> list[str]:
    d = report.delivery
    out = ["## Delivery", ""]
    spoken = f"{d.words} words, {_clock(d.talk_seconds)} spoken in all" if d.talk_seconds else f"{d.words} words in all"
    story = _clock(d.estimated_seconds) + ("" if d.talk_seconds else " at a typical pace")
    out.append(f"- Length: {spoken}; the opening story took {story} against a "
               f"{_clock(d.target_seconds)} target ({d.length_verdict.replace('_', ' ')})")
    if d.words_per_minute is not None:
        out.append(f"- Pace: {d.words_per_minute:.0f} words per minute")
    if d.long_pauses is not None:
        out.append(f"- Long pauses (over 2 s): {d.long_pauses}")
    fillers = ", ".join(f"{md_text(w)} ×{n}" for w, n in sorted(d.fillers.items(), key=lambda kv: -kv[1])) or "none"
    out.append(f"- Filler words: {fillers} ({d.filler_rate:.1f} per 100 words)")
    if d.filler_note:
        out.append(f"  - {md_text(d.filler_note)}")
    if d.i_we_ratio is not None:
        out.append(f'- "I" vs "we": {d.i_count} / {d.we_count} ({d.i_we_ratio:.0%} "I")')
    else:
        out.append('- "I" vs "we": neither used')
    hedges = ", ".join(f"{md_text(w)} ×{n}" for w, n in sorted(d.hedges.items(), key=lambda kv: -kv[1])) or "none"
    out += [f"- Hedges: {hedges}", ""]
    return out


def _transcript(turns: list[Turn]) -> list[str]:
    out = ["## Transcript", ""]
    for t in turns:
        out += [f"### {t.index + 1}. {label(t.round.value)}", "", f"**Interviewer:** {md_text(t.question.strip())}",
                ""]
        if t.skipped:
            out += ["**You:** _(skipped)_", ""]
        elif not t.answer.strip():
            out += ["**You:** _(no answer)_", ""]
        else:
            out += ["**You:**", "", *_quote_lines(t.answer), ""]
        for note in turn_notes(t):
            out += [f"_{note}_", ""]
    return out


def _retries(views: Sequence[RetryView], rubric: Rubric | None) -> list[str]:
    if not views:
        return []
    out = ["## Retries", ""]
    for v in views:
        before = "-" if v.before_score is None else v.before_score
        overall = "" if v.before_overall is None else f"{v.before_overall:.0f} -> "
        out += [f"### Retry {v.attempt}: {_signal_name(v.signal, rubric)} {before} -> {v.after_score}/{MAX_SCORE}, "
                f"overall {overall}{v.after_overall:.0f}", ""]
        out += [f"- gained: \u201c{md_text(q)}\u201d" for q in v.gained]
        out += [f"- lost: \u201c{md_text(q)}\u201d" for q in v.lost]
        out += [f"- before: {md_text(a)}" for _, a in v.original]
        out += [f"- after: {md_text(a)}" for _, a in v.new]
        out.append("")
    return out


def render_markdown(
    report: GradeReport,
    turns: list[Turn] | None = None,
    meta: SessionMeta | None = None,
    title: str = "Interview report",
    rubric: Rubric | None = None,
    retries: Sequence[RetryView] = (),
) -> str:
    """A readable report: overall, retries (before and after), top improvements, per-signal evidence, red flags,
    delivery, transcript.

    With the `rubric`, signals and flags carry their names, the anchor for each score and the flags' advice.
    """
    o = report.overall
    rec = RECOMMENDATION_WORDS.get(o.recommendation.value, o.recommendation.value)
    lines = [f"# {md_text(title)}", "", f"**{o.score:.0f}/100, grade {o.letter}, recommendation: {rec}**", ""]
    facts = [f"rubric {md_text(report.rubric)}", f"level {report.level.value}", f"graded by {md_text(report.grader)}",
             report.graded_at.strftime("%Y-%m-%d %H:%M UTC")]
    if meta is not None:
        facts = [f"session {md_text(meta.id)}", f"persona {md_text(meta.persona)}", *facts]
    lines += [" · ".join(facts), ""]
    question = (meta.question if meta else None) or report.question
    if question:
        lines += [f"Question: _{md_text(question.strip())}_", ""]
    if report.summary:
        lines += [md_text(report.summary.strip()), ""]
    for note in report.notes:
        lines.append(f"> Note: {md_text(note)}")
    if report.notes:
        lines.append("")
    lines += _retries(retries, rubric)

    lines += ["## Top improvements", ""]
    if report.improvements:
        for i, imp in enumerate(report.improvements[:TOP_IMPROVEMENTS], 1):
            lines.append(f"{i}. **{_signal_name(imp.signal, rubric)}** (about +{imp.gain:.0f} points): {md_text(imp.advice)}")
    else:
        lines.append("Nothing significant left to gain on this rubric.")
    lines.append("")

    lines += ["## Signals", "", "| Signal | Score | |", "|---|---|---|"]
    lines += [f"| {_signal_name(s.id, rubric)} | {s.score}/{MAX_SCORE} | {_bar(s.score)} |" for s in report.signals]
    lines.append("")
    for s in report.signals:
        lines += _signal_section(s, rubric, report.level)

    lines += ["## Red flags", ""]
    if report.flags:
        for f in report.flags:
            rubric_flag = next((rf for rf in rubric.flags if rf.id == f.id), None) if rubric else None
            name = md_text(rubric_flag.name) if rubric_flag else FLAG_NAMES.get(f.id, label(f.id))
            advice = f": {md_text(rubric_flag.advice)}" if rubric_flag else ""
            lines.append(f"- **{name}**{advice}")
            lines += [f'  - "{md_text(q.strip())}"' for q in f.evidence]
    else:
        lines.append("None raised.")
    lines.append("")

    lines += _delivery(report)
    if turns:
        lines += _transcript(turns)
    return "\n".join(lines).rstrip() + "\n"
