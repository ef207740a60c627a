"""Build a voice channel from the `practice` options: microphone and speaker, or audio files.

`open_voice` raises `SoundUnavailable` / `TTSUnavailable` (with what is missing and how to install it) when
the laptop cannot do voice; the caller prints that and falls back to text. Model problems are errors.
`make_tts` picks the interviewer's voice: the neural voice by default, espeak-ng with `--voice espeak` or,
with the reason printed once, when the neural voice cannot load.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import InterviewerError
from ..models import Persona, Voice
from ..protocols import TTS
from .audio import MicSource, SoundDeviceOut, check_devices
from .channel import FileChannel, FinishKey, VoiceChannel
from .loop import Listener
from .speaking import PhraseCache
from .stt import WhisperSTT
from .tts import Pyttsx3TTS, TTSUnavailable
from .vad import DEFAULT_CAP_S, DEFAULT_END_SILENCE_S, DEFAULT_WARN_AT_S, TurnConfig

MAX_CAP_MINUTES = 60.0
NEURAL, ESPEAK = "neural", "espeak"
VOICE_CHOICES = (NEURAL, ESPEAK)
VOICE_ENV = "INTERVIEWER_VOICE"  # the default of --voice (tests and benchmarks pick espeak-ng with it)

_fallback_said: set[str] = set()  # fallback reasons already printed in this process


def voice_choice(args: argparse.Namespace | None = None) -> str:
    """`--voice`, else $INTERVIEWER_VOICE, else the neural voice; anything else is a usage error."""
    choice = (getattr(args, "voice", None) or os.environ.get(VOICE_ENV) or NEURAL).strip().lower()
    if choice not in VOICE_CHOICES:
        where = "--voice" if getattr(args, "voice", None) else VOICE_ENV
        raise InterviewerError(f"{where} {choice!r}: not a voice; choose {' or '.join(VOICE_CHOICES)}")
    return choice


def make_tts(voice: Voice, choice: str = NEURAL, warn=None) -> tuple[TTS, str]:
    """The synthesizer for `choice` and why it is the one in use. The neural voice falls back to espeak-ng
    when it cannot load; `warn` (default: standard error) gets that reason once per process."""
    if choice == NEURAL:
        from .neural import NeuralVoiceUnavailable, PiperTTS

        try:
            return PiperTTS(voice), "the default"
        except NeuralVoiceUnavailable as e:
            reason = str(e)
        try:
            tts = Pyttsx3TTS(voice)
        except TTSUnavailable as e:  # no voice at all: the caller goes to text mode, told both reasons
            raise TTSUnavailable(f"the neural voice cannot load ({reason}) and {e}") from None
        if reason not in _fallback_said:
            _fallback_said.add(reason)
            (warn or (lambda line: print(line, file=sys.stderr, flush=True)))(
                f"interviewer: the neural voice cannot load ({reason}); speaking with espeak-ng instead")
        return tts, f"fallback: the neural voice cannot load ({reason})"
    return Pyttsx3TTS(voice), "chosen with --voice espeak"


def fixed_phrases(persona: Persona, cfg: TurnConfig) -> list[str]:
    """What every interview with this persona says word for word: greeting, closing, time warnings."""
    from .channel import warning_text

    return [persona.greeting, persona.closing, *(warning_text(s, False) for s in cfg.warn_at_s),
            warning_text(cfg.cap_s, True)]


def interviewer_voice(args: argparse.Namespace, persona: Persona, cfg: TurnConfig) -> PhraseCache:
    """The persona's voice with its fixed phrases cached and pre-rendering in the background."""
    tts, _why = make_tts(persona.voice, voice_choice(args))
    cached = PhraseCache(tts, fixed_phrases(persona, cfg))
    cached.warm([persona.greeting])
    return cached


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
        tts = interviewer_voice(args, persona, cfg)
        listener = Listener(WhisperSTT(getattr(args, "stt_model", None)), cfg)
        return FileChannel(Path(answers), tts, listener, echo=echo, speaker=persona.name)
    # Order matters: everything that can fail and send `practice` back to text mode (devices, the voice, the
    # models, the microphone) comes before the Enter-key reader starts, because that thread reads standard
    # input for good and would swallow typed answers in the text mode that follows a failure.
    check_devices()
    tts = interviewer_voice(args, persona, cfg)
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
