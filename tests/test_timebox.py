"""Timeboxing like a person: a polite cut-in after an opening past the persona's limit, and one "say more"
after a very short answer. The pure decisions, then whole interviews through the real CLI in text mode."""

from __future__ import annotations

from pathlib import Path

from conftest import cli_env, run_cli

from interviewer.interview.timebox import SAY_MORE_ID, answer_limit, cut_in, say_more, story_seconds
from interviewer.models import RoundKind
from interviewer.sessions.store import read_session
from interviewer.voice.vad import cut_at_limit

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


def test_a_spoken_answer_is_cut_at_the_first_pause_past_its_limit_or_when_the_grace_runs_out():
    # (seconds talked since the first word, seconds of pause since the last one, the limit)
    assert not cut_at_limit(14.9, 1.0, 15.0)  # limit not reached: even a long pause does not cut
    assert not cut_at_limit(16.0, 0.1, 15.0)  # reached, but mid-sentence: no pause yet
    assert not cut_at_limit(16.0, 0.24, 15.0)  # a gap between words is not a pause
    assert cut_at_limit(16.0, 0.25, 15.0)  # the first pause after the limit
    assert not cut_at_limit(22.9, 0.0, 15.0)  # still talking, inside the 8 s grace
    assert cut_at_limit(23.0, 0.0, 15.0)  # grace expired: cut even mid-sentence
    assert cut_at_limit(15.5, 0.0, 15.0, grace_s=0.5) and not cut_at_limit(15.5, 0.4, 15.0, pause_needed_s=0.5)
    assert not cut_at_limit(600.0, 5.0, None)  # no limit (every round but the opening): never


def test_only_the_opening_is_given_a_limit_and_a_cut_off_opening_always_gets_the_cut_in(catalog):
    peer = catalog.persona("peer")
    limit = peer.timebox.opening_seconds
    assert answer_limit(RoundKind.opening, peer) == limit
    assert all(answer_limit(kind, peer) is None for kind in RoundKind if kind is not RoundKind.opening)
    # the channel measures from the first word: a cut-off opening may read a little under the limit
    assert cut_in(RoundKind.opening, ENOUGH, limit - 0.3, peer) is None
    assert cut_in(RoundKind.opening, ENOUGH, limit - 0.3, peer, cut_off=True) == peer.timebox.cut_in
    assert cut_in(RoundKind.opening, "", limit + 1, peer, cut_off=True) is None  # nothing heard: nothing to cut


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
