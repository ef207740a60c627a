"""Build a voice channel from the `practice` options: microphone and speaker, or audio files.

`open_voice` raises `SoundUnavailable` / `TTSUnavailable` (with what is missing and how to install it) when
the laptop cannot do voice; the caller prints that and falls back to text. Model problems are errors.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..models import Persona
from .audio import MicSource, SoundDeviceOut, check_devices
from .channel import FileChannel, FinishKey, VoiceChannel
from .loop import Listener
from .stt import WhisperSTT
from .tts import Pyttsx3TTS
from .vad import DEFAULT_END_SILENCE_S, TurnConfig


def turn_config(args: argparse.Namespace) -> TurnConfig:
    silence = getattr(args, "silence", None)
    if silence is not None and not 0.3 <= silence <= 30:
        from ..errors import InterviewerError

        raise InterviewerError(f"--silence {silence}: must be between 0.3 and 30 seconds")
    return TurnConfig(
        end_silence_s=silence if silence is not None else DEFAULT_END_SILENCE_S,
        push_to_finish=bool(getattr(args, "push_to_finish", False)) and not getattr(args, "answers", None),
    )


def open_voice(args: argparse.Namespace, persona: Persona, echo=None) -> VoiceChannel:
    """A FileChannel for --answers DIR, else a microphone + speaker channel (checked before models load)."""
    cfg = turn_config(args)
    answers = getattr(args, "answers", None)
    if answers:
        tts = Pyttsx3TTS(persona.voice)
        listener = Listener(WhisperSTT(getattr(args, "stt_model", None)), cfg)
        return FileChannel(Path(answers), tts, listener, echo=echo, speaker=persona.name)
    check_devices()
    tts = Pyttsx3TTS(persona.voice)
    out = SoundDeviceOut()
    stt = WhisperSTT(getattr(args, "stt_model", None))
    key = FinishKey()
    mic = MicSource()
    listener = Listener(stt, cfg, finish_key=key.event)
    barge_in = not getattr(args, "no_barge_in", False)
    return VoiceChannel(tts, listener, out, mic, barge_in=barge_in, echo=echo, speaker=persona.name)
