"""What the detectors found in a transcript: plain data shared by the grader and the round engine."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Entities:
    """The candidate's own words the interviewer can refer back to."""

    systems: list[str] = field(default_factory=list)  # e.g. "the payments API", "Kafka", "the CDN"
    numbers: list[str] = field(default_factory=list)  # e.g. "40 percent", "twelve minutes", "$30k"
    people: list[str] = field(default_factory=list)  # people or teams named (e.g. for blame)
    quotes: list[str] = field(default_factory=list)  # short memorable phrases worth echoing


@dataclass
class Assessment:
    """Detector output: per-signal score 0-4 with verbatim evidence, raised flags with evidence."""

    scores: dict[str, int]
    evidence: dict[str, list[str]]
    flags: dict[str, list[str]]  # only raised flags appear
    entities: Entities = field(default_factory=Entities)
    time_anchors: list[str] = field(default_factory=list)  # verbatim time expressions, in order
    ignored: list[str] = field(default_factory=list)  # sentences aimed at the grader, not counted as evidence
