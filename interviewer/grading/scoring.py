"""From detector hits to scores: 0-4 per signal, flags, level adjustments, the overall result.

Pure functions. `analyse(text)` runs the detectors once; `score_signals` and `raise_flags` read the result;
`level_adjusted`, `overall` and `improvements` apply the rubric and the level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..models import (
    MAX_SCORE,
    PRESENT_SCORE,
    SIGNAL_IDS,
    Improvement,
    Level,
    Overall,
    Recommendation,
    Rubric,
)
from . import detectors as d
from .detectors import Hit
from .text import Doc

MAX_EVIDENCE = 3  # quotes kept per signal or flag
IMPACT_RX = d.Rx(
    r"\b(?:users?|customers?|merchants?|clients?|requests?|traffic|orders?|checkouts?|payments?|revenue|"
    r"sign-?ins?|"
    r"logins?|SLA|SLO|error\s+rate|errors?|5xx|50[0-4]s?|latency|outage|down|unavailable|failed|failing|fail|"
    r"couldn't|could\s+not|timeouts?|timing\s+out|timed\s+out|degraded|affected|impact\w*|lost|missing|"
    r"duplicate\w*|"
    r"corrupt\w*|wrong|stale|broken|blank|crash\w*|slow|stuck|delayed|backlog|money|\$|refunds?|bookings?|"
    r"downtime|availability|sessions?|logged\s+out|locked\s+out|conversion|dropped|rejected|late|wrong|"
    r"read-?only)\b",
    re.IGNORECASE,
)
BUSINESS_QTY_RX = d.Rx(
    r"%|percent|per\s*cent|users?|customers?|merchants?|orders?|requests?|checkouts?|transactions?|payments?|"
    r"accounts?|"
    r"[$\u20ac\u00a3]|dollars|revenue|bookings?|sessions?|devices?|installs?|tenants?|clients?|half|third|"
    r"quarter",
    re.IGNORECASE,
    word_start=False,  # searched inside amounts such as "40%"
)
DURATION_QTY_RX = d.Rx(
    r"seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|\bms\b", re.IGNORECASE, word_start=False
)
VAGUE_AXES_MIN = 2  # an answer that pins down fewer of (system, impact in numbers, time) than this is vague

# level multipliers on rubric weights: what each level is judged on most
LEVEL_WEIGHTS: dict[Level, dict[str, float]] = {
    Level.L3: {
        "diagnosis": 1.25,
        "mitigation": 1.25,
        "communication": 0.75,
        "prevention": 0.75,
        "root_cause": 0.9,
    },
    Level.L4: {},
    Level.L5: {"root_cause": 1.15, "communication": 1.15, "prevention": 1.15},
    Level.staff: {"prevention": 1.5, "root_cause": 1.25, "communication": 1.25, "ownership": 1.25},
}
STAFF_NOT_CLASS_WIDE_CAP = 2  # at staff, prevention that stops only this one incident is "present but thin"
L3_LENIENT = ("communication", "prevention")  # at L3 a thin mention of these counts one step higher
FLAG_SIGNAL = {
    "blame": "root_cause",
    "hero": "ownership",
    "conflation": "mitigation",
    "vague": "impact",
    "no_prevention": "prevention",
}
IMPROVEMENT_STEP = 2  # an improvement is judged as raising a signal by this many points
TOP_IMPROVEMENTS = 3


@dataclass
class Findings:
    """Every detector's hits over one text, computed once."""

    doc: Doc
    words: int
    times: list[Hit]
    quantities: list[Hit]
    systems: list[Hit]
    people: list[Hit]
    sentence_cues: list[set[str]] = field(default_factory=list)  # per sentence: which cue families matched
    cue_hits: dict[str, list[Hit]] = field(default_factory=dict)


@dataclass
class SignalResult:
    score: int
    evidence: list[Hit]
    facts: dict[str, bool] = field(default_factory=dict)  # e.g. class_wide, for level adjustments


_CUES: dict[str, d.Rx] = {
    "impact": IMPACT_RX,
    "alert": d.ALERT_FIRED_RX,
    "customer_report": d.CUSTOMER_REPORT_RX,
    "noticed": d.NOTICED_RX,
    "detect_speed": d.DETECTION_SPEED_RX,
    "mitigation": d.MITIGATION_RX,
    "mit_distinct": d.MITIGATION_DISTINCT_RX,
    "mit_reason": d.MITIGATION_REASON_RX,
    "diag_generic": d.DIAG_GENERIC_RX,
    "diag_evidence": d.DIAG_EVIDENCE_RX,
    "diag_hypothesis": d.DIAG_HYPOTHESIS_RX,
    "diag_wrong_turn": d.DIAG_WRONG_TURN_RX,
    "diag_chain": d.DIAG_CHAIN_RX,
    "cause": d.CAUSE_RX,
    "gap": d.GAP_RX,
    "cause_unknown": d.CAUSE_UNKNOWN_RX,
    "comm_channel": d.COMM_CHANNEL_RX,
    "comm_audience": d.COMM_AUDIENCE_RX,
    "comm_verb": d.COMM_VERB_RX,
    "comm_cadence": d.COMM_CADENCE_RX,
    "comm_owner": d.COMM_OWNER_RX,
    "comm_generic": d.COMM_GENERIC_RX,
    "comm_act": d.COMM_ACT_RX,
    "counterfactual": d.COUNTERFACTUAL_RX,
    "after": d.AFTER_RX,
    "reflect_generic": d.REFLECT_GENERIC_RX,
    "generic_system": d.GENERIC_SYSTEM_RX,
    "mit_action": d.MITIGATION_ACTION_RX,
    "prevent_strong": d.PREVENT_STRONG_VERB_RX,
    "recovery": d.RECOVERY_RX,
    "i_action": d.I_ACTION_RX,
    "i_decision": d.I_DECISION_RX,
    "team": d.TEAM_RX,
    "handoff": d.HANDOFF_RX,
    "passive": d.PASSIVE_RX,
    "postmortem": d.POSTMORTEM_RX,
    "prevent_verb": d.PREVENT_VERB_RX,
    "prevent_artifact": d.PREVENT_ARTIFACT_RX,
    "prevent_generic": d.PREVENT_GENERIC_RX,
    "prevent_verified": d.PREVENT_VERIFIED_RX,
    "class_wide": d.CLASS_WIDE_RX,
    "prevent_none": d.PREVENT_NONE_RX,
    "reflect": d.REFLECT_RX,
    "reflect_specific": d.REFLECT_SPECIFIC_RX,
    "reflect_negative": d.REFLECT_NEGATIVE_RX,
    "fix": d.FIX_RX,
    "fix_distinct": d.FIX_DISTINCT_RX,
    "vague": d.VAGUE_RX,
}
# cue families whose hits do not count when negated in their clause ("no alert fired")
_NEGATABLE = {
    "alert",
    "mitigation",
    "mit_action",
    "i_action",
    "prevent_verb",
    "reflect",
    "comm_verb",
    "diag_evidence",
    "noticed",
}


def analyse(text: str) -> Findings:
    """Run every detector over `text` once."""
    doc = Doc(text)
    findings = Findings(
        doc=doc,
        words=len(text.split()),
        times=d.time_expressions(text),
        quantities=d.quantities(text),
        systems=d.systems(text),
        people=d.people(text),
    )
    cues: list[set[str]] = [set() for _ in doc.sentences]
    for name, rx in _CUES.items():
        hits = d.find(rx, text, name)
        if name in _NEGATABLE:
            hits = d.not_negated(doc, hits)
        findings.cue_hits[name] = hits
        for h in hits:
            cues[doc.sentence_index(h.start)].add(name)
    for h in findings.times:
        cues[doc.sentence_index(h.start)].add("time")
    for h in findings.quantities:
        cues[doc.sentence_index(h.start)].add("qty")
    findings.cue_hits["blame"] = d.blame_hits(doc)
    findings.cue_hits["hero"] = d.hero_hits(doc)
    findings.sentence_cues = cues
    return findings


# --- helpers ------------------------------------------------------------------------------


def _sentences_with(f: Findings, *need: str, without: tuple[str, ...] = ()) -> list[int]:
    return [
        i
        for i, c in enumerate(f.sentence_cues)
        if all(n in c for n in need) and not any(w in c for w in without)
    ]


def _sentence_hit(f: Findings, index: int) -> Hit:
    span = f.doc.sentences[index]
    return Hit(span.start, span.end, "sentence")


def _prevention_sentences(f: Findings) -> list[int]:
    """Sentences describing a lasting change (a change verb with an artifact), not a mitigation step."""
    out = []
    for i, c in enumerate(f.sentence_cues):
        if c & {"prevent_none", "counterfactual"}:
            continue
        if "prevent_artifact" not in c and not (
            {"after", "prevent_strong"} <= c and "prevent_generic" not in c
        ):
            continue
        if "mitigation" in c and "after" not in c:
            continue  # "we switched to the backup provider" is stopping the bleeding, not a lasting change
        if "prevent_verb" in c or "postmortem" in c:
            out.append(i)
    return out


# --- per-signal scoring --------------------------------------------------------------------


def score_impact(f: Findings) -> SignalResult:
    prevention = set(_prevention_sentences(f))
    # an update cadence ("every 15 minutes") is not a measure of impact
    scoped = [i for i in _sentences_with(f, "impact", without=("comm_cadence",)) if i not in prevention]
    if not scoped:
        return SignalResult(0, [])
    qty = [h for h in f.quantities if f.doc.sentence_index(h.start) in set(scoped)]
    with_qty = sorted({f.doc.sentence_index(h.start) for h in qty})
    evidence = [_sentence_hit(f, i) for i in (with_qty or scoped)]
    business = any(BUSINESS_QTY_RX.search(h.of(f.doc.text)) for h in qty)
    duration = any(DURATION_QTY_RX.search(h.of(f.doc.text)) for h in qty)
    if not qty:
        score = 1
    elif len(qty) >= 3 and business and duration:
        score = 4
    elif len(qty) >= 2 and business:
        score = 3
    else:
        score = 2
    return SignalResult(score, evidence)


def score_detection(f: Findings) -> SignalResult:
    alert = _sentences_with(f, "alert")
    customer = _sentences_with(f, "customer_report")
    noticed = _sentences_with(f, "noticed")
    prevention = set(_prevention_sentences(f))
    alert = [i for i in alert if i not in prevention]
    sentences = alert or customer or noticed
    if not sentences:
        return SignalResult(0, [])
    detail = any(
        c & {"time", "detect_speed", "qty"}
        for i, c in enumerate(f.sentence_cues)
        if i in set(alert + customer)
    )
    if alert:
        score = 4 if detail else 3
    elif customer:
        score = 3 if detail else 2
    else:
        score = 1
    return SignalResult(score, [_sentence_hit(f, i) for i in sentences])


def score_timeline(f: Findings) -> SignalResult:
    distinct = d.distinct_times(f.doc.text, f.times)
    n = len(distinct)
    long_range = any(d.LONG_RANGE_RX.search(h.of(f.doc.text)) for h in distinct)
    score = min(n, 3)
    if n >= 4 and long_range:
        score = 4
    return SignalResult(score, distinct)


def score_mitigation(f: Findings) -> SignalResult:
    action_hits = [
        h for h in f.cue_hits["mitigation"] if h.of(f.doc.text).lower() not in d.FIXLIKE_MITIGATION
    ]
    fixlike = [h for h in f.cue_hits["mitigation"] if h not in action_hits]
    prevention = set(_prevention_sentences(f))
    actions = {f.doc.sentence_index(h.start) for h in action_hits}
    # an action on the running system that the same or the next sentence says brought recovery
    recovered = set(_sentences_with(f, "recovery"))
    actions |= {i for i in _sentences_with(f, "mit_action") if i in recovered or i + 1 in recovered}
    actions = sorted(actions - prevention)
    if not actions:
        generic = sorted({f.doc.sentence_index(h.start) for h in fixlike})
        return SignalResult(1 if generic else 0, [_sentence_hit(f, i) for i in generic])
    distinct = _sentences_with(f, "mit_distinct")
    reason = _sentences_with(f, "mit_reason")
    score = 2
    if distinct:
        score = 3
        if reason:
            score = 4
    elif reason and len(actions) >= 2:
        score = 3
    evidence = [_sentence_hit(f, i) for i in sorted(set(actions[:2] + distinct[:1] + reason[:1]))]
    return SignalResult(score, evidence)


def score_diagnosis(f: Findings) -> SignalResult:
    evidence_s = _sentences_with(f, "diag_evidence")
    hyp = _sentences_with(f, "diag_hypothesis")
    wrong = _sentences_with(f, "diag_wrong_turn")
    chain = _sentences_with(f, "diag_chain")
    generic = _sentences_with(f, "diag_generic")
    if len(chain) < 2 and not (evidence_s or hyp):
        chain = []  # a lone "which caused" is the cause appearing, not an investigation
    kinds = sum(bool(x) for x in (evidence_s, hyp, chain))
    if not (evidence_s or hyp or chain or generic):
        return SignalResult(0, [])
    if evidence_s and wrong and chain:
        score = 4
    elif kinds >= 2:
        score = 3
    elif kinds == 1:
        score = 2
    else:
        score = 1
    picked = sorted(set(wrong[:1] + evidence_s[:1] + chain[:1] + hyp[:1] + generic[:1]))
    return SignalResult(score, [_sentence_hit(f, i) for i in picked])


def score_root_cause(f: Findings) -> SignalResult:
    unknown = _sentences_with(f, "cause_unknown")
    cause = sorted(set(_sentences_with(f, "cause") + _sentences_with(f, "diag_chain")))
    gaps = _sentences_with(f, "gap")
    blame = {f.doc.sentence_index(h.start) for h in f.cue_hits["blame"]}
    gaps = [i for i in gaps if i not in blame]
    if unknown and not gaps:
        return SignalResult(1, [_sentence_hit(f, i) for i in unknown])
    if not (cause or gaps):
        return SignalResult(0, [])
    if len(gaps) >= 2 and (cause or len(gaps) >= 3):
        score = 4
    elif gaps and cause or len(gaps) >= 2:
        score = 3
    else:
        score = 2
    if blame and not gaps:
        score = min(score, 1)  # the only cause offered is a person
    picked = sorted(set(cause[:1] + gaps[:3]))
    return SignalResult(score, [_sentence_hit(f, i) for i in picked], {"factors": len(gaps) >= 2})


def score_communication(f: Findings) -> SignalResult:
    blame = {f.doc.sentence_index(h.start) for h in f.cue_hits["blame"]}
    said = [
        i for i in _sentences_with(f, "comm_act") if i not in blame
    ]  # escalating to punish is not an update
    cadence = _sentences_with(f, "comm_cadence")
    owner = [i for i in _sentences_with(f, "comm_owner") if i not in blame]
    generic = _sentences_with(f, "comm_generic")
    if not (said or owner):
        return SignalResult(1 if generic else 0, [_sentence_hit(f, i) for i in generic[:2]])
    if (said or owner) and cadence and owner:
        score = 4
    elif cadence or owner or len(said) >= 3:
        score = 3
    else:
        score = 2
    picked = sorted(set(said[:2] + cadence[:1] + owner[:1]))
    return SignalResult(score, [_sentence_hit(f, i) for i in picked])


_CONCRETE_ACTION = {
    "mitigation",
    "diag_evidence",
    "alert",
    "comm_act",
    "comm_owner",
    "handoff",
    "customer_report",
}


def score_ownership(f: Findings) -> SignalResult:
    hero = {f.doc.sentence_index(h.start) for h in f.cue_hits["hero"]}
    blame = {f.doc.sentence_index(h.start) for h in f.cue_hits["blame"]}

    def counts(i: int) -> bool:
        # a saviour claim counts only where it names a concrete step; an action aimed at fault never does
        return i not in blame and (i not in hero or bool(f.sentence_cues[i] & _CONCRETE_ACTION))

    actions = [i for i in _sentences_with(f, "i_action") if counts(i)]
    decisions = [i for i in _sentences_with(f, "i_decision") if counts(i)]
    team = _sentences_with(f, "team")
    handoff = _sentences_with(f, "handoff")
    passive = _sentences_with(f, "passive")
    if not actions:
        if team or passive:
            return SignalResult(1, [_sentence_hit(f, i) for i in (passive or team)[:1]])
        return SignalResult(0, [])
    if (decisions or len(actions) >= 3) and team and handoff:
        score = 4
    elif (decisions or len(actions) >= 2) and (team or handoff):
        score = 3
    else:
        score = 2
    picked = sorted(set(decisions[:1] + actions[:2] + handoff[:1]))
    return SignalResult(score, [_sentence_hit(f, i) for i in picked])


def score_prevention(f: Findings) -> SignalResult:
    changes = _prevention_sentences(f)
    generic = set(_sentences_with(f, "prevent_generic"))
    concrete = [i for i in changes if i not in generic or "qty" in f.sentence_cues[i]]
    postmortem = _sentences_with(f, "postmortem")
    class_wide = [i for i in changes if "class_wide" in f.sentence_cues[i]]
    facts = {"class_wide": bool(class_wide)}
    if not concrete:
        vague = sorted(set(postmortem) | (generic & set(changes)))
        return SignalResult(1 if vague else 0, [_sentence_hit(f, i) for i in vague[:2]], facts)
    timed = any(f.sentence_cues[i] & {"time", "qty"} for i in concrete)
    verified = bool(_sentences_with(f, "prevent_verified"))
    if len(concrete) >= 2 and (timed or class_wide) and verified:
        score = 4
    elif len(concrete) >= 2 or timed or verified:
        score = 3
    else:
        score = 2
    picked = sorted(set(concrete[:3] + class_wide[:1]))
    return SignalResult(score, [_sentence_hit(f, i) for i in picked], facts)


def score_reflection(f: Findings) -> SignalResult:
    negative = _sentences_with(f, "reflect_negative")
    reflect = [i for i in _sentences_with(f, "reflect") if "reflect_generic" not in f.sentence_cues[i]]
    generic = _sentences_with(f, "reflect_generic")
    if not reflect:
        return SignalResult(1 if generic else 0, [_sentence_hit(f, i) for i in (negative or generic)[:1]])
    with_cost = [i for i in reflect if "reflect_specific" in f.sentence_cues[i]]
    if negative and not with_cost:
        score = 1
    elif len(reflect) >= 2 and with_cost:
        score = 4 if len(with_cost) >= 2 else 3
    elif with_cost or len(reflect) >= 2:
        score = 3
    else:
        score = 2
    return SignalResult(score, [_sentence_hit(f, i) for i in (with_cost + reflect)[:2]])


_SCORERS = {
    "impact": score_impact,
    "detection": score_detection,
    "timeline": score_timeline,
    "mitigation": score_mitigation,
    "diagnosis": score_diagnosis,
    "root_cause": score_root_cause,
    "communication": score_communication,
    "ownership": score_ownership,
    "prevention": score_prevention,
    "reflection": score_reflection,
}


def score_signals(f: Findings) -> dict[str, SignalResult]:
    results = {sid: _SCORERS[sid](f) for sid in SIGNAL_IDS}
    if f.cue_hits["hero"]:
        own = results["ownership"]
        own.score = min(own.score, PRESENT_SCORE)
    return results


# --- flags ---------------------------------------------------------------------------------


def known_axes(f: Findings, results: dict[str, SignalResult]) -> list[str]:
    """Which of the three basics a listener could state: what broke, how badly (a number), and when."""
    axes = []
    if f.systems or f.cue_hits["generic_system"]:
        axes.append("system")
    if results["impact"].score >= PRESENT_SCORE:
        axes.append("impact")
    if f.times:
        axes.append("time")
    return axes


def raise_flags(f: Findings, results: dict[str, SignalResult]) -> dict[str, list[Hit]]:
    flags: dict[str, list[Hit]] = {}
    if f.cue_hits["blame"]:
        flags["blame"] = f.cue_hits["blame"]
    if f.cue_hits["hero"]:
        flags["hero"] = f.cue_hits["hero"]
    fixes = f.cue_hits["fix"]
    if fixes and not f.cue_hits["fix_distinct"]:
        fix_sentences = sorted({f.doc.sentence_index(h.start) for h in fixes})
        mitigating = [i for i in fix_sentences if "mitigation" in f.sentence_cues[i]]
        if len(fix_sentences) >= 3 or (len(fix_sentences) >= 2 and (mitigating or len(fixes) >= 3)):
            flags["conflation"] = [_sentence_hit(f, i) for i in fix_sentences]
    if f.doc.sentences and len(known_axes(f, results)) < VAGUE_AXES_MIN:
        flags["vague"] = f.cue_hits["vague"] or [_sentence_hit(f, 0)]
    if results["prevention"].score < PRESENT_SCORE and f.doc.sentences:
        none = [_sentence_hit(f, i) for i in _sentences_with(f, "prevent_none")]
        flags["no_prevention"] = none + [_sentence_hit(f, len(f.doc.sentences) - 1)]
    return flags


# --- level, overall, improvements ------------------------------------------------------------


def level_adjusted(results: dict[str, SignalResult], level: Level) -> dict[str, int]:
    """Scores as judged at `level`: staff needs class-wide prevention, L3 gets credit for a thin mention."""
    scores = {sid: r.score for sid, r in results.items()}
    if level is Level.staff and not results["prevention"].facts.get("class_wide"):
        scores["prevention"] = min(scores["prevention"], STAFF_NOT_CLASS_WIDE_CAP)
    if level is Level.L3:
        for sid in L3_LENIENT:
            if 1 <= scores[sid] < MAX_SCORE - 1:
                scores[sid] += 1
    return scores


def weights(rubric: Rubric, level: Level) -> dict[str, float]:
    extra = LEVEL_WEIGHTS.get(level, {})
    return {s.id: s.weight * extra.get(s.id, 1.0) for s in rubric.signals}


def raw_score(scores: dict[str, int], flags: list[str], rubric: Rubric, level: Level) -> float:
    """Weighted signal score on 0-100 minus flag penalties, not yet calibrated or clamped."""
    w = weights(rubric, level)
    total = sum(w.values()) * MAX_SCORE
    raw = sum(w[sid] * scores.get(sid, 0) for sid in w) / total * 100 if total else 0.0
    known = {f.id for f in rubric.flags}
    return raw - sum(rubric.flag(fid).penalty for fid in flags if fid in known)


Bands = tuple[float, float]  # raw scores at the weak/mixed and mixed/strong boundaries
WEAK_CEILING, STRONG_FLOOR = 30.0, 70.0  # where those boundaries land on the 0-100 scale


def calibrated(raw: float, bands: Bands | None) -> float:
    """Map a raw score so the measured class boundaries land at 30 and 70 (piecewise linear, monotone)."""
    if bands is None:
        return raw
    weak, strong = bands
    if not 0 < weak < strong < 100:
        return raw
    if raw <= weak:
        return raw * WEAK_CEILING / weak
    if raw <= strong:
        return WEAK_CEILING + (raw - weak) * (STRONG_FLOOR - WEAK_CEILING) / (strong - weak)
    return STRONG_FLOOR + (raw - strong) * (100 - STRONG_FLOOR) / (100 - strong)


def overall_score(
    scores: dict[str, int], flags: list[str], rubric: Rubric, level: Level, bands: Bands | None = None
) -> float:
    return round(max(0.0, min(100.0, calibrated(raw_score(scores, flags, rubric, level), bands))), 1)


def letter_for(score: float, rubric: Rubric) -> str:
    for letter, cutoff in sorted(rubric.letter_cutoffs.items(), key=lambda kv: -kv[1]):
        if score >= cutoff:
            return letter
    return min(rubric.letter_cutoffs.items(), key=lambda kv: kv[1])[0]


def recommendation_for(score: float, rubric: Rubric) -> Recommendation:
    for rec, cutoff in sorted(rubric.recommendation_cutoffs.items(), key=lambda kv: -kv[1]):
        if score >= cutoff:
            return Recommendation(rec)
    return Recommendation.no_hire


def overall(
    scores: dict[str, int], flags: list[str], rubric: Rubric, level: Level, bands: Bands | None = None
) -> Overall:
    score = overall_score(scores, flags, rubric, level, bands)
    return Overall(
        score=score, letter=letter_for(score, rubric), recommendation=recommendation_for(score, rubric)
    )


def improvements(
    scores: dict[str, int], flags: list[str], rubric: Rubric, level: Level, bands: Bands | None = None
) -> list[Improvement]:
    """The signals whose improvement would raise the overall score most, with the estimated gain.

    Gains are measured before clamping to 0-100, so a very weak answer still learns what would help most.
    """
    base = calibrated(raw_score(scores, flags, rubric, level), bands)
    out: list[Improvement] = []
    for s in rubric.signals:
        if scores.get(s.id, 0) >= MAX_SCORE:
            continue
        better = dict(scores)
        better[s.id] = min(MAX_SCORE, scores.get(s.id, 0) + IMPROVEMENT_STEP)
        cleared = [fid for fid in flags if FLAG_SIGNAL.get(fid) != s.id]
        gain = calibrated(raw_score(better, cleared, rubric, level), bands) - base
        if gain <= 0:
            continue
        advice = s.advice
        for fid in flags:
            if FLAG_SIGNAL.get(fid) == s.id and any(f.id == fid for f in rubric.flags):
                advice = f"{advice} {rubric.flag(fid).advice}"
        out.append(Improvement(signal=s.id, advice=advice, gain=round(gain, 1)))
    out.sort(key=lambda i: -i.gain)
    return out[:TOP_IMPROVEMENTS]
