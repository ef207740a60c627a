"""The built-in question bank and personas, and catalog validation of user data files."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
import yaml
from conftest import REPO, cli_env, run_cli

from interviewer.catalog import load_catalog
from interviewer.errors import CatalogError
from interviewer.interview.engine import CONSTRAINT_SIGNALS, CURVEBALL_FLAGS, PROBE_SIGNALS, SYNTHESIS_SIGNALS
from interviewer.llm.persona import MAX_LEADIN, MAX_WORDS, check_sentence, leak
from interviewer.models import SIGNAL_IDS, Level, RoundKind

PLACEHOLDERS = {"system", "number", "quote", "person"}
# what the engine fills placeholders with, at a typical length (see followups.fills: a quote is cut to <= 12 words)
SAMPLE_FILLS = {
    "system": "the checkout API",
    "number": "30 percent",
    "quote": "I rolled it back the moment I saw",
    "person": "the on-call engineer",
}
CLOSERS = "\"'\u201d\u2019)"
SENTENCE_RX = re.compile(rf".*?[.?!][{CLOSERS}]*(?=\s|$)", re.S)  # as the persona cuts a streamed reply
REQUIRED_ROUND_TARGETS = (
    [(RoundKind.probe, s) for s in PROBE_SIGNALS]
    + [(RoundKind.constraint, s) for s in CONSTRAINT_SIGNALS]
    + [(RoundKind.curveball, f) for f in CURVEBALL_FLAGS]
    + [(RoundKind.synthesis, s) for s in SYNTHESIS_SIGNALS]
    + [(RoundKind.synthesis, "no_prevention")]
)


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


# --- the built-ins --------------------------------------------------------------------------


def test_question_bank_size_tags_and_levels(catalog):
    qs = list(catalog.questions.values())
    assert len(qs) >= 28
    assert len({q.text for q in qs}) == len(qs)
    for level in Level:
        assert len(catalog.questions_for(level)) >= 8, level
    assert any(q.levels == [Level.staff] for q in qs), "no staff-only question"
    for q in qs:
        assert q.competencies and set(q.competencies) <= set(SIGNAL_IDS), q.id
        assert q.tags, q.id
    angles = {t for q in qs for t in q.tags}
    for angle in ("late-detection", "own-change", "third-party", "executives", "recurring", "unfamiliar-system",
                  "org-change"):
        assert angle in angles


def test_three_distinct_personas_with_peer_as_default(catalog):
    assert {"peer", "bar-raiser", "exec"} <= set(catalog.personas)
    personas = list(catalog.personas.values())
    assert len({p.voice.voice for p in personas}) == len(personas), "voices should differ"
    assert len({p.voice.rate for p in personas}) == len(personas)
    assert len({p.tone for p in personas}) == len(personas)
    for p in personas:
        assert p.rounds[0] is RoundKind.opening, p.id
        assert p.greeting.strip() and p.closing.strip()


def test_personas_differ_in_plan_not_only_wording(catalog):
    peer, bar, exec_ = (catalog.persona(p) for p in ("peer", "bar-raiser", "exec"))
    assert len({tuple(p.rounds) for p in (peer, bar, exec_)}) == 3, "every persona walks the same plan"
    assert peer.rounds == list(RoundKind)
    assert bar.rounds.count(RoundKind.probe) == 2, "the bar-raiser spends two rounds on the failure chain"
    assert RoundKind.probe not in exec_.rounds, "the exec skips the deep technical probe"
    # ...and presses on customers and cost in the rounds it keeps
    assert exec_.focus[RoundKind.constraint][0] == "impact"
    assert any(f.round is RoundKind.constraint and f.signal == "impact" for f in exec_.followups)
    assert len({p.timebox.opening_seconds for p in (peer, bar, exec_)}) == 3


@pytest.mark.parametrize("persona_id", ["peer", "bar-raiser", "exec"])
def test_follow_up_library_covers_every_round_gap(catalog, persona_id):
    p = catalog.persona(persona_id)
    for round_kind, target in REQUIRED_ROUND_TARGETS:
        hits = [f for f in p.followups if f.round is round_kind and target in (f.signal, f.flag)]
        assert hits, f"{persona_id}: nothing for {round_kind.value}/{target}"
    staff = [f for f in p.followups if f.round is RoundKind.synthesis and f.signal == "prevention"
             and Level.staff in f.levels]
    assert staff, f"{persona_id}: no class-of-incident prevention follow-up for staff"
    assert any(f.round is RoundKind.curveball and not f.signal and not f.flag for f in p.followups)


@pytest.mark.parametrize("persona_id", ["peer", "bar-raiser", "exec"])
def test_placeholders_are_known_and_always_have_a_plain_fallback(catalog, persona_id):
    p = catalog.persona(persona_id)
    assert sum(1 for f in p.followups if _fields(f.text)) >= 8, "too few follow-ups echo the candidate"
    assert set().union(*(_fields(f.text) for f in p.followups)) == PLACEHOLDERS
    for f in p.followups:
        assert _fields(f.text) <= PLACEHOLDERS, f.id
        if _fields(f.text):
            assert f.fallback, f"{f.id}: placeholder without a fallback"
            assert not _fields(f.fallback), f"{f.id}: the fallback must not need a placeholder"
    texts = [f.text for f in p.followups]
    assert len(set(texts)) == len(texts)


def test_personas_do_not_share_lines(catalog):
    seen: dict[str, str] = {}
    for p in catalog.personas.values():
        for f in p.followups:
            assert f.text not in seen, f"{p.id}/{f.id} repeats {seen.get(f.text)}"
            seen[f.text] = f"{p.id}/{f.id}"


def _spoken_forms(persona) -> list[tuple[str, str]]:
    """Every offline line as it would be said: the text with sample fills, and the plain fallback."""
    out = []
    for f in persona.followups:
        for kind, template in (("text", f.text), ("fallback", f.fallback)):
            if template:
                said = template.format_map({n: SAMPLE_FILLS[n] for n in _fields(template)})
                out.append((f"{persona.id}/{f.id} {kind}", " ".join(said.split())))
    return out


def test_every_offline_follow_up_is_one_short_question(catalog):
    """The offline lines obey the rule the LLM's phrasing is held to (interviewer.llm.persona): one
    question, at most MAX_WORDS words, at most MAX_LEADIN short statements before it, no praise."""
    lines = [line for p in catalog.personas.values() for line in _spoken_forms(p)]
    assert len(lines) >= 150
    problems = []
    for where, said in lines:
        sentences = [m.strip() for m in SENTENCE_RX.findall(said)]
        words = len(re.findall(r"[\w'\u2019-]+", said))
        if said.count("?") != 1 or not said.rstrip(CLOSERS).endswith("?"):
            problems.append(f"{where}: not exactly one question, at the end: {said}")
        elif words > MAX_WORDS:
            problems.append(f"{where}: {words} words: {said}")
        elif len(sentences) > MAX_LEADIN + 1 or " ".join(sentences) != said:
            problems.append(f"{where}: more than {MAX_LEADIN} sentence before the question: {said}")
        elif leak(said) is not None:
            problems.append(f"{where}: praise or grading ({leak(said)!r}): {said}")
        else:
            why = next((w for i, s in enumerate(sentences) if (w := check_sentence(s, sentences[:i], [], planned_text=said))), None)
            if why:
                problems.append(f"{where}: {why}: {said}")
    assert not problems, f"{len(problems)} offline lines break the one-question rule:\n" + "\n".join(problems)


# --- user data files ------------------------------------------------------------------------


def _persona_yaml(**changes) -> dict:
    data = yaml.safe_load((REPO / "personas" / "peer.yaml").read_text(encoding="utf-8"))
    data.update(changes)
    return data


def _write(folder: Path, kind: str, name: str, data) -> Path:
    (folder / kind).mkdir(parents=True, exist_ok=True)
    path = folder / kind / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


def test_bad_yaml_names_the_file(tmp_path):
    path = _write(tmp_path, "personas", "broken.yaml", "id: broken\nname: [unclosed\n")
    with pytest.raises(CatalogError, match="broken.yaml: not valid YAML"):
        load_catalog(tmp_path)
    assert path.exists()


def test_unknown_signal_in_a_follow_up_is_rejected(tmp_path):
    data = _persona_yaml(id="typo")
    data["followups"][0]["signal"] = "timelines"
    _write(tmp_path, "personas", "typo.yaml", data)
    with pytest.raises(CatalogError, match=r"typo.yaml: follow-up 'peer-probe-timeline-1': unknown signal 'timelines'"):
        load_catalog(tmp_path)


def test_unknown_key_in_a_persona_is_rejected(tmp_path):
    _write(tmp_path, "personas", "extra.yaml", _persona_yaml(id="extra", colour="blue"))
    with pytest.raises(CatalogError, match="extra.yaml: invalid persona: colour"):
        load_catalog(tmp_path)


def test_unknown_competency_in_a_question_is_rejected(tmp_path):
    _write(tmp_path, "questions", "mine.yaml", {"questions": [
        {"id": "q-x", "text": "Tell me about it.", "competencies": ["heroics"], "levels": ["L4"]}]})
    with pytest.raises(CatalogError, match="q-x.*unknown competencies"):
        load_catalog(tmp_path)


def test_data_dir_that_is_not_a_folder(tmp_path):
    with pytest.raises(CatalogError, match="not a directory"):
        load_catalog(tmp_path / "nope")


def test_user_persona_overrides_and_adds_via_flag_and_env(tmp_path):
    _write(tmp_path, "personas", "peer.yaml", _persona_yaml(name="Riley the replacement"))
    _write(tmp_path, "personas", "mentor.yaml", _persona_yaml(id="mentor", name="Jo the mentor"))
    by_flag = run_cli("personas", "--data-dir", str(tmp_path), cwd=tmp_path)
    assert by_flag.returncode == 0, by_flag.stderr
    by_env = run_cli("personas", env=cli_env(INTERVIEWER_DATA_DIR=str(tmp_path)), cwd=tmp_path)
    assert by_env.returncode == 0, by_env.stderr
    for out in (by_flag.stdout, by_env.stdout):
        assert "Riley the replacement" in out and "Jo the mentor" in out
        assert "bar-raiser" in out
        assert "Sam" not in out  # the built-in peer was replaced


def test_cli_reports_a_broken_user_file_clearly(tmp_path):
    _write(tmp_path, "personas", "broken.yaml", "followups: [\n")
    r = run_cli("personas", "--data-dir", str(tmp_path))
    assert r.returncode == 2
    assert "broken.yaml" in r.stderr and "not valid YAML" in r.stderr
    assert "Traceback" not in r.stderr


# --- the persona's plan ---------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "message"), [
    ({"rounds": ["probe", "synthesis"]}, "the plan must start with the opening round"),
    ({"rounds": ["opening"]}, "at least one round after the opening"),
    ({"rounds": ["opening", "probe", "opening"]}, "the opening round can only come first"),
    ({"rounds": ["opening", "prob"]}, "rounds.1"),
    ({"focus": {"curveball": ["impact"]}, "rounds": ["opening", "probe"]}, "round 'curveball' is not in the plan"),
    ({"focus": {"probe": []}}, "round 'probe' lists no signals"),
    ({"timebox": {"say_more": "Tell me more about {subject}."}}, "must use the {topic} placeholder"),
    ({"timebox": {"opening_seconds": 0}}, "timebox.opening_seconds"),
])
def test_a_broken_plan_is_rejected_with_the_file_and_the_reason(tmp_path, changes, message):
    _write(tmp_path, "personas", "plan.yaml", _persona_yaml(id="plan", **changes))
    with pytest.raises(CatalogError, match=re.escape("plan.yaml: invalid persona: ")) as err:
        load_catalog(tmp_path)
    assert message in str(err.value)


def test_an_unknown_signal_in_a_focus_is_rejected(tmp_path):
    _write(tmp_path, "personas", "plan.yaml", _persona_yaml(id="plan", focus={"probe": ["root_cause", "rootcause"]}))
    with pytest.raises(CatalogError, match=r"plan.yaml: focus of the probe round: unknown signals \['rootcause'\]"):
        load_catalog(tmp_path)


@pytest.mark.parametrize(("change", "message"), [
    ({"round": "probe"}, "family 'counterfactual' is for curveball follow-ups only"),
    ({"signal": "impact"}, "family 'counterfactual' challenges 'mitigation', not 'impact'"),
    ({"family": "hunch"}, "family"),
])
def test_a_curveball_family_must_fit_its_follow_up(tmp_path, change, message):
    data = _persona_yaml(id="fam")
    fu = next(f for f in data["followups"] if f["id"] == "peer-curveball-counterfactual")
    fu.update(change)
    _write(tmp_path, "personas", "fam.yaml", data)
    with pytest.raises(CatalogError, match="fam.yaml: invalid persona") as err:
        load_catalog(tmp_path)
    assert message in str(err.value)


def test_the_cli_names_a_broken_plan_in_one_line(tmp_path):
    _write(tmp_path, "personas", "plan.yaml", _persona_yaml(id="plan", rounds=["synthesis"]))
    r = run_cli("personas", "--data-dir", str(tmp_path))
    assert r.returncode == 2
    assert "plan.yaml" in r.stderr and "must start with the opening round" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_every_curveball_family_is_in_every_built_in_persona(catalog):
    from interviewer.models import CurveballFamily
    for p in catalog.personas.values():
        assert {f.family for f in p.followups if f.family} == set(CurveballFamily), p.id
