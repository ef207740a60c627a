"""Build a voice channel from the `practice` options: microphone and speaker, or audio files.

`open_voice` raises `SoundUnavailable` / `TTSUnavailable` (with what is missing and how to install it) when
the laptop cannot do voice; the caller prints that and falls back to text. Model problems are errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InterviewerError
from ..models import Persona
from .audio import MicSource, SoundDeviceOut, check_devices
from .channel import FileChannel, FinishKey, VoiceChannel
from .loop import Listener
from .stt import WhisperSTT
from .tts import Pyttsx3TTS
from .vad import DEFAULT_CAP_S, DEFAULT_END_SILENCE_S, DEFAULT_WARN_AT_S, TurnConfig

MAX_CAP_MINUTES = 60.0


def turn_config(args: argparse.Namespace) -> TurnConfig:
    """The end-of-turn silence, push-to-finish, time warnings and cap from `practice`'s options."""
    silence = getattr(args, "silence", None)
    if silence is not None and not 0.3 <= silence <= 30:
        raise InterviewerError(f"--silence {silence}: must be between 0.3 and 30 seconds")
    cap_min = getattr(args, "max_answer", None)
    if cap_min is not None and not 0 < cap_min <= MAX_CAP_MINUTES:
        raise InterviewerError(f"--max-answer {cap_min}: must be more than 0 and at most {MAX_CAP_MINUTES:g} minutes")
    cap_s = cap_min * 60 if cap_min is not None else DEFAULT_CAP_S
    warn = getattr(args, "warn_at", None)
    warn_at_s = parse_warn_at(warn, cap_s) if warn is not None else tuple(w for w in DEFAULT_WARN_AT_S if w < cap_s)
    return TurnConfig(
        end_silence_s=silence if silence is not None else DEFAULT_END_SILENCE_S,
        push_to_finish=bool(getattr(args, "push_to_finish", False)) and not getattr(args, "answers", None),
        warn_at_s=warn_at_s,
        cap_s=cap_s,
    )


def parse_warn_at(text: str, cap_s: float) -> tuple[float, ...]:
    """`--warn-at 3,5` (minutes into an answer) -> seconds; `--warn-at none` turns the warnings off."""
    if text.strip().lower() in ("", "none", "off"):
        return ()
    marks = []
    for part in text.split(","):
        try:
            minutes = float(part)
        except ValueError:
            raise InterviewerError(f"--warn-at {text!r}: {part.strip()!r} is not a number of minutes "
                                   "(write e.g. 3,5 or none)") from None
        if not 0 < minutes * 60 < cap_s:
            raise InterviewerError(f"--warn-at {text!r}: {part.strip()} minutes is not between 0 and the "
                                   f"{cap_s / 60:g}-minute cap (--max-answer)")
        marks.append(minutes * 60)
    return tuple(sorted(set(marks)))


def open_voice(args: argparse.Namespace, persona: Persona, echo=None) -> VoiceChannel:
    """A FileChannel for --answers DIR, else a microphone + speaker channel (checked before models load)."""
    cfg = turn_config(args)
    answers = getattr(args, "answers", None)
    if cfg.push_to_finish and not (sys.stdin is not None and sys.stdin.isatty()):
        raise InterviewerError("--push-to-finish needs a terminal to press Enter in (standard input is not "
                               "one); leave it out to end answers with a pause, or run it in a terminal")
    if answers:
        tts = Pyttsx3TTS(persona.voice)
        listener = Listener(WhisperSTT(getattr(args, "stt_model", None)), cfg)
        return FileChannel(Path(answers), tts, listener, echo=echo, speaker=persona.name)
    # Order matters: everything that can fail and send `practice` back to text mode (devices, the voice, the
    # models, the microphone) comes before the Enter-key reader starts, because that thread reads standard
    # input for good and would swallow typed answers in the text mode that follows a failure.
    check_devices()
    tts = Pyttsx3TTS(persona.voice)
    listener = Listener(WhisperSTT(getattr(args, "stt_model", None)), cfg)
    out = SoundDeviceOut()
    mic = MicSource()
    try:
        barge_in = not getattr(args, "no_barge_in", False)
        channel = VoiceChannel(tts, listener, out, mic, barge_in=barge_in, echo=echo, speaker=persona.name)
        listener.finish_key = FinishKey().event
    except BaseException:  # e.g. Ctrl-C while the barge-in detector loads: release the microphone
        mic.close()
        raise
    return channel
