"""The rule scorers: from `Findings` to a 0-4 score per signal, and the red flags.

One `score_<signal>` function per signal reads which cue families matched in which sentences; `score_signals`
runs them all, and `raise_flags` decides blame, hero, conflation, vague and no_prevention. Pure functions,
level-neutral (the level and the rubric are applied in scoring.py).
"""

from __future__ import annotations

import re

from ..models import PRESENT_SCORE, SIGNAL_IDS
from . import detectors as d
from .detectors import Hit
from .findings import Findings, SignalResult, sentence_hit

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


# --- helpers ------------------------------------------------------------------------------


def _sentences_with(f: Findings, *need: str, without: tuple[str, ...] = ()) -> list[int]:
    return [
        i
        for i, c in enumerate(f.sentence_cues)
        if all(n in c for n in need) and not any(w in c for w in without)
    ]


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
    evidence = [sentence_hit(f, i) for i in (with_qty or scoped)]
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
    return SignalResult(score, [sentence_hit(f, i) for i in sentences])


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
        return SignalResult(1 if generic else 0, [sentence_hit(f, i) for i in generic])
    distinct = _sentences_with(f, "mit_distinct")
    reason = _sentences_with(f, "mit_reason")
    score = 2
    if distinct:
        score = 3
        if reason:
            score = 4
    elif reason and len(actions) >= 2:
        score = 3
    evidence = [sentence_hit(f, i) for i in sorted(set(actions[:2] + distinct[:1] + reason[:1]))]
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
    return SignalResult(score, [sentence_hit(f, i) for i in picked])


def score_root_cause(f: Findings) -> SignalResult:
    unknown = _sentences_with(f, "cause_unknown")
    cause = sorted(set(_sentences_with(f, "cause") + _sentences_with(f, "diag_chain")))
    gaps = _sentences_with(f, "gap")
    blame = {f.doc.sentence_index(h.start) for h in f.cue_hits["blame"]}
    gaps = [i for i in gaps if i not in blame]
    if unknown and not gaps:
        return SignalResult(1, [sentence_hit(f, i) for i in unknown])
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
    return SignalResult(score, [sentence_hit(f, i) for i in picked], {"factors": len(gaps) >= 2})


def score_communication(f: Findings) -> SignalResult:
    blame = {f.doc.sentence_index(h.start) for h in f.cue_hits["blame"]}
    said = [
        i for i in _sentences_with(f, "comm_act") if i not in blame
    ]  # escalating to punish is not an update
    cadence = _sentences_with(f, "comm_cadence")
    owner = [i for i in _sentences_with(f, "comm_owner") if i not in blame]
    generic = _sentences_with(f, "comm_generic")
    if not (said or owner):
        return SignalResult(1 if generic else 0, [sentence_hit(f, i) for i in generic[:2]])
    if (said or owner) and cadence and owner:
        score = 4
    elif cadence or owner or len(said) >= 3:
        score = 3
    else:
        score = 2
    picked = sorted(set(said[:2] + cadence[:1] + owner[:1]))
    return SignalResult(score, [sentence_hit(f, i) for i in picked])


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
            return SignalResult(1, [sentence_hit(f, i) for i in (passive or team)[:1]])
        return SignalResult(0, [])
    if (decisions or len(actions) >= 3) and team and handoff:
        score = 4
    elif (decisions or len(actions) >= 2) and (team or handoff):
        score = 3
    else:
        score = 2
    picked = sorted(set(decisions[:1] + actions[:2] + handoff[:1]))
    return SignalResult(score, [sentence_hit(f, i) for i in picked])


def score_prevention(f: Findings) -> SignalResult:
    changes = _prevention_sentences(f)
    generic = set(_sentences_with(f, "prevent_generic"))
    concrete = [i for i in changes if i not in generic or "qty" in f.sentence_cues[i]]
    postmortem = _sentences_with(f, "postmortem")
    class_wide = [i for i in changes if "class_wide" in f.sentence_cues[i]]
    facts = {"class_wide": bool(class_wide)}
    if not concrete:
        vague = sorted(set(postmortem) | (generic & set(changes)))
        return SignalResult(1 if vague else 0, [sentence_hit(f, i) for i in vague[:2]], facts)
    timed = any(f.sentence_cues[i] & {"time", "qty"} for i in concrete)
    verified = bool(_sentences_with(f, "prevent_verified"))
    if len(concrete) >= 2 and (timed or class_wide) and verified:
        score = 4
    elif len(concrete) >= 2 or timed or verified:
        score = 3
    else:
        score = 2
    picked = sorted(set(concrete[:3] + class_wide[:1]))
    return SignalResult(score, [sentence_hit(f, i) for i in picked], facts)


def score_reflection(f: Findings) -> SignalResult:
    negative = _sentences_with(f, "reflect_negative")
    reflect = [i for i in _sentences_with(f, "reflect") if "reflect_generic" not in f.sentence_cues[i]]
    generic = _sentences_with(f, "reflect_generic")
    if not reflect:
        return SignalResult(1 if generic else 0, [sentence_hit(f, i) for i in (negative or generic)[:1]])
    with_cost = [i for i in reflect if "reflect_specific" in f.sentence_cues[i]]
    if negative and not with_cost:
        score = 1
    elif len(reflect) >= 2 and with_cost:
        score = 4 if len(with_cost) >= 2 else 3
    elif with_cost or len(reflect) >= 2:
        score = 3
    else:
        score = 2
    return SignalResult(score, [sentence_hit(f, i) for i in (with_cost + reflect)[:2]])


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
            flags["conflation"] = [sentence_hit(f, i) for i in fix_sentences]
    if f.doc.sentences and len(known_axes(f, results)) < VAGUE_AXES_MIN:
        flags["vague"] = f.cue_hits["vague"] or [sentence_hit(f, 0)]
    if results["prevention"].score < PRESENT_SCORE and f.doc.sentences:
        none = [sentence_hit(f, i) for i in _sentences_with(f, "prevent_none")]
        flags["no_prevention"] = none + [sentence_hit(f, len(f.doc.sentences) - 1)]
    return flags

