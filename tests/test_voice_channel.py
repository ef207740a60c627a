"""Voice channels with the real engines: espeak-ng questions, file-driven answers, barge-in, the CLI end to end."""

from __future__ import annotations

import json
import threading
import time
import wave

import numpy as np
import pytest
from conftest import run_cli
from voice_audio import SR, answer, tiny_model, wer, write_wav

from interviewer.errors import InputFileError
from interviewer.models import Voice
from interviewer.protocols import Speech
from interviewer.voice.audio import CHUNK, ArraySource, CallbackSource, NullOut
from interviewer.voice.channel import FileChannel, VoiceChannel, answer_files
from interviewer.voice.loop import Listener
from interviewer.voice.tts import Pyttsx3TTS
from interviewer.voice.vad import TurnConfig

pytestmark = pytest.mark.audio

ANSWERS = [
    ["The order database ran out of connections at lunch time.", "I failed over to the replica first."],
    ["We told support every twenty minutes in the incident channel."],
]


@pytest.fixture(scope="module")
def answers_dir(speech_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("answers")
    for i, sentences in enumerate(ANSWERS):
        write_wav(folder / f"{i + 1:02d}-answer.wav", answer(sentences, speech_dir, pauses=[1.0]).audio)
    (folder / "notes.txt").write_text("not audio: ignored")
    return folder


def wav_seconds(path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def test_file_channel_speaks_questions_and_hears_each_file_in_turn(answers_dir, tmp_path):
    out = NullOut()
    channel = FileChannel(answers_dir, Pyttsx3TTS(Voice(rate=170)), Listener(tiny_model(), TurnConfig()), out=out,
                          echo=lambda line: None)
    channel.attach(tmp_path)
    said = channel.say(iter(["What happened first?", "Take your time."]), 0)
    assert said.text == "What happened first? Take your time."
    assert said.audio_file == "turn-00-question.wav" and wav_seconds(tmp_path / said.audio_file) > 1.5
    assert len(out.played) == 2

    first = channel.listen(0)
    assert wer(" ".join(ANSWERS[0]), first.text) <= 0.3, first.text
    assert first.words and first.words[0].start < first.words[-1].end
    assert first.seconds is not None and 3.0 < first.seconds < 10.0
    assert first.audio_file == "turn-00-answer.wav"
    # the saved answer is what the loop consumed: the file plus the end-of-turn silence
    assert wav_seconds(tmp_path / first.audio_file) >= first.seconds + 2.5

    second = channel.listen(1)
    assert "support" in second.text.lower() and not second.skipped
    assert channel.listen(2).quit  # the files ran out: the interview ends there
    assert [t.turn for t in channel.timings] == [0, 1]


def test_practice_options_set_the_spoken_warnings_and_the_cap(speech_dir, tmp_path):
    """`--warn-at` / `--max-answer` reach the listener, and the warnings are spoken and echoed."""
    import argparse

    from interviewer.errors import InterviewerError
    from interviewer.voice.factory import turn_config

    def options(**kw) -> argparse.Namespace:
        return argparse.Namespace(**{"silence": None, "push_to_finish": False, "answers": None,
                                     "warn_at": None, "max_answer": None, **kw})

    assert (turn_config(options()).warn_at_s, turn_config(options()).cap_s) == ((180.0, 300.0), 360.0)
    assert turn_config(options(max_answer=4)).warn_at_s == (180.0,)  # a default mark past the cap is dropped
    assert turn_config(options(warn_at="none")).warn_at_s == ()
    for bad, words in ((options(warn_at="3,soon"), "'soon' is not a number"),
                       (options(warn_at="7"), "not between 0 and the 6-minute cap"),
                       (options(max_answer=0), "--max-answer 0")):
        with pytest.raises(InterviewerError, match=words):
            turn_config(bad)

    folder = tmp_path / "answers"
    folder.mkdir()
    long = answer(list(ANSWERS[0]) * 3, speech_dir, pauses=[0.4] * 5)
    assert long.speech_end > 9.0
    write_wav(folder / "00.wav", long.audio)
    cfg = turn_config(options(warn_at="0.05", max_answer=0.12))  # 3 s and 7.2 s
    lines: list[str] = []
    out = NullOut()
    channel = FileChannel(folder, Pyttsx3TTS(), Listener(tiny_model(), cfg), out=out, echo=lines.append)
    channel.attach(tmp_path)
    heard = channel.listen(0)
    assert lines[:2] == ["Interviewer: About 3 seconds so far. Start bringing it to a close.",
                         "Interviewer: Let's stop there so we have time for the next question."]
    assert len(out.played) == 2 and all(len(s.samples) > 0 for s in out.played)  # both were spoken
    assert heard.seconds is not None and heard.seconds <= 7.5 and heard.text


def test_say_speaks_each_piece_as_soon_as_it_arrives(answers_dir, tmp_path):
    out = NullOut()
    channel = FileChannel(answers_dir, Pyttsx3TTS(), Listener(tiny_model()), out=out, echo=lambda line: None)
    channel.attach(tmp_path)
    played_before_second: list[int] = []

    def streamed():  # what an LLM persona's phraser does: one sentence at a time
        yield "First, what broke?"
        played_before_second.append(len(out.played))
        yield "And who noticed?"

    said = channel.say(streamed(), None)
    assert played_before_second == [1]  # the first sentence was playing while the second was generated
    assert said.text == "First, what broke? And who noticed?" and said.audio_file == "greeting.wav"


def test_answer_folder_problems_are_named(tmp_path):
    with pytest.raises(InputFileError, match="must be a folder"):
        answer_files(tmp_path / "missing")
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(InputFileError, match="no audio files"):
        answer_files(tmp_path)


class WallClockOut(NullOut):
    """A speaker that 'plays' for the speech's real duration (the test machine has no sound card)."""

    def __init__(self):
        super().__init__()
        self.until = 0.0
        self.stopped_at: float | None = None

    def play(self, speech: Speech) -> None:
        super().play(speech)
        self.until = time.monotonic() + len(speech.samples) / speech.sample_rate

    def playing(self) -> bool:
        return time.monotonic() < self.until

    def stop(self) -> None:
        if self.playing():
            self.stopped_at = time.monotonic()
        self.until = 0.0

    def wait(self, timeout: float | None = None) -> bool:
        while self.playing():
            time.sleep(0.01)
        return True


def test_barge_in_stops_playback_and_keeps_the_first_words(speech_dir, tmp_path):
    reply = answer(["Sorry to interrupt, the payment service was already failing."], speech_dir, lead=0.6, tail=4.0)
    mic = ArraySource(reply.audio, speed=1.0)  # the candidate starts talking 0.6 s into the question
    out = WallClockOut()
    lines: list[str] = []
    channel = VoiceChannel(Pyttsx3TTS(Voice(rate=150)), Listener(tiny_model(), TurnConfig()), out, mic,
                           echo=lines.append)
    channel.attach(tmp_path)
    question = "Tell me about the moment you realised this was bigger than a routine alert, and what you did next."
    said = channel.say(iter([question]), 0)
    assert out.stopped_at is not None and "(you started talking: listening)" in lines
    assert said.text == question
    heard = channel.listen(0)
    assert "sorry" in heard.text.lower()  # the words spoken over the question were kept
    assert wer(reply.text, heard.text) <= 0.35, heard.text


def test_practice_with_answer_files_runs_the_whole_voice_loop(speech_dir, tmp_path):
    folder = tmp_path / "answers"
    folder.mkdir()
    texts = [
        ["At nine forty our checkout latency alert fired.", "I rolled back the release within ten minutes."],
        ["The cause was a connection pool limit that a config change lowered."],
        ["I posted updates in the incident channel every fifteen minutes."],
        ["I would have added a canary stage for config changes sooner."],
        ["Afterwards we added an alert on pool saturation at eighty percent."],
    ]
    for i, sentences in enumerate(texts):
        write_wav(folder / f"{i:02d}.wav", answer(sentences, speech_dir, pauses=[0.8]).audio)
    sessions = tmp_path / "sessions"
    proc = run_cli("practice", "--answers", str(folder), "--persona", "peer", "--seed", "2", "--offline",
                   "--sessions", str(sessions), timeout=300)
    assert proc.returncode == 0, proc.stderr
    session = next(sessions.iterdir())
    events = [json.loads(line) for line in (session / "session.jsonl").read_text().splitlines()]
    assert events[0]["meta"]["mode"] == "files" and events[0]["meta"]["stt_model"] == "tiny.en"
    turns = [e["turn"] for e in events if e["type"] == "turn"]
    assert len(turns) == 5 and events[-1]["reason"] == "completed"
    rates = [wer(" ".join(sentences), turn["answer"]) for turn, sentences in zip(turns, texts, strict=True)]
    assert np.mean(rates) <= 0.3 and max(rates) <= 0.6, [t["answer"] for t in turns]
    for turn in turns:
        assert turn["words"] and turn["answer_seconds"] > 1.0
        assert (session / turn["question_audio"]).is_file() and (session / turn["answer_audio"]).is_file()
    assert (session / "greeting.wav").is_file() and (session / "closing.wav").is_file()
    assert any(e["type"] == "graded" for e in events)
    assert "words per minute" in (session / "report.md").read_text()


def test_push_to_finish_without_a_terminal_is_refused_with_a_reason(tmp_path):
    proc = run_cli("practice", "--push-to-finish", "--sessions", str(tmp_path / "s"), input="")
    assert proc.returncode == 2
    assert "--push-to-finish needs a terminal" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "s").exists() or not any((tmp_path / "s").iterdir())  # nothing half-started


def test_push_to_finish_with_a_real_key_thread_is_not_started_without_a_terminal():
    from interviewer.voice.channel import FinishKey

    key = FinishKey()  # pytest's stdin is not a terminal: nothing reads it, the event stays clear
    assert not key.event.is_set()
    assert not any(t.name == "finish-key" for t in threading.enumerate())


def test_barge_in_ignores_the_interviewers_own_echo_but_not_the_candidate(speech_dir):
    from interviewer.voice.channel import BargeDetector
    from interviewer.voice.vad import SileroVAD

    question = answer(["So tell me, what was the very first signal that something had gone wrong?"], speech_dir,
                      voice="en-gb", wpm=160, lead=0.0).audio
    candidate = answer(["It was the checkout error rate alert."], speech_dir, voice="en-us+f3", lead=0.0).audio
    echo = 0.15 * question  # the speaker, heard faintly by the laptop's microphone
    chunks = lambda a: [a[i : i + 512] for i in range(0, len(a) - 511, 512)]  # noqa: E731

    detector = BargeDetector(SileroVAD())
    assert not any(detector.feed(c) for c in chunks(echo))  # Silero hears speech, but only the echo's level
    mixed = echo[: len(candidate)] + candidate
    assert any(detector.feed(c) for c in chunks(mixed))  # the candidate talking over it does stop playback


# --- the live transcript line -------------------------------------------------------------------------


def test_a_terminal_shows_the_answer_live_while_the_candidate_talks(speech_dir, tmp_path):
    """Each transcribed segment updates one rich line while the answer goes on; the final line is as before."""
    import io

    from rich.console import Console
    from voice_audio import long_answer

    folder = tmp_path / "answers"
    folder.mkdir()
    spoken = long_answer(16.0, speech_dir, seed=3)  # several segments, cut at pauses after 6 s each
    write_wav(folder / "00.wav", spoken.audio)
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    lines: list[str] = []
    channel = FileChannel(folder, Pyttsx3TTS(), Listener(tiny_model()), speed=1.5, echo=lines.append,
                          live=console)
    heard = channel.listen(0)
    shown = console.file.getvalue()
    assert "\x1b[" in shown  # terminal control: the line is redrawn in place
    assert "You (so far): (listening)" in shown
    partial = [chunk.split("You (so far): ", 1)[1] for chunk in shown.split("\r") if "You (so far): " in chunk]
    words = [p for p in partial if "(listening)" not in p and p.strip()]
    assert words, shown  # at least one segment's text was shown before the answer ended
    first = words[0].split("\x1b")[0].strip()
    assert first and len(first) < len(heard.text)  # a part of the answer, while it went on
    assert lines[-1] == f"You: {heard.text}"  # the final line, printed as without a terminal


def test_practice_output_to_a_pipe_has_no_live_line(answers_dir, tmp_path):
    proc = run_cli("practice", "--answers", str(answers_dir), "--offline", "--sessions", str(tmp_path / "s"),
                   timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "You (so far)" not in proc.stdout and "\x1b[" not in proc.stdout
    assert "\nYou: " in proc.stdout  # the plain line per answer, as before


# --- the spoken cut-in at the opening's limit ---------------------------------------------------------

LIMIT_S = 15.0


def long_opening(speech_dir):
    """About 45 s of opening story: 12 sentences with thinking pauses."""
    from voice_audio import ANSWERS as STORY

    return answer([s for a in STORY[:4] for s in a], speech_dir, pauses=[0.6, 0.9, 0.7, 1.1, 0.8, 0.6] * 2)


def test_a_spoken_opening_past_the_limit_is_cut_off_and_the_cut_in_leads_the_next_question(speech_dir, tmp_path,
                                                                                           catalog):
    from interviewer.grading import OfflineGrader
    from interviewer.interview import OfflinePhraser, run_interview
    from interviewer.interview.interview import InterviewSetup
    from interviewer.models import Level
    from interviewer.sessions.store import SessionStore, read_session

    folder = tmp_path / "answers"
    folder.mkdir()
    opening = long_opening(speech_dir)
    assert opening.speech_end > 40.0
    write_wav(folder / "00.wav", opening.audio)
    write_wav(folder / "01.wav", answer(ANSWERS[1], speech_dir).audio)
    peer = catalog.personas["peer"]
    persona = peer.model_copy(update={"rounds": peer.rounds[:2],
                                      "timebox": peer.timebox.model_copy(update={"opening_seconds": LIMIT_S})})
    setup = InterviewSetup(persona=persona, rubric=catalog.rubrics["production-incident"], level=Level.L5,
                           question=catalog.questions["incident-classic"], mode="files")
    lines: list[str] = []
    channel = FileChannel(folder, Pyttsx3TTS(), Listener(tiny_model(), TurnConfig()), echo=lines.append)
    result = run_interview(setup, channel, OfflineGrader(), SessionStore(tmp_path / "sessions"),
                           phraser=OfflinePhraser())
    first, second = result.turns
    cut = persona.timebox.cut_in.strip()
    assert first.cut_off and first.time_limit_s == LIMIT_S and not second.cut_off
    assert "checkout" in first.answer.lower() and "canary" not in first.answer.lower()  # heard up to the cut
    assert first.words and (result.folder / first.answer_audio).is_file()  # saved like any other answer
    assert wav_seconds(result.folder / first.answer_audio) < LIMIT_S + 8.0 + 1.0  # not the whole 45 s file
    # the cut-in is said right after the cut-off answer, immediately followed by the next question
    heard_at = lines.index(f"You: {first.answer}")
    assert lines[heard_at + 1] == f"Interviewer: {cut}"
    assert lines[heard_at + 2].startswith("Interviewer: ") and lines[heard_at + 2].endswith("?")
    assert second.question == f"{cut} {lines[heard_at + 2].removeprefix('Interviewer: ')}"
    # the saved log says so; a log written before the field existed still loads (not cut off)
    raw = [json.loads(line) for line in (result.folder / "session.jsonl").read_text().splitlines()]
    assert [e["turn"]["cut_off"] for e in raw if e["type"] == "turn"] == [True, False]
    assert read_session(result.folder).turns[0].cut_off
    old = tmp_path / "old"
    old.mkdir()
    for e in raw:
        if e["type"] == "turn":
            del e["turn"]["cut_off"], e["turn"]["time_limit_s"]
    (old / "session.jsonl").write_text("".join(json.dumps(e) + "\n" for e in raw))
    loaded = read_session(old)
    assert not loaded.warnings and [t.cut_off for t in loaded.turns] == [False, False]
    assert loaded.turns[0].time_limit_s is None and loaded.turns[0].answer == first.answer


class LiveMic(CallbackSource):
    """The capture path's own queue, filled in real time by a thread as PortAudio's callback would (the test
    machine has no microphone): the candidate keeps talking whether or not the loop is reading."""

    def __init__(self, audio: np.ndarray):
        super().__init__()
        self.audio = audio
        threading.Thread(target=self._feed, name="live-mic", daemon=True).start()

    def _feed(self) -> None:
        import sounddevice as sd

        status, t0 = sd.CallbackFlags(), time.monotonic()
        for k, i in enumerate(range(0, len(self.audio) - CHUNK + 1, CHUNK)):
            time.sleep(max(0.0, t0 + k * CHUNK / SR - time.monotonic()))
            self.callback(self.audio[i : i + CHUNK].reshape(-1, 1), CHUNK, None, status)


def test_the_cut_in_is_said_over_the_candidate_without_barge_in(speech_dir, tmp_path, catalog):
    """Cut off at a pause, the candidate goes on talking; the cut-in plays in full and what the microphone heard
    meanwhile is dropped, then the question is said (barge-in would have stopped the cut-in at once)."""
    first = "Our checkout service started timing out at nine forty in the morning."
    more = "And then the latency alert paged me within two minutes."
    spoken = answer([first, more], speech_dir, pauses=[1.2], tail=14.0)
    out = WallClockOut()
    lines: list[str] = []
    channel = VoiceChannel(Pyttsx3TTS(Voice(rate=150)), Listener(tiny_model(), TurnConfig()), out,
                           LiveMic(spoken.audio), echo=lines.append)
    channel.attach(tmp_path)
    heard = channel.listen(0, limit_s=3.0)  # cut at the pause after the first sentence
    assert heard.cut_off and "checkout" in heard.text.lower() and "latency" not in heard.text.lower()
    cut = catalog.personas["peer"].timebox.cut_in.strip()
    question = "What did you do first?"
    said = channel.say(iter([cut, question]), 1)
    assert "(you started talking: listening)" not in lines and out.stopped_at is None  # nothing was cut short
    assert said.text == f"{cut} {question}" and lines[-2:] == [f"Interviewer: {cut}", f"Interviewer: {question}"]
    assert wav_seconds(tmp_path / said.audio_file) > 5.0
