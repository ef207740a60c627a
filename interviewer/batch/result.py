"""`GradeResult`: what grading one input produced, a report and the turns it came from, or an error naming the
input. The one result type of batch grading: streamed to the outputs, stored in the cache, returned by the
in-process seam."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..models import GradeReport, RoundKind, Turn
from ..protocols import Transcription


@dataclass
class GradeResult:
    source: str
    kind: str = "text"
    report: GradeReport | None = None
    error: str | None = None
    audio_seconds: float | None = None
    transcript: str | None = None
    turns: list[Turn] = field(default_factory=list)
    question: str | None = None
    cached: bool = False
    seconds: float = 0.0  # wall time spent on it

    def record(self) -> dict:
        """The JSON Lines object: the GradeReport's fields plus `source`, or `source` and `error`."""
        base: dict = {"source": self.source}
        if self.report is None:
            base["error"] = self.error or "unknown error"
            return base
        base.update(json.loads(self.report.model_dump_json()))
        base["audio_seconds"] = self.audio_seconds
        base["transcript"] = self.transcript
        return base

    def cache_record(self) -> dict:
        rec = self.record()
        rec["turns"] = [json.loads(t.model_dump_json()) for t in self.turns]
        return rec

    @classmethod
    def from_cache(cls, source: str, kind: str, question: str | None, rec: dict) -> GradeResult:
        """A result stored by `cache_record`; ValueError (pydantic's) when the record is not one."""
        turns = [Turn.model_validate(t) for t in rec.get("turns", [])]
        fields = set(GradeReport.model_fields)
        report = GradeReport.model_validate({k: v for k, v in rec.items() if k in fields})
        return cls(source, kind, report=report, audio_seconds=rec.get("audio_seconds"),
                   transcript=rec.get("transcript"), turns=turns, question=question, cached=True)


def answer_turn(text: str, question: str | None, tr: Transcription | None = None) -> Turn:
    """One answer as the single turn of a transcript."""
    talk = None
    if tr is not None and tr.words:
        talk = round(tr.words[-1].end - tr.words[0].start, 2)
    return Turn(index=0, round=RoundKind.opening, question=question or "", answer=text.strip(),
                answer_seconds=talk, words=(tr.words or None) if tr else None)
