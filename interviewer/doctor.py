"""`interviewer doctor`: check what a spoken interview needs and print what was found.

Checks PortAudio, the input and output devices, the speech synthesizer (espeak-ng through pyttsx3), the voice
`practice` speaks with (the neural voice, or espeak-ng and why), the Whisper models and the VAD, then the LLM endpoint (optional: without one the offline persona is used).
Exit status 0 when the spoken offline interview can run; otherwise 1, saying what still works.
On a terminal the findings are one rich table; otherwise one `[status] what: detail` line each, as found.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

OK, WARN, FAIL = "ok  ", "warn", "FAIL"


STATUS_STYLE = {OK: "green", WARN: "yellow", FAIL: "bold red", "info": "cyan"}


class Report:
    """The findings: printed one line each as they come, or (`table=True`) kept for one table at the end."""

    def __init__(self, out: Callable[[str], None] = print, table: bool = False):
        self.out = out
        self.table = table
        self.rows: list[tuple[str, str, str]] = []
        self.failed: set[str] = set()

    def line(self, status: str, what: str, detail: str) -> None:
        if self.table:
            self.rows.append((status, what, detail))
        else:
            self.out(f"[{status}] {what}: {detail}")
        if status == FAIL:
            self.failed.add(what)

    def note(self, status: str, text: str) -> None:
        """A finding that is one sentence (the LLM checks)."""
        if self.table:
            what, _, detail = text.partition(": ")
            self.rows.append((status, what, detail) if detail else (status, "LLM", text))
        else:
            self.out(f"[{status}] {text}")

    def print_table(self) -> None:
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        table = Table(title="interviewer doctor", title_justify="left")
        table.add_column("status")
        table.add_column("check")
        table.add_column("found")
        for status, what, detail in self.rows:
            table.add_row(f"[{STATUS_STYLE.get(status, 'default')}]{escape(status.strip())}[/]", escape(what),
                          escape(detail))
        Console().print(table)


def check_sound(r: Report) -> None:
    from .voice.audio import SoundUnavailable, list_devices

    try:
        devs = list_devices()
    except SoundUnavailable as e:
        r.line(FAIL, "audio", str(e))
        return
    r.line(OK, "PortAudio", devs.portaudio)
    for kind, found, default in (("input", devs.inputs, devs.default_input),
                                 ("output", devs.outputs, devs.default_output)):
        listing = "; ".join(found) if found else "none"
        if default:
            r.line(OK, f"{kind} devices", f"default {default} (all: {listing})")
        else:
            hint = "connect a microphone" if kind == "input" else "connect speakers or headphones"
            r.line(FAIL, f"{kind} devices", f"no default {kind} device ({hint}; check `arecord -l` / `aplay -l`)")


def check_tts(r: Report) -> None:
    from .models import Voice
    from .voice.tts import Pyttsx3TTS, TTSUnavailable, espeak_library

    lib = espeak_library()
    if lib:
        r.line(OK, "espeak-ng", f"library {lib}")
    try:
        start = time.monotonic()
        speech = Pyttsx3TTS(Voice()).synthesize("Testing the interviewer's voice.")
        took = time.monotonic() - start
    except TTSUnavailable as e:
        r.line(FAIL, "text to speech", str(e))
        return
    seconds = len(speech.samples) / speech.sample_rate
    r.line(OK, "text to speech", f"pyttsx3 rendered {seconds:.1f} s of speech in {took:.2f} s")


def check_voice(r: Report) -> None:
    """Which voice `practice` speaks with ($INTERVIEWER_VOICE or the neural default) and why."""
    from .errors import InterviewerError
    from .models import Voice
    from .voice.factory import make_tts, voice_choice
    from .voice.tts import TTSUnavailable

    try:
        start = time.monotonic()
        tts, why = make_tts(Voice(), voice_choice(), warn=lambda line: None)
        loaded = time.monotonic() - start
        start = time.monotonic()
        speech = tts.synthesize("Testing the interviewer's voice.")
        took = time.monotonic() - start
    except (TTSUnavailable, InterviewerError) as e:
        r.line(FAIL, "voice", str(e))
        return
    seconds = len(speech.samples) / speech.sample_rate
    status = WARN if why.startswith("fallback") else OK
    r.line(status, "voice", f"{tts.engine} ({tts.description}), {why}; loaded in {loaded:.1f} s, rendered "
                            f"{seconds:.1f} s of speech in {took:.2f} s")


def check_models(r: Report) -> None:
    from .voice import models

    try:
        tiny = models.tiny_path()
        r.line(OK, "whisper tiny.en", f"{tiny} (default)")
    except models.ModelError as e:
        r.line(FAIL, "whisper tiny.en", str(e))
    try:
        models.base_parts()
    except models.ModelError as e:
        r.line(WARN, "whisper base", f"{e} (optional: --stt-model base)")
        return
    joined = models.cache_dir() / models.BASE
    if models.joined_is_valid(joined):
        r.line(OK, "whisper base", f"both parts installed; joined copy verified in {joined}")
    else:
        r.line(OK, "whisper base", f"both parts installed; joined into {joined} on first use of --stt-model base")


def check_vad(r: Report) -> None:
    try:
        from faster_whisper.vad import get_vad_model

        get_vad_model()
        r.line(OK, "voice activity", "Silero VAD (bundled with faster-whisper) loads")
    except Exception as e:  # onnxruntime or the asset missing
        r.line(FAIL, "voice activity", f"Silero VAD does not load: {e}; pip install faster-whisper onnxruntime")


def check_llm(r: Report, args: argparse.Namespace) -> None:
    try:
        from .llm import doctor_lines
    except ImportError:
        r.note("info", "LLM: no LLM support installed; offline persona and grader")
        return
    for line in doctor_lines(args):
        status = WARN if "FAIL" in line else "info"
        r.note(status, line)


def doctor(args: argparse.Namespace, out: Callable[[str], None] = print) -> int:
    r = Report(out, table=out is print and sys.stdout.isatty())
    check_sound(r)
    check_tts(r)
    check_voice(r)
    check_models(r)
    check_vad(r)
    check_llm(r, args)
    if r.table:
        r.print_table()
    if not r.failed:
        out("Ready: `interviewer practice` runs a spoken interview (offline unless an LLM is configured).")
        return 0
    files_ok = not r.failed & {"text to speech", "whisper tiny.en", "voice activity"}
    out(f"Not ready for a spoken interview ({', '.join(sorted(r.failed))}).")
    out("Still available: `interviewer practice --text`"
        + (" and `interviewer practice --answers DIR` (audio files)." if files_ok else "."))
    return 1
