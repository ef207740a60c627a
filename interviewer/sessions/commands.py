"""The `sessions`, `history`, `replay` and `report` subcommands: argument handling around the store.

Each reads a session's log once and passes the parsed `SessionLog` along.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..catalog import load_catalog
from ..models import Level
from ..protocols import Grader
from ..report.html import render_history_page
from .attempts import effective_turns
from .listing import calibration_lines, format_history, format_sessions, history_points, summarize
from .replay import play_audio, replay_lines
from .reports import latest_grade, retry_views, write_session_report
from .store import SessionStore, write_atomic
from .tables import history_table, is_terminal, print_table, sessions_table
from .versions import grade_diff, regrade


def choose_grader(args: argparse.Namespace) -> Grader:
    """The current grader: the LLM judge when an endpoint is configured, else the offline one."""
    from ..graders import make_grader

    return make_grader(args)


def sessions_command(args: argparse.Namespace) -> int:
    rows = summarize(SessionStore())
    if rows and is_terminal():
        print_table(sessions_table(rows))
    else:
        print(format_sessions(rows))
    return 0


def history_command(args: argparse.Namespace) -> int:
    points = history_points(SessionStore(), args.rubric)
    if args.last:
        points = points[-args.last :]
    if points and is_terminal():
        print_table(history_table(points))
        if calibration_lines(points):
            print("\n".join(calibration_lines(points)))
    else:
        print(format_history(points))
    if args.html:
        rubric = load_catalog(args.data_dir).rubrics.get(args.rubric or "")
        path = Path(args.html)
        write_atomic(path, render_history_page(points, rubric=rubric))
        print(f"history report: {path}")
    return 0


def replay_command(args: argparse.Namespace) -> int:
    store = SessionStore()
    log = store.open_log(args.id)
    session = log.session
    print("\n".join(replay_lines(session)))
    if args.audio:
        sys.stdout.flush()
        play_audio(log.folder, session)
    if args.regrade:
        cat = load_catalog(args.data_dir)
        rubric = cat.rubric(args.rubric or session.meta.rubric, "--rubric")
        level = Level(args.level) if args.level else None
        result = regrade(log, choose_grader(args), rubric, level)
        print(f"\nre-graded as version {result.version} ({result.path.name}), "
              f"{result.report.overall.score:.0f}/100 {result.report.overall.letter}")
        print("\n".join(grade_diff(result.previous, result.report)))
        report = write_session_report(store, result.log, rubric)
        print(f"report: {report}")
    return 0


def report_command(args: argparse.Namespace) -> int:
    store = SessionStore()
    log = store.open_log(args.id)
    session = log.session
    rubric = load_catalog(args.data_dir).rubrics.get(session.meta.rubric)
    if args.format == "markdown":
        from ..report.markdown import render_markdown

        text = render_markdown(latest_grade(log), effective_turns(session), session.meta, retries=retry_views(log))
        if args.output:
            write_atomic(Path(args.output), text)
            print(f"report: {args.output}")
        else:
            print(text)
        return 0
    path = write_session_report(store, log, rubric, Path(args.output) if args.output else None,
                                audio=not getattr(args, "no_audio", False))
    print(f"report: {path}")
    return 0
