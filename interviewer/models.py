"""Pydantic models for every boundary: catalog data, turns, sessions and grade reports.

Everything that crosses a file, a process or an LLM goes through one of these models.
"""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .persona_plan import FAMILY_SIGNAL, CurveballFamily, Timebox

SIGNAL_IDS: tuple[str, ...] = (
    "impact",
    "detection",
    "timeline",
    "mitigation",
    "diagnosis",
    "root_cause",
    "communication",
    "ownership",
    "prevention",
    "reflection",
)
FLAG_IDS: tuple[str, ...] = ("blame", "hero", "conflation", "vague", "no_prevention")
MAX_SCORE = 4
PRESENT_SCORE = 2  # a signal scored at least this counts as present


def utcnow() -> datetime:
    """Timezone-aware now, used for every timestamp we write."""
    return datetime.now(timezone.utc)


class Strict(BaseModel):
    """Base for data files: unknown keys are an error, so typos in YAML are caught on load."""

    model_config = ConfigDict(extra="forbid")


class Level(str, Enum):
    L3 = "L3"
    L4 = "L4"
    L5 = "L5"
    staff = "staff"


class RoundKind(str, Enum):
    opening = "opening"
    probe = "probe"  # the technical failure chain
    constraint = "constraint"  # communication under pressure
    curveball = "curveball"  # a challenge to the candidate's framing
    synthesis = "synthesis"  # what changed and how it was measured


ROUND_ORDER: tuple[RoundKind, ...] = tuple(RoundKind)


class Recommendation(str, Enum):
    strong_hire = "strong_hire"
    hire = "hire"
    lean_hire = "lean_hire"
    lean_no_hire = "lean_no_hire"
    no_hire = "no_hire"


# --- catalog: rubric, personas, questions -------------------------------------------------


class RubricSignal(Strict):
    id: str
    name: str
    description: str
    weight: float = 1.0
    anchors: dict[int, str]  # score 0..4 -> what that level looks like
    advice: str  # the one-line improvement shown when the signal is weak
    level_expectations: dict[Level, str] = Field(default_factory=dict)

    @field_validator("anchors")
    @classmethod
    def _all_levels_anchored(cls, v: dict[int, str]) -> dict[int, str]:
        missing = set(range(MAX_SCORE + 1)) - set(v)
        if missing:
            raise ValueError(f"anchors missing for scores {sorted(missing)}")
        return v


class RubricFlag(Strict):
    id: str
    name: str
    description: str
    penalty: float  # points off the 0-100 overall score when raised
    advice: str


class Rubric(Strict):
    id: str
    name: str
    description: str
    signals: list[RubricSignal]
    flags: list[RubricFlag]
    # letter and recommendation cut-offs on the 0-100 score, highest first
    letter_cutoffs: dict[str, float]
    recommendation_cutoffs: dict[Recommendation, float]

    def signal(self, signal_id: str) -> RubricSignal:
        for s in self.signals:
            if s.id == signal_id:
                return s
        raise KeyError(signal_id)

    def flag(self, flag_id: str) -> RubricFlag:
        for f in self.flags:
            if f.id == flag_id:
                return f
        raise KeyError(flag_id)


class NeuralVoice(Strict):
    """The neural voice's (Piper's) settings for one persona: how fast and how high it speaks."""

    length_scale: float = Field(1.0, gt=0.3, le=3.0)  # duration of each phoneme: above 1 is slower
    noise_scale: float = Field(0.667, gt=0.0, le=1.5)  # variation of the voice: lower is flatter
    noise_w: float = Field(0.8, gt=0.0, le=1.5)  # variation of phoneme durations: lower is more even
    pitch: float = Field(1.0, ge=0.7, le=1.4)  # pitch factor (1.0: the voice's own), duration kept


class Voice(Strict):
    """TTS settings of a persona. espeak-ng (`--voice espeak`): rate in words per minute, voice id or name
    fragment, pitch 0-100 (None: the voice's own); the neural voice (the default): `neural`."""

    rate: int = 170
    voice: str | None = None
    volume: float = 1.0
    pitch: int | None = Field(None, ge=0, le=100)
    neural: NeuralVoice = Field(default_factory=NeuralVoice)


class FollowUp(Strict):
    """One follow-up in a persona's library.

    `text` may use placeholders filled from the candidate's own words: {system} (a system the story names
    in the part asked about), {number} (a figure the story gives for the damage, never a baseline or a
    clock time), {quote} (their words from the part asked about), {person} (only someone the evidence
    names). `fallback` is used when a placeholder has nothing to fill it. A curveball with a `family`
    challenges the part of the story its family stands on; its `signal` is that part (set from the family).
    """

    id: str
    round: RoundKind
    signal: str | None = None  # the rubric signal this presses on
    flag: str | None = None  # or the red flag it challenges
    family: CurveballFamily | None = None  # curveballs only: the kind of challenge
    text: str
    fallback: str | None = None
    levels: list[Level] = Field(default_factory=list)  # levels this suits; empty means every level

    @model_validator(mode="after")
    def _family_sets_the_signal(self) -> FollowUp:
        if self.family is not None:
            if self.round is not RoundKind.curveball:
                raise ValueError(f"family {self.family.value!r} is for curveball follow-ups only")
            anchor = FAMILY_SIGNAL[self.family]
            if self.signal not in (None, anchor):
                raise ValueError(f"family {self.family.value!r} challenges {anchor!r}, not {self.signal!r}")
            self.signal = anchor
        return self


DEFAULT_LEVEL = Level.L5  # the level `grade` and `practice` grade at unless --level says otherwise


class Persona(Strict):
    id: str
    name: str
    description: str
    tone: str
    intent: str
    level: Level = Level.L5
    voice: Voice = Field(default_factory=Voice)
    rounds: list[RoundKind] = Field(default_factory=lambda: list(ROUND_ORDER))
    # per round, the signals it presses, biggest gap first on ties; a round not listed uses the engine's
    # default (e.g. an executive's constraint round presses on customers and cost before the channel)
    focus: dict[RoundKind, list[str]] = Field(default_factory=dict)
    timebox: Timebox = Field(default_factory=Timebox)
    greeting: str
    closing: str
    followups: list[FollowUp]
    # phrases an LLM persona may use; kept here so the offline persona and the LLM one sound alike
    style_notes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _a_plan_that_runs(self) -> Persona:
        if not self.rounds or self.rounds[0] is not RoundKind.opening:
            raise ValueError("rounds: the plan must start with the opening round")
        if RoundKind.opening in self.rounds[1:]:
            raise ValueError("rounds: the opening round can only come first")
        if len(self.rounds) < 2:
            raise ValueError("rounds: the plan needs at least one round after the opening")
        for kind, signals in self.focus.items():
            if kind is RoundKind.opening:
                raise ValueError("focus: the opening round asks the bank question and takes no focus")
            if kind not in self.rounds:
                raise ValueError(f"focus: round {kind.value!r} is not in the plan {[r.value for r in self.rounds]}")
            if not signals:
                raise ValueError(f"focus: round {kind.value!r} lists no signals")
        return self


class Question(Strict):
    id: str
    text: str
    competencies: list[str]  # rubric signal ids the question is designed to draw out
    levels: list[Level]
    tags: list[str] = Field(default_factory=list)


# --- a session --------------------------------------------------------------------------


class WordTiming(BaseModel):
    word: str
    start: float  # seconds from the start of the answer
    end: float
    probability: float | None = None


class InterviewerNote(BaseModel):
    """Private notes the interviewer keeps per turn. Never spoken or shown to the candidate."""

    strong: list[str] = Field(default_factory=list)
    press_later: list[str] = Field(default_factory=list)
    gap: str | None = None  # the signal or flag the next question presses on


class Turn(BaseModel):
    """One question and the candidate's answer to it."""

    index: int
    round: RoundKind
    question: str
    question_id: str | None = None  # bank question id or persona follow-up id
    target: str | None = None  # signal or flag id the question pressed on
    answer: str = ""
    skipped: bool = False
    asked_at: datetime = Field(default_factory=utcnow)
    answered_at: datetime = Field(default_factory=utcnow)
    answer_seconds: float | None = None  # talk time when known (voice)
    words: list[WordTiming] | None = None
    question_audio: str | None = None  # file name inside the session folder
    answer_audio: str | None = None
    note: InterviewerNote | None = None
    phrased_by: str = "offline"  # "offline" or "llm:<model>"
    audio_dropped: int = 0  # microphone overflows (lost audio blocks) while this answer was recorded
    time_limit_s: float | None = None  # the talk time this answer was given (the opening's limit), if any
    cut_off: bool = False  # the interviewer cut in when it ran past that limit (spoken interviews)


class SessionMeta(BaseModel):
    id: str
    created_at: datetime = Field(default_factory=utcnow)
    persona: str
    level: Level
    rubric: str = "production-incident"
    question_id: str | None = None
    question: str
    mode: Literal["text", "voice", "files", "import"] = "text"
    llm_model: str | None = None  # model name only: never a key, never a URL with credentials
    stt_model: str | None = None
    app_version: str = ""


class SignalScore(BaseModel):
    id: str
    score: int = Field(ge=0, le=MAX_SCORE)
    evidence: list[str] = Field(default_factory=list)  # verbatim quotes from the transcript
    advice: str = ""
    detector_score: int | None = Field(default=None, ge=0, le=MAX_SCORE)
    llm_score: int | None = Field(default=None, ge=0, le=MAX_SCORE)


class FlagHit(BaseModel):
    id: str
    evidence: list[str] = Field(default_factory=list)


class DeliveryMetrics(BaseModel):
    words: int
    talk_seconds: float | None = None  # known with voice timings
    words_per_minute: float | None = None
    fillers: dict[str, int] = Field(default_factory=dict)
    filler_rate: float = 0.0  # fillers per 100 words
    filler_note: str | None = None  # how far filler counts can be trusted (speech recognition drops some)
    long_pauses: int | None = None  # pauses over 2 s, voice only
    i_count: int = 0
    we_count: int = 0
    i_we_ratio: float | None = None  # i / (i + we); None when neither appears
    hedges: dict[str, int] = Field(default_factory=dict)
    target_seconds: float = 120.0
    estimated_seconds: float = 0.0  # the opening story's length: spoken if known, else words at a typical pace
    length_verdict: Literal["short", "on_target", "long"] = "on_target"


class Improvement(BaseModel):
    signal: str
    advice: str
    gain: float  # estimated points on the overall score


class Overall(BaseModel):
    score: float = Field(ge=0, le=100)
    letter: str
    recommendation: Recommendation


class GradeReport(BaseModel):
    rubric: str
    level: Level
    question: str | None = None
    grader: str = "offline"  # "offline", or "llm:<model>+offline"
    signals: list[SignalScore]
    flags: list[FlagHit] = Field(default_factory=list)
    delivery: DeliveryMetrics
    overall: Overall
    improvements: list[Improvement] = Field(default_factory=list)
    summary: str = ""
    notes: list[str] = Field(default_factory=list)  # e.g. "LLM judge failed, offline grade used"
    graded_at: datetime = Field(default_factory=utcnow)

    @model_validator(mode="after")
    def _known_ids(self) -> GradeReport:
        for s in self.signals:
            if s.id not in SIGNAL_IDS:
                raise ValueError(f"unknown signal id {s.id!r}")
        for f in self.flags:
            if f.id not in FLAG_IDS:
                raise ValueError(f"unknown flag id {f.id!r}")
        return self

    def signal(self, signal_id: str) -> SignalScore:
        for s in self.signals:
            if s.id == signal_id:
                return s
        raise KeyError(signal_id)

    def flag_ids(self) -> list[str]:
        return [f.id for f in self.flags]


def candidate_text(turns: list[Turn]) -> str:
    """The candidate's words for grading: every answer, in order, separated by blank lines.

    Evidence quotes are verbatim substrings of this text.
    """
    return "\n\n".join(t.answer.strip() for t in turns if t.answer.strip())
