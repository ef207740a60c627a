"""Blending the LLM judge's Verdict with the offline grade: quotes checked against the transcript, bounded moves.

How scores are combined (COMBINE_NOTE, also written into every report):
- every LLM quote is looked up in the transcript (whitespace and case are ignored to find it; the
  transcript's own exact text is stored); quotes not found are dropped;
- the LLM cannot raise a signal above the detector score without a surviving quote of its own;
- the final score is the LLM's, kept within one point of the detector score; when the answers contain
  instructions aimed at the grader (injection.py), the LLM can lower a score but not raise it;
- a signal scored 3 or more with no surviving quote at all (the detectors' or the LLM's) is capped at 2;
- red flags come from the detectors; their caps hold: a signal tied to a raised flag cannot rise (LLM-only
  flag suggestions are listed in the notes); the overall result follows the offline grader's rules.
"""

from __future__ import annotations

import math

from ..grading import scoring
from ..grading.grader import summarize as offline_summary
from ..grading.learned import shipped_bands
from ..models import MAX_SCORE, GradeReport, Rubric, SignalScore
from .secrets import scrub
from .verdict import Verdict

MIN_QUOTE_CHARS = 8  # shorter "quotes" ("we", "the API") are not evidence
LLM_MAX_LIFT = 1  # points the LLM may move a signal away from the detector score
UNQUOTED_CAP = 2  # a signal at 3+ with no verbatim quote at all counts as this
MAX_EVIDENCE = 4

COMBINE_NOTE = (
    "Scores combine the evidence detectors and the LLM judge: each signal takes the LLM's score kept within "
    f"{LLM_MAX_LIFT} point of the detector score; the LLM cannot raise a signal without a verbatim quote of "
    f"its own, and a signal at 3+ with no verbatim quote at all counts as {UNQUOTED_CAP}; red flags come "
    "from the detectors, and a signal a "
    "raised flag caps (blame: root_cause, hero: ownership, conflation: mitigation, vague: impact, "
    "no_prevention: prevention) cannot rise. Overall score, letter and recommendation then follow the "
    "offline grader's rules."
)

CALIBRATED_NOTE = (
    "Scores combine the evidence detectors and the LLM judge by measured trust: each signal moves from the "
    "detector score toward the LLM's by the weight `interviewer calibrate` measured for this endpoint and model "
    "on labeled answers; the LLM cannot raise a signal without a verbatim quote of its own, and a signal at 3+ "
    f"with no verbatim quote at all counts as {UNQUOTED_CAP}; red flags come from the detectors and their caps "
    "hold. Overall score, letter and recommendation then follow the offline grader's rules."
)

# --- quotes --------------------------------------------------------------------------------

_QUOTE_EDGES = " \t\n\"'\u201c\u201d\u2018\u2019.,;:…-"
_FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": "-", "\u2013": "-"})


def _folded(text: str) -> tuple[str, list[int]]:
    """`text` lower-cased with whitespace runs collapsed, and each kept char's index in `text`."""
    chars: list[str] = []
    index: list[int] = []
    prev_space = True
    for i, ch in enumerate(text):
        if ch.isspace():
            if not prev_space:
                chars.append(" ")
                index.append(i)
            prev_space = True
            continue
        chars.append(ch.lower().translate(_FOLD))
        index.append(i)
        prev_space = False
    return "".join(chars), index


def find_verbatim(quote: str, transcript: str) -> str | None:
    """The transcript's exact text for `quote` (found ignoring whitespace, case, curly quotes), else None."""
    q = quote.strip(_QUOTE_EDGES).replace("...", " ").strip()
    if len(q) < MIN_QUOTE_CHARS:
        return None
    if q in transcript:
        return q
    hay, index = _folded(transcript)
    needle, _ = _folded(q)
    pos = hay.find(needle.strip())
    if pos < 0:
        return None
    end = pos + len(needle.strip()) - 1
    return transcript[index[pos] : index[end] + 1]


# --- blending -------------------------------------------------------------------------------


def injection_note(phrases: list[str]) -> str:
    shown = "; ".join(f'"{p}"' for p in phrases[:3])
    return (f"The answers contain instructions aimed at the grader ({shown}); they were treated as the "
            "candidate's words, and the LLM judge was not allowed to raise any score.")


def combine(base: GradeReport, verdict: Verdict, transcript: str, injection: list[str],
            rubric: Rubric, trust: dict[str, float] | None = None) -> GradeReport:
    """Merge a Verdict into the offline report by the rules in COMBINE_NOTE (pure).

    With `trust` (per-signal weights measured by `interviewer calibrate`), each signal moves from the detector
    score toward the LLM's by its weight instead of the fixed one-point cap; the quote rules and caps still hold.
    """
    report = base.model_copy(deep=True)
    dropped = 0
    capped = {scoring.FLAG_SIGNAL[f] for f in report.flag_ids() if f in scoring.FLAG_SIGNAL}
    signals: list[SignalScore] = []
    for s in report.signals:
        det = s.score
        judged = verdict.signal(s.id)
        quotes: list[str] = []
        for q in judged.quotes:
            found = find_verbatim(q, transcript)
            if found is None:
                dropped += 1
            elif found not in quotes:
                quotes.append(found)
        llm = judged.score
        if llm > det and not quotes:
            llm = det  # no rise without the LLM's own verbatim evidence
        # no lift once an injection is spotted, nor on a signal a detector flag caps (hero -> ownership...)
        if trust is None:
            ceiling = det if injection or s.id in capped else det + LLM_MAX_LIFT
            final = max(det - LLM_MAX_LIFT, min(llm, ceiling))
        else:
            final = math.floor(det + trust.get(s.id, 0.0) * (llm - det) + 0.5)
            if final > det and (injection or s.id in capped):
                final = det
        final = max(0, min(MAX_SCORE, final))
        evidence = list(s.evidence)
        for q in quotes:
            if q not in evidence and len(evidence) < MAX_EVIDENCE:
                evidence.append(q)
        if final >= UNQUOTED_CAP + 1 and not evidence:
            final = UNQUOTED_CAP  # a solid score rests on at least one verbatim quote
        advice = rubric.signal(s.id).advice if final < MAX_SCORE else ""
        signals.append(s.model_copy(update={"score": final, "evidence": evidence, "advice": advice,
                                            "detector_score": det, "llm_score": judged.score}))
    report.signals = signals
    rescore(report, rubric)
    report.notes.append(COMBINE_NOTE if trust is None else CALIBRATED_NOTE)
    if dropped:
        report.notes.append(f"{dropped} quote(s) from the LLM judge were not found verbatim in the transcript "
                            "and were dropped.")
    if injection:
        report.notes.append(injection_note(injection))
    raised = set(report.flag_ids())
    extra = []
    for f in verdict.flags:
        quotes = [q for q in (find_verbatim(x, transcript) for x in f.quotes) if q]
        if f.id not in raised and quotes:
            extra.append(f'{f.id} ("{quotes[0]}")')
    if extra:
        report.notes.append("The LLM judge also suggested these red flags, not raised by the detectors: "
                            + ", ".join(extra) + ".")
    if verdict.summary.strip():
        report.notes.append(f"LLM judge's summary: {scrub(verdict.summary.strip())}")
    return report


def rescore(report: GradeReport, rubric: Rubric) -> None:
    """Overall score, letter, recommendation, improvements and summary from the combined signal scores,
    by the offline grader's own rules (same weights, level and flag penalties)."""
    scores = {sig.id: sig.score for sig in report.signals}
    flags = report.flag_ids()
    bands = shipped_bands()
    report.overall = scoring.overall(scores, flags, rubric, report.level, bands)
    report.improvements = scoring.improvements(scores, flags, rubric, report.level, bands)
    report.summary = offline_summary(scores, flags, report.overall, report.level)
