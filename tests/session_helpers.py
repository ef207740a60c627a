"""Build real sessions for the sessions, replay and report tests: the real interview pipeline, round engine,
session writer and offline grader, with the candidate's answers typed in advance (a scripted Channel)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

from interviewer.catalog import Catalog
from interviewer.grading import OfflineGrader
from interviewer.interview import Answer, InterviewResult, InterviewSetup, Said, run_interview
from interviewer.models import Level
from interviewer.sessions.store import SessionStore

# Answers written for these tests, one per round.
STRONG = (
    "At 14:05 on a Monday our payment webhooks started failing for about 35 percent of merchants. An alert on "
    "the webhook error rate paged me four minutes in, before any merchant noticed.",
    "My first guess was the queue, but its depth was flat, so I dropped that. The worker logs showed TLS "
    "handshake failures: a library upgrade had disabled an old cipher one partner still required.",
    "I opened an incident channel at 14:12 and asked our support lead to own merchant updates every fifteen "
    "minutes while I drove the technical side. I rolled back the library upgrade at 14:20, which stopped the "
    "failures.",
    "Nobody was careless: the process did not require testing against partner endpoints, and we had no alert "
    "on handshake errors, so two gaps let it through.",
    "Within two weeks we added a contract test against every partner endpoint and an alert at 1 percent "
    "handshake errors; it caught a similar change in March. Next time I would roll back first and debug after.",
)
WEAK = (
    "Something broke once and it was bad. Dave pushed a bad change, honestly it was his fault.",
    "I fixed it myself, I stayed up all night and saved the day alone.",
    "People were told eventually I think.",
    "It was just bad luck really.",
    "After I fixed it everything was fine again.",
)


def espeak(text: str, path: Path, voice: str = "en-us", wpm: int = 190) -> str:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(path), text], check=True,
                   capture_output=True)
    return path.name


class ScriptedChannel:
    """Answers each question with the next prepared answer.

    `quit_after` stops the interview early (/quit); `interrupt_after` raises KeyboardInterrupt there (Ctrl-C);
    `audio` saves both sides as espeak-ng WAVs in the session folder, as the voice channel does.
    """

    def __init__(self, answers: Sequence[str], quit_after: int | None = None, interrupt_after: int | None = None,
                 audio: bool = False):
        self.answers = list(answers)
        self.quit_after = quit_after
        self.interrupt_after = interrupt_after
        self.audio = audio
        self.asked: list[str] = []

    def attach(self, folder: Path) -> None:
        self.folder = folder

    def say(self, pieces: Iterator[str], turn_index: int | None) -> Said:
        text = "".join(pieces)
        if turn_index is None:
            return Said(text)
        self.asked.append(text)
        name = espeak(text, self.folder / f"turn{turn_index}-question.wav", "en-gb") if self.audio else None
        return Said(text, name)

    def listen(self, turn_index: int, limit_s: float | None = None) -> Answer:
        if self.interrupt_after is not None and turn_index >= self.interrupt_after:
            raise KeyboardInterrupt
        if self.quit_after is not None and turn_index >= self.quit_after:
            return Answer(quit=True)
        text = self.answers[turn_index % len(self.answers)]
        name = espeak(text, self.folder / f"turn{turn_index}-answer.wav") if self.audio else None
        return Answer(text=text, audio_file=name)


def make_session(catalog: Catalog, store_dir: Path, answers: Sequence[str] = STRONG, *,
                 persona: str | None = None, question: str | None = None, **channel) -> InterviewResult:
    """A real interview through `run_interview` (the round engine, session writer and offline grader)."""
    p = catalog.personas[persona or sorted(catalog.personas)[0]]
    q = catalog.questions[question or sorted(catalog.questions)[0]]
    setup = InterviewSetup(persona=p, rubric=catalog.rubrics["production-incident"], level=Level.L5, question=q,
                           mode="files" if channel.get("audio") else "text")
    return run_interview(setup, ScriptedChannel(answers, **channel), OfflineGrader(), SessionStore(store_dir))
