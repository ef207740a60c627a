"""Hear it in the report: a real spoken session (`practice --answers`, espeak-ng WAVs, the real tiny.en model)
gives an HTML report that carries both sides' audio as Opus, and clicking a quote in real headless Chromium,
with the network off, plays the answer from that quote's first word."""

from __future__ import annotations

import html
import json
import re
import time

import pytest
from browser import DevToolsPage, chromium
from conftest import SUMMARY, run_cli
from voice_audio import SR, answer, long_answer, write_wav

from interviewer.models import Turn, WordTiming
from interviewer.report.audio import encode_opus
from interviewer.report.playback import align_words, answer_timing
from interviewer.sessions.store import read_session

needs_chromium = pytest.mark.skipif(chromium() is None, reason="chromium is not installed")
# one incident over five answers; the first has a long thinking pause between its sentences
TEXTS = [
    ["At nine forty our checkout latency alert fired.", "I rolled back the release within ten minutes."],
    ["The cause was a connection pool limit that a config change lowered."],
    ["I posted updates in the incident channel every fifteen minutes."],
    ["I would have added a canary stage for config changes sooner."],
    ["Afterwards we added an alert on pool saturation at eighty percent."],
]
FIFTEEN_MINUTES_LIMIT = 5_000_000  # bytes of base64 in the page, the README's figure


@pytest.fixture(scope="module")
def spoken(speech_dir, tmp_path_factory):
    """A real 5-turn spoken session: (its folder, the report written by practice)."""
    root = tmp_path_factory.mktemp("spoken")
    answers = root / "answers"
    answers.mkdir()
    for i, sentences in enumerate(TEXTS):
        write_wav(answers / f"{i:02d}.wav", answer(sentences, speech_dir, pauses=[2.3]).audio)
    proc = run_cli("practice", "--answers", str(answers), "--persona", "peer", "--seed", "2", "--offline",
                   "--sessions", str(root / "sessions"), timeout=300)
    assert proc.returncode == 0, proc.stderr
    [folder] = [p for p in (root / "sessions").iterdir() if p.is_dir()]
    return folder, folder / "report.html"


def _audio_srcs(page: str) -> list[str]:
    return re.findall(r'<audio class="(?:qa|aa)"[^>]* src="(data:audio/webm;base64,[A-Za-z0-9+/=]+)"', page)


@pytest.mark.audio
def test_the_report_of_a_spoken_session_carries_both_sides_audio(spoken):
    folder, report = spoken
    page = report.read_text(encoding="utf-8")
    session = read_session(folder)
    assert len(session.turns) == 5
    assert len(_audio_srcs(page)) == 10  # question and answer of every turn
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "media-src data:" in csp and "default-src 'none'" in csp
    wavs = sum((folder / n).stat().st_size for t in session.turns for n in (t.question_audio, t.answer_audio))
    size = report.stat().st_size
    seconds = sum(t.words[-1].end for t in session.turns if t.words)
    SUMMARY["report audio: real 5-turn spoken session"] = (
        f"report.html {size / 1000:.0f} kB with {seconds:.0f} s of answers and the questions (the turns' WAVs: {wavs / 1000:.0f} kB)")
    assert size < wavs / 4, (size, wavs)
    assert seconds > 15
    assert page.count('class="w"') >= 40  # the answers' words are timed for seeking
    assert 'class="mk pause"' in page  # the 2.3 s pause in the first answer is on its strip


@pytest.mark.audio
def test_no_audio_gives_a_text_only_file_and_a_missing_clip_is_a_warning(spoken, tmp_path):
    folder, report = spoken
    sessions = folder.parent
    out = tmp_path / "text-only.html"
    proc = run_cli("report", folder.name, "--no-audio", "-o", str(out), "--sessions", str(sessions))
    assert proc.returncode == 0, proc.stderr
    page = out.read_text(encoding="utf-8")
    assert "<audio" not in page and 'class="w"' not in page and "data:audio" not in page
    assert out.stat().st_size * 5 < report.stat().st_size

    copy = tmp_path / "sessions" / folder.name
    copy.mkdir(parents=True)
    for f in folder.iterdir():
        if f.name != "turn-02-answer.wav":
            (copy / f.name).write_bytes(f.read_bytes())
    proc = run_cli("report", folder.name, "--sessions", str(tmp_path / "sessions"))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    page = (copy / "report.html").read_text(encoding="utf-8")
    assert "audio turn-02-answer.wav is missing" in page
    assert len(_audio_srcs(page)) == 9


def _expected_start(turn: Turn, quote: str) -> float:
    """The start of the quote's first word, from the session's own word timings (counted independently of the
    page: the k-th time that word is said in the answer is the k-th timed word with that text)."""
    norm = lambda s: re.sub(r"[^\w]", "", s).lower()  # noqa: E731
    pos = turn.answer.find(quote)
    assert pos >= 0
    first = norm(quote.split()[0])
    k = sum(1 for w in turn.answer[:pos].split() if norm(w) == first)
    matches = [w for w in turn.words if norm(w.word) == first]
    return matches[k].start


WAIT_SEEK = """new Promise(done => { const t0 = Date.now(); (function poll() {
  if (window.__seeks.length > %d || Date.now() - t0 > 8000) done(window.__seeks); else setTimeout(poll, 30); })(); })"""
RECORD_SEEKS = """window.__seeks = []; document.querySelectorAll('audio.aa').forEach(a => a.addEventListener('seeked',
  () => window.__seeks.push([Number(a.closest('.turn').dataset.turn), a.currentTime]))); true"""
ALL_LOADED = """new Promise(done => { const t0 = Date.now(); (function poll() {
  const a = Array.from(document.querySelectorAll('audio.qa, audio.aa'));
  if (a.every(x => x.readyState >= 1) || Date.now() - t0 > 15000) done(a.map(x => x.readyState));
  else setTimeout(poll, 50); })(); })"""


@pytest.mark.audio
@pytest.mark.browser
@needs_chromium
def test_clicking_a_quote_plays_the_answer_from_that_quote_offline(spoken, tmp_path):
    folder, report = spoken
    session = read_session(folder)
    grade = session.grades[-1]
    page = report.read_text(encoding="utf-8")
    # every quote link under a signal or a flag, with the id of the mark it points at
    links = re.findall(r'<li><a href="#(ev-\d+)">&ldquo;(.*?)&rdquo;</a></li>', page)
    quotes = {q for s in grade.signals for q in s.evidence} | {q for f in grade.flags for q in f.evidence}
    assert links and quotes
    checked = 0
    with DevToolsPage(tmp_path / "profile", offline=True) as browser:
        browser.open(report)
        assert browser.evaluate("document.body.getAttribute('data-ready')") == "report"
        assert all(state >= 1 for state in browser.evaluate(ALL_LOADED)), "audio did not load offline"
        browser.evaluate(RECORD_SEEKS)
        done: set[str] = set()
        for anchor, text in links:
            quote = html.unescape(text)
            if anchor in done or quote not in quotes:
                continue
            done.add(anchor)
            turn = next(t for t in session.turns if quote in t.answer)
            before = len(browser.evaluate("window.__seeks"))
            browser.click(f'a[href="#{anchor}"]')
            seeks = browser.evaluate(WAIT_SEEK % before)
            assert len(seeks) > before, f"clicking {quote!r} did not seek"
            index, at = seeks[before]
            assert index == turn.index
            assert abs(at - _expected_start(turn, quote)) < 0.3, (quote, at, _expected_start(turn, quote))
            checked += 1
        assert checked >= 3
        # it plays, and the word being spoken is highlighted in the transcript
        time.sleep(0.6)
        playing = browser.evaluate("Array.from(document.querySelectorAll('audio.aa')).filter(a => !a.paused)"
                                   ".map(a => Number(a.closest('.turn').dataset.turn))")
        assert len(playing) == 1
        now = browser.evaluate(f"Array.from(document.querySelectorAll('.turn[data-turn=\"{playing[0]}\"] .w.now'))"
                               ".map(w => w.textContent)")
        assert now, "no word highlighted while the answer plays"
        # a transcript word and a pause marker on the strip seek there too
        word = session.turns[0].words[5]
        before = len(browser.evaluate("window.__seeks"))
        browser.click('.turn[data-turn="0"] .w[data-i="5"]')
        index, at = browser.evaluate(WAIT_SEEK % before)[before]
        assert index == 0 and abs(at - word.start) < 0.05
        pause_at = float(browser.evaluate("document.querySelector('.turn[data-turn=\"0\"] .mk.pause').dataset.t"))
        before += 1
        browser.click('.turn[data-turn="0"] .mk.pause')
        index, at = browser.evaluate(WAIT_SEEK % before)[before]
        assert index == 0 and abs(at - pause_at) < 0.05
        requests = browser.requests()
        console = browser.console()
    assert requests[0] == report.resolve().as_uri()
    assert all(u.startswith("data:") for u in requests[1:]), requests  # nothing from the network
    assert console == [], console


def test_fifteen_minutes_of_speech_fit_in_the_readme_figure(speech_dir, tmp_path):
    """Both sides of a 15-minute session, encoded as the report does, stay under 5 MB of base64."""
    spoken = long_answer(900, speech_dir, seed=3)
    wav = write_wav(tmp_path / "fifteen.wav", spoken.audio)
    data, seconds = encode_opus(wav)
    page_bytes = len(data) * 4 / 3  # base64 in the page
    SUMMARY["report audio: 15 minutes of speech"] = (
        f"{seconds / 60:.1f} min: WAV {wav.stat().st_size / 1e6:.1f} MB -> Opus {len(data) / 1e6:.2f} MB, "
        f"{page_bytes / 1e6:.2f} MB in the page")
    assert abs(seconds - len(spoken.audio) / SR) < 0.5
    assert page_bytes < FIFTEEN_MINUTES_LIMIT


def test_words_are_placed_on_the_answer_text_and_pauses_and_fillers_marked():
    said = "Um, at 9.40 the alert fired. I rolled it back."
    timings = [(" Um,", 0.0, 0.3), (" at", 0.4, 0.5), (" 9", 0.5, 0.7), (".40", 0.7, 0.9), (" the", 0.9, 1.0),
               (" alert", 1.0, 1.3), (" fired.", 1.3, 1.6), (" I", 4.2, 4.3), (" rolled", 4.3, 4.6),
               (" it", 4.6, 4.7), (" back.", 4.7, 5.0), (" nonsense", 5.0, 5.1)]
    words = [WordTiming(word=w, start=a, end=b) for w, a, b in timings]
    timed = align_words(said, words)
    assert [said[w.start:w.end] for w in timed] == ["Um", "at", "9", "40", "the", "alert", "fired", "I",
                                                    "rolled", "it", "back"]
    assert timed[-1].t0 == 4.7 and timed[0].index == 0
    turn = Turn(index=0, round="opening", question="q", answer=said, words=words)
    _, marks = answer_timing(turn)
    assert [(m.kind, m.at) for m in marks] == [("filler", 0.0), ("pause", 1.6)]
    assert json.dumps([m.label for m in marks]) == '["filler: um", "2.6 s pause"]'


@pytest.mark.audio
def test_a_spoken_retry_keeps_its_audio_apart_and_plays_in_the_report(spoken, speech_dir, tmp_path):
    """`--retry --answers DIR`: the drill's audio goes to retry-1/, the originals stay, the report plays both."""
    folder, _ = spoken
    sessions = tmp_path / "sessions"
    copy = sessions / folder.name
    copy.mkdir(parents=True)
    for f in folder.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    answers = tmp_path / "retry-answers"
    answers.mkdir()
    write_wav(answers / "00.wav", answer(["I rolled back the release first, because it was the safest step.",
                                          "Errors dropped back to normal within five minutes."],
                                         speech_dir, pauses=[0.8]).audio)
    (answers / "self-rating.txt").write_text("4\n")
    originals = {p.name: p.read_bytes() for p in copy.glob("turn-*.wav")}
    proc = run_cli("practice", "--retry", copy.name, "--signal", "mitigation", "--answers", str(answers),
                   "--offline", "--sessions", str(sessions), timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "retry 1 at mitigation" in proc.stdout
    session = read_session(copy)
    [attempt] = session.attempts
    assert attempt.self_rating == 4 and attempt.version == len(session.grades)
    first = attempt.turns[0]
    assert first.answer_audio == "retry-1/turn-00-answer.wav" and (copy / first.answer_audio).is_file()
    assert first.question_audio == "retry-1/turn-00-question.wav" and first.words
    assert first.index == len(session.turns) + 0  # an index of its own: no clip of the interview is reused
    assert {p.name: p.read_bytes() for p in copy.glob("turn-*.wav")} == originals  # originals untouched
    page = (copy / "report.html").read_text(encoding="utf-8")
    assert f'<div class="turn" data-turn="{first.index}">' in page
    assert 'id="retries"' in page
    assert len(_audio_srcs(page)) >= 10  # the drill's clips and the turns it did not replace
    retries = page[page.index('id="retries"'):page.index("</section>", page.index('id="retries"'))]
    assert '<audio class="before-audio" controls preload="none" src="data:audio/webm;base64,' in retries
    if chromium() is not None:  # and the page with its retry works offline in a real browser
        with DevToolsPage(tmp_path / "profile", offline=True) as browser:
            browser.open(copy / "report.html")
            assert browser.evaluate("document.body.getAttribute('data-ready')") == "report"
            assert all(state >= 1 for state in browser.evaluate(ALL_LOADED))
            browser.evaluate(RECORD_SEEKS)
            browser.click(f'.turn[data-turn="{first.index}"] .w[data-i="0"]')
            index, at = browser.evaluate(WAIT_SEEK % 0)[0]
            assert index == first.index and abs(at - first.words[0].start) < 0.05
            assert browser.console() == []
            assert all(u.startswith("data:") for u in browser.requests()[1:])
