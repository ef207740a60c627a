"""Timeboxing like a person: a polite cut-in after an opening past the persona's limit, and one "say more"
after a very short answer. The pure decisions, then whole interviews through the real CLI in text mode."""

from __future__ import annotations

from pathlib import Path

from conftest import cli_env, run_cli

from interviewer.interview.timebox import SAY_MORE_ID, cut_in, say_more, story_seconds
from interviewer.models import RoundKind
from interviewer.sessions.store import read_session

LONG_OPENING = " ".join(
    ["Our checkout API started failing at 09:12 and about 30 percent of orders failed for 25 minutes."] * 30
)  # about 510 words: well past three minutes at a speaking pace
SHORT = "The cache broke."
ENOUGH = ("I rolled back the connection pool change at 09:31, and checkout latency recovered within two "
          "minutes after that.")


def test_the_opening_is_measured_by_talk_time_or_by_words(catalog):
    peer = catalog.persona("peer")
    limit = peer.timebox.opening_seconds
    assert story_seconds(LONG_OPENING, None, peer) > limit  # text mode: words at the persona's pace
    assert cut_in(RoundKind.opening, LONG_OPENING, None, peer) == peer.timebox.cut_in
    assert cut_in(RoundKind.opening, SHORT, limit + 1, peer) == peer.timebox.cut_in  # spoken: the clock
    assert cut_in(RoundKind.opening, LONG_OPENING, limit - 1, peer) is None
    assert cut_in(RoundKind.probe, LONG_OPENING, None, peer) is None  # only the opening story is cut
    assert cut_in(RoundKind.opening, "", None, peer) is None


def test_each_persona_has_its_own_limit_and_words(catalog):
    exec_, peer = catalog.persona("exec"), catalog.persona("peer")
    story = " ".join(["word"] * int(exec_.timebox.words_per_minute * (exec_.timebox.opening_seconds + 20) / 60))
    assert cut_in(RoundKind.opening, story, None, exec_) and not cut_in(RoundKind.opening, story, None, peer)
    assert exec_.timebox.cut_in != peer.timebox.cut_in


def test_a_very_short_answer_gets_one_say_more_naming_what_was_asked(catalog):
    peer = catalog.persona("peer")
    assert say_more(RoundKind.probe, "diagnosis", SHORT, peer) == "I'd love to hear a bit more about how you " \
                                                                  "worked out what was wrong."
    assert "what broke" in say_more(RoundKind.opening, None, SHORT, peer)
    assert say_more(RoundKind.probe, "diagnosis", ENOUGH, peer) is None
    assert say_more(RoundKind.probe, "diagnosis", "", peer) is None  # a skip is not an answer
    for decline in ("I don't remember more than that.", "No idea, honestly.", "That's all."):
        assert say_more(RoundKind.probe, "diagnosis", decline, peer) is None, decline


def _run(sessions_dir: Path, persona: str, answers: list[str]) -> tuple[str, list]:
    r = run_cli("practice", "--text", "--persona", persona, "--question", "incident-classic",
                input="".join(a + "\n\n" for a in answers), env=cli_env(INTERVIEWER_SESSIONS=str(sessions_dir)))
    assert r.returncode == 0, r.stderr
    [folder] = [p for p in sessions_dir.iterdir() if (p / "session.jsonl").is_file()]
    return r.stdout, read_session(folder).turns


def test_a_long_opening_story_gets_a_spoken_cut_in_and_the_next_question(sessions_dir, catalog):
    stdout, turns = _run(sessions_dir, "exec", [LONG_OPENING, ENOUGH, "/quit"])
    cut = catalog.persona("exec").timebox.cut_in
    assert turns[0].round is RoundKind.opening and turns[0].answer == LONG_OPENING  # the story is kept whole
    second = turns[1]
    assert second.question.startswith(cut) and second.question.rstrip().endswith("?")
    assert second.question_id != SAY_MORE_ID and second.round is RoundKind.constraint
    assert cut in stdout


def test_a_short_opening_is_not_cut_in(sessions_dir, catalog):
    _, turns = _run(sessions_dir, "exec", [ENOUGH, ENOUGH, "/quit"])
    assert not turns[1].question.startswith(catalog.persona("exec").timebox.cut_in)


def test_a_very_short_answer_gets_one_say_more_then_the_next_round(sessions_dir, catalog):
    say_more_text = catalog.persona("peer").timebox.say_more.split("{")[0]
    stdout, turns = _run(sessions_dir, "peer", [ENOUGH, SHORT, "Still not much.", ENOUGH, "/quit"])
    rounds = [(t.round, t.question_id == SAY_MORE_ID) for t in turns]
    assert rounds[:4] == [(RoundKind.opening, False), (RoundKind.probe, False), (RoundKind.probe, True),
                          (RoundKind.constraint, False)], rounds  # one say-more only, even after a second short one
    probe, more = turns[1], turns[2]
    assert more.target == probe.target and more.question.startswith(say_more_text)
    assert more.answer == "Still not much." and more.question in stdout


def test_resume_after_a_say_more_goes_on_with_the_plan(sessions_dir, catalog):
    env = cli_env(INTERVIEWER_SESSIONS=str(sessions_dir))
    first = run_cli("practice", "--text", "--persona", "peer", "--question", "incident-classic",
                    input=f"{ENOUGH}\n\n{SHORT}\n\n{ENOUGH}\n\n/quit\n", env=env)
    assert first.returncode == 0, first.stderr
    [folder] = [p for p in sessions_dir.iterdir() if (p / "session.jsonl").is_file()]
    log = folder / "session.jsonl"
    kept = [line for line in log.read_text(encoding="utf-8").splitlines()
            if '"type":"graded"' not in line and '"type":"session_ended"' not in line]
    log.write_text("\n".join(kept) + "\n", encoding="utf-8")
    again = run_cli("practice", "--text", "--resume", folder.name, input="".join(f"{ENOUGH}\n\n" for _ in range(4)),
                    env=env)
    assert again.returncode == 0, again.stderr
    turns = read_session(folder).turns
    plan_rounds = [t.round for t in turns if t.question_id != SAY_MORE_ID]
    assert plan_rounds == catalog.persona("peer").rounds
