"""The self-contained HTML reports: escaping, evidence highlighting, timeline, and a real headless Chromium."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from browser import chromium, load, screenshot
from session_helpers import STRONG, WEAK

from interviewer.grading import OfflineGrader
from interviewer.models import SIGNAL_IDS, Level, RoundKind, SessionMeta, Turn, candidate_text, utcnow
from interviewer.report.html import (
    BatchRow,
    HistoryPoint,
    evidence_spans,
    render_batch_index,
    render_history_page,
    render_html,
    sparkline_svg,
    timeline_svg,
)

HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2"> & "quoted"'
SECTIONS = ("overall", "improvements", "signals", "flags", "timeline", "delivery", "transcript", "history")
needs_chromium = pytest.mark.skipif(chromium() is None, reason="chromium is not installed")


def turns_of(answers, hostile: bool = False) -> list[Turn]:
    start = utcnow()
    out = []
    for i, (kind, a) in enumerate(zip(RoundKind, answers, strict=False)):
        answer = a + (" " + HOSTILE if hostile and i == 1 else "")
        out.append(Turn(index=i, round=kind, question=f"Question {i} <b>for</b> you?", answer=answer,
                        asked_at=start + timedelta(minutes=2 * i),
                        answered_at=start + timedelta(minutes=2 * i + 1), answer_seconds=50.0))
    return out


@pytest.fixture(scope="module")
def rubric(catalog):
    return catalog.rubrics["production-incident"]


@pytest.fixture(scope="module")
def strong(rubric):
    turns = turns_of(STRONG, hostile=True)
    return turns, OfflineGrader().grade(turns, rubric, Level.L5, "Tell me about an <incident>")


@pytest.fixture(scope="module")
def weak(rubric):
    turns = turns_of(WEAK)
    return turns, OfflineGrader().grade(turns, rubric, Level.L5, None)


def history() -> list[HistoryPoint]:
    now = utcnow()
    return [HistoryPoint(f"s{i}", now - timedelta(days=5 - i), 30 + 9 * i,
                         {s: min(4, (i + k) % 5) for k, s in enumerate(SIGNAL_IDS)}) for i in range(5)]


class Marks(HTMLParser):
    """Text of the transcript answers, each character tagged with the evidence keys highlighting it."""

    def __init__(self) -> None:
        super().__init__()
        self.depth_words = 0
        self.keys: list[set[str]] = []
        self.chars: list[str] = []
        self.ids: set[str] = set()
        self.imgs = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "img":
            self.imgs += 1
        if tag == "span" and a.get("class") == "words":
            self.depth_words = 1
        elif tag == "span" and self.depth_words:  # a timed word inside an answer
            self.depth_words += 1
        elif tag == "mark" and self.depth_words:
            self.keys.append(set((a.get("data-k") or "").split()))

    def handle_endtag(self, tag):
        if tag == "mark" and self.keys:
            self.keys.pop()
        elif tag == "span" and self.depth_words > 1:
            self.depth_words -= 1
        elif tag == "span" and self.depth_words:
            self.depth_words = 0
            self.chars.append("\n\n")

    def handle_data(self, data):
        if self.depth_words:
            keys = set().union(*self.keys) if self.keys else set()
            self.chars.extend((c, frozenset(keys)) for c in data)  # type: ignore[arg-type]


def parsed(page: str) -> Marks:
    m = Marks()
    m.feed(page)
    return m


def text_under(m: Marks, key: str) -> str:
    """The transcript with every character not highlighted for `key` blanked out."""
    return "".join(c if isinstance(c, str) else (c[0] if key in c[1] else "\0") for c in m.chars)


def test_untrusted_text_is_escaped(strong, rubric):
    turns, report = strong
    page = render_html(report, turns, rubric=rubric, history=history())
    assert "<script>window.__pwned" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert "Question 1 &lt;b&gt;for&lt;/b&gt; you?" in page
    assert "Tell me about an &lt;incident&gt;" in page
    assert parsed(page).imgs == 0


def test_self_contained_no_network(strong, rubric):
    turns, report = strong
    page = render_html(report, turns, rubric=rubric, history=history())
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    refs = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page)
    assert refs, "expected in-page links"
    assert all(r.startswith(("#", "data:")) for r in refs), refs
    assert "@import" not in page and "url(" not in page


def _csp(page: str) -> dict[str, str]:
    content = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page).group(1)
    return dict(d.strip().split(" ", 1) for d in content.split(";"))


def test_the_page_script_runs_under_a_fresh_nonce(strong, rubric):
    """script-src allows only the page's own script, by a nonce new for every page; no 'unsafe-inline'."""
    turns, report = strong
    pages = [render_html(report, turns, rubric=rubric), render_html(report, turns, rubric=rubric),
             render_history_page(history()), render_batch_index([BatchRow("a.wav", report)])]
    nonces = []
    for page in pages:
        csp = _csp(page)
        assert csp["default-src"] == "'none'" and "unsafe-inline" not in csp["script-src"]
        nonce = re.fullmatch(r"'nonce-([A-Za-z0-9+/]{22}==)'", csp["script-src"]).group(1)
        assert re.findall(r"<script\b[^>]*>", page) == [f'<script nonce="{nonce}">']
        nonces.append(nonce)
    assert len(set(nonces)) == len(nonces)


def test_every_evidence_quote_is_highlighted_in_the_transcript(strong, rubric):
    turns, report = strong
    text = candidate_text(turns)
    page = render_html(report, turns, rubric=rubric)
    m = parsed(page)
    assert "".join(c if isinstance(c, str) else c[0] for c in m.chars).strip() == text.replace("\n\n", "\n\n")
    checked = 0
    for s in report.signals:
        for q in s.evidence:
            assert q in text, f"grader quote not verbatim: {q!r}"
            assert q.strip() in text_under(m, s.id), f"{s.id}: quote not highlighted: {q!r}"
            checked += 1
    for f in report.flags:
        for q in f.evidence:
            assert q.strip() in text_under(m, f"flag-{f.id}")
            checked += 1
    assert checked >= 10
    spans, missing = evidence_spans(text, report)
    assert not missing
    assert {sp.anchor for sp in spans} <= m.ids  # every quote link has its target


def test_quotes_not_in_the_transcript_are_shown_but_not_linked(strong, rubric):
    turns, report = strong
    fake = report.model_copy(deep=True)
    fake.signals[0].evidence = ["words the candidate never said"]
    page = render_html(fake, turns, rubric=rubric)
    assert 'class="missing"' in page and "words the candidate never said" in page
    assert "never said" not in text_under(parsed(page), fake.signals[0].id)


def test_timeline_marks_described_and_missing_phases(strong, weak):
    turns, report = strong
    text = candidate_text(turns)
    svg = timeline_svg(text, report, ["14:05", "four minutes in", "14:20", "Within two weeks"])
    for phase in ("detection", "mitigation", "root_cause", "prevention"):
        assert f'data-phase="{phase}"' in svg
    assert svg.count('class="node on"') == 4
    assert "14:20" in svg and "Within two weeks" in svg
    wturns, wreport = weak
    wsvg = timeline_svg(candidate_text(wturns), wreport, [])
    assert "not described" in wsvg
    assert wsvg.count('class="node off"') >= 2


def test_delivery_section_shows_the_measured_figures(rubric):
    """Pace, pauses, fillers and I vs we from word timings reach the page, with the filler caveat."""
    from interviewer.models import WordTiming

    said = "Um I rolled back the deploy and then we watched errors fall."
    words, t = [], 0.0
    for i, w in enumerate(said.split()):
        t += 2.5 if i == 6 else 0.1  # one long pause, before "we"
        words.append(WordTiming(word=w, start=t, end=t + 0.3))
        t += 0.3
    turns = [Turn(index=0, round=RoundKind.opening, question="q", answer=said, words=words,
                  answer_audio="turn-00-answer.wav")]
    report = OfflineGrader().grade(turns, rubric, Level.L5, "q")
    d = report.delivery
    html = render_html(report, turns, rubric=rubric)
    section = html[html.index('id="delivery"'):html.index("</section>", html.index('id="delivery"'))]
    cells = dict(re.findall(r'<div class="stat"><span>([^<]+)</span><b>([^<]+)</b>', section))
    assert cells["Pace"] == f"{d.words_per_minute:.0f} wpm" and d.words_per_minute > 0
    assert cells["Long pauses"] == "1"
    assert cells["I vs we"] == "50% I" and d.i_count == 1 and d.we_count == 1
    assert cells["Fillers"].startswith(f"{d.filler_rate:.1f}") and d.fillers == {"um": 1}
    assert "lower bound" in section


def test_sparkline_scales_to_the_top():
    svg = sparkline_svg([0, 4], top=4, width=100, height=20)
    assert 'points="2.0,18.0 98.0,2.0"' in svg


def test_batch_index_rows_and_escaping(strong, rubric):
    _, report = strong
    rows = [BatchRow('a <b>"x".wav', report, link="reports/a b.html", audio_seconds=61.0),
            BatchRow("broken.mp3", None, error="corrupt audio <bad>")]
    page = render_batch_index(rows, rubric=rubric, generated_at=utcnow())
    assert "a &lt;b&gt;&#34;x&#34;.wav" in page  # markupsafe writes a double quote as &#34;
    assert 'href="reports/a%20b.html"' in page
    assert "corrupt audio &lt;bad&gt;" in page
    assert "<b>1</b> graded" in page and ">1</b> failed" in page


# --- in a real browser ------------------------------------------------------------------------


def _write(tmp_path: Path, name: str, page: str) -> Path:
    path = tmp_path / name
    path.write_text(page, encoding="utf-8")
    return path


def _assert_not_blank(img: np.ndarray) -> None:
    rgb = img[..., :3].reshape(-1, 3)
    assert rgb.std() > 20, "screenshot looks blank"
    colors = {tuple(c) for c in rgb[:: max(1, len(rgb) // 20000)]}
    assert len(colors) > 50, f"only {len(colors)} colors: not a rendered report"


@pytest.mark.browser
@needs_chromium
def test_report_loads_in_chromium_without_console_errors(tmp_path, strong, rubric):
    turns, report = strong
    meta = SessionMeta(id="20260101-120000-abcdef", persona="peer", level=Level.L5, question="Tell me <more>",
                       created_at=turns[0].asked_at)
    page = _write(tmp_path, "report.html", render_html(report, turns, meta=meta, rubric=rubric,
                                                        history=history(), warnings=["a torn line"]))
    loaded = load(page, tmp_path / "profile")
    assert loaded.console == [], loaded.console
    assert 'data-ready="report"' in loaded.dom  # the page script ran to the end
    for section in SECTIONS:
        assert f'id="{section}"' in loaded.dom, section
    m = parsed(loaded.dom)
    assert m.imgs == 0  # the injected <img> stayed text
    assert "window.__pwned" in loaded.dom and "<script>window.__pwned" not in loaded.dom
    img = screenshot(page, tmp_path / "profile", tmp_path / "report.png")
    _assert_not_blank(img)
    header = img[5, 5, :3].tolist()
    assert header == [0x17, 0x32, 0x4F], header  # the page's own header colour, so CSS applied


@pytest.mark.browser
@needs_chromium
def test_a_script_without_the_nonce_does_not_run_in_chromium(tmp_path, strong, rubric):
    """Were an escaping bug ever to let a <script> through, the CSP would still not run it."""
    turns, report = strong
    page = render_html(report, turns, rubric=rubric)
    injected = page.replace("</main>", "<script>document.body.setAttribute('data-evil', '1')</script></main>")
    loaded = load(_write(tmp_path, "report.html", injected), tmp_path / "profile")
    assert 'data-ready="report"' in loaded.dom  # the page's own script ran
    assert 'data-evil="1"' not in loaded.dom  # the injected one did not


@pytest.mark.browser
@needs_chromium
def test_batch_index_loads_in_chromium(tmp_path, strong, weak, rubric):
    rows = [BatchRow("strong.wav", strong[1], link="reports/strong.html", audio_seconds=95.0),
            BatchRow("weak.txt", weak[1], link="reports/weak.html"),
            BatchRow("silence.wav", None, error="silence only")]
    page = _write(tmp_path, "index.html", render_batch_index(rows, rubric=rubric))
    loaded = load(page, tmp_path / "profile")
    assert loaded.console == [], loaded.console
    assert 'data-ready="batch"' in loaded.dom
    assert loaded.dom.count("<tr") >= 5  # header, three rows, means
    _assert_not_blank(screenshot(page, tmp_path / "profile", tmp_path / "index.png", size=(1200, 500)))
