"""What the rule detectors find in one answer, computed once: the `Findings` every scorer reads.

`analyse(text)` runs every detector and cue family over the text and records, per sentence, which cue families
matched. `SignalResult` is one signal's 0-4 score with its evidence; `sentence_hit` turns a sentence index into
a quotable hit. Pure functions; the scores themselves are in rule_scores.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import detectors as d
from .detectors import Hit
from .text import Doc

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




CUES: dict[str, d.Rx] = {
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
    for name, rx in CUES.items():
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


def sentence_hit(f: Findings, index: int) -> Hit:
    """The whole sentence at `index` as a hit (what a score or flag quotes)."""
    span = f.doc.sentences[index]
    return Hit(span.start, span.end, "sentence")
