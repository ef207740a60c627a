"""The one CLI module: argument parsing, subcommand dispatch, and the boundary where errors meet users.

Handlers stay thin: they parse, call into the package, and print. An `InterviewerError` is printed as
`interviewer: <message>` with exit status 2; with INTERVIEWER_DEBUG=1 every error is raised as-is.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from . import __version__
from .catalog import DATA_DIR_ENV, DEFAULT_PERSONA, DEFAULT_RUBRIC, load_catalog
from .errors import InterviewerError
from .models import DEFAULT_LEVEL, SIGNAL_IDS
from .sessions.store import SESSIONS_ENV

EXIT_USAGE = 2
EXIT_PARTIAL = 1  # some inputs failed, the others were processed
EXIT_INTERRUPTED = 130
DEBUG_ENV = "INTERVIEWER_DEBUG"

Handler = Callable[[argparse.Namespace], int]


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"extra personas/, rubric/, questions/ folders (env {DATA_DIR_ENV})",
    )
    p.add_argument("--sessions", metavar="DIR", help=f"session store folder (env {SESSIONS_ENV})")


def _llm_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="LLM model name (env INTERVIEWER_MODEL); the endpoint comes from OPENAI_BASE_URL")
    p.add_argument("--offline", action="store_true", help="never use an LLM, even if one is configured")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interviewer",
        description="Rehearse 'tell me about a production incident you handled' with a spoken mock interviewer.",
    )
    parser.add_argument("--version", action="version", version=f"interviewer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("practice", help="run a mock interview (spoken by default)")
    _common(p)
    _llm_options(p)
    p.add_argument("--text", action="store_true", help="type answers instead of speaking")
    p.add_argument("--persona", default=DEFAULT_PERSONA, help="interviewer persona id (see `personas`)")
    p.add_argument("--level", choices=["L3", "L4", "L5", "staff"],
                   help=f"level you are held to: the opening question, the follow-ups and the grade (default "
                        f"{DEFAULT_LEVEL.value}, as for `grade`; the persona's own level does not change it)")
    p.add_argument("--question", metavar="ID", help="opening question id (see `questions`); random if omitted")
    p.add_argument("--rubric", default=DEFAULT_RUBRIC, help="rubric id")
    p.add_argument("--seed", type=int, help="seed for the random opening question")
    p.add_argument("--answers", metavar="DIR", help="voice loop from audio files, one per turn, instead of a mic")
    p.add_argument("--stt-model", default="tiny.en", help="tiny.en, base, or a CTranslate2 Whisper folder")
    p.add_argument("--voice", choices=["neural", "espeak"],
                   help="the interviewer's voice: neural (Piper, the default; $INTERVIEWER_VOICE sets another "
                        "default) or espeak (espeak-ng, robotic but light)")
    p.add_argument("--silence", type=float, metavar="SECONDS",
                   help="silence that ends an answer (default 2.5: room to pause and think mid-answer)")
    p.add_argument("--push-to-finish", action="store_true", help="end each answer with Enter instead of silence")
    p.add_argument("--warn-at", metavar="MINUTES",
                   help="spoken time warnings, minutes into an answer, comma-separated (default 3,5; 'none' for off)")
    p.add_argument("--max-answer", type=float, metavar="MINUTES", help="stop an answer after this long (default 6)")
    p.add_argument("--no-barge-in", action="store_true",
                   help="keep talking when you speak over a question (for speakers that echo into the mic)")
    p.add_argument("--resume", metavar="ID", help="continue an interrupted session")
    p.add_argument("--retry", metavar="ID",
                   help="a short drill at the weakest signal of a graded session, graded again as an attempt")
    p.add_argument("--signal", choices=SIGNAL_IDS, help="with --retry: the signal to drill (default: the weakest)")
    p.add_argument("--no-self-rating", action="store_true",
                   help="don't ask 'how did that go, 1 to 5?' before the grade (never asked when stdin is piped)")
    p.set_defaults(handler=cmd_practice)

    p = sub.add_parser("grade", help="grade transcripts (.txt), recordings or session folders")
    _common(p)
    _llm_options(p)
    p.add_argument("inputs", nargs="+", metavar="FILE", help="files or folders to grade")
    p.add_argument("--question", metavar="TEXT", help="the question that was answered")
    p.add_argument("--rubric", default=DEFAULT_RUBRIC, help="rubric id")
    p.add_argument("--level", choices=["L3", "L4", "L5", "staff"], default=DEFAULT_LEVEL.value,
                   help=f"level to be graded at (default {DEFAULT_LEVEL.value})")
    p.add_argument("--format", choices=["json", "markdown"], default="markdown")
    p.add_argument("--out", metavar="DIR", help="also write results (JSONL, CSV, HTML) to this folder")
    p.add_argument("--manifest", metavar="CSV", help="per-file questions: a CSV with 'file' and 'question' columns")
    p.add_argument("--stt-model", default="tiny.en", help="speech model for recordings: tiny.en, base, or a folder")
    p.add_argument("--no-cache", action="store_true", help="grade everything again instead of reusing results")
    p.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local: threads on this machine (default); ray: an actor pool on a Ray cluster "
                        "(pip install \"interviewer[ray]\")")
    p.add_argument("--address", metavar="ADDR",
                   help="with --engine ray: the cluster to join (as `ray start --head` printed it); "
                        "default: a Ray started for this run on this machine")
    p.add_argument("--workers", type=int, metavar="N",
                   help="with --engine ray: grading actors, one CPU each (default: one per CPU of the cluster)")
    p.add_argument("--shared-inputs", action="store_true",
                   help="with --engine ray: the inputs are on a mount every node sees; workers read them there "
                        "instead of receiving their bytes from this machine")
    p.set_defaults(handler=cmd_grade)

    for name, helptext, fn in (
        ("personas", "list interviewer personas", cmd_personas),
        ("rubrics", "list rubrics", cmd_rubrics),
        ("questions", "list the question bank", cmd_questions),
    ):
        p = sub.add_parser(name, help=helptext)
        _common(p)
        p.set_defaults(handler=fn)

    p = sub.add_parser("sessions", help="list saved sessions (date, persona, question, score)")
    _common(p)
    p.set_defaults(handler=cmd_sessions)

    p = sub.add_parser("history", help="each signal's trend across graded sessions")
    _common(p)
    p.add_argument("--rubric", help="only sessions graded with this rubric")
    p.add_argument("--last", type=int, metavar="N", help="only the last N graded sessions")
    p.add_argument("--html", metavar="FILE", help="also write the history charts as a self-contained HTML page")
    p.set_defaults(handler=cmd_history)

    p = sub.add_parser("replay", help="show a saved session turn by turn; play its audio or grade it again")
    _common(p)
    _llm_options(p)
    p.add_argument("id", metavar="ID", help="session id (see `sessions`)")
    p.add_argument("--audio", action="store_true", help="play both sides' saved audio in order")
    p.add_argument("--regrade", action="store_true", help="grade the transcript again as a new grade version")
    p.add_argument("--rubric", help="rubric for --regrade (default: the session's)")
    p.add_argument("--level", choices=["L3", "L4", "L5", "staff"], help="level for --regrade (default: the session's)")
    p.set_defaults(handler=cmd_replay)

    p = sub.add_parser("report", help="write a session's report (self-contained HTML, or markdown)")
    _common(p)
    p.add_argument("id", metavar="ID", help="session id (see `sessions`)")
    p.add_argument("--format", choices=["html", "markdown"], default="html")
    p.add_argument("-o", "--output", metavar="FILE", help="where to write (default: report.html in the session)")
    p.add_argument("--no-audio", action="store_true",
                   help="HTML without the session's audio (a small text-only file; text sessions have none anyway)")
    p.set_defaults(handler=cmd_report)

    p = sub.add_parser("calibrate", help="measure the LLM judge on labeled answers and store how far to trust it")
    _common(p)
    p.add_argument("--model", help="LLM model name (env INTERVIEWER_MODEL); the endpoint comes from OPENAI_BASE_URL")
    p.add_argument("--limit", type=int, default=0, metavar="N", help="use only the first N calibration answers")
    p.set_defaults(handler=cmd_calibrate, offline=False)

    p = sub.add_parser("doctor", help="check audio devices, models, TTS and the LLM endpoint")
    _common(p)
    _llm_options(p)
    p.set_defaults(handler=cmd_doctor)
    return parser


# --- handlers ----------------------------------------------------------------------------


def cmd_practice(args: argparse.Namespace) -> int:
    from .interview.practice import practice

    return practice(args)


def cmd_grade(args: argparse.Namespace) -> int:
    from .batch.command import grade_command

    return grade_command(args)


def cmd_personas(args: argparse.Namespace) -> int:
    cat = load_catalog(args.data_dir)
    for p in sorted(cat.personas.values(), key=lambda p: p.id):
        print(f"{p.id:<12} {p.name} ({p.level.value}, voice rate {p.voice.rate})")
        print(f"{'':<12} {p.description}")
    return 0


def cmd_rubrics(args: argparse.Namespace) -> int:
    cat = load_catalog(args.data_dir)
    for r in sorted(cat.rubrics.values(), key=lambda r: r.id):
        print(f"{r.id:<22} {r.name}: {len(r.signals)} signals, {len(r.flags)} red flags")
        print(f"{'':<22} signals: {', '.join(s.id for s in r.signals)}")
        print(f"{'':<22} flags:   {', '.join(f.id for f in r.flags)}")
    return 0


def cmd_questions(args: argparse.Namespace) -> int:
    cat = load_catalog(args.data_dir)
    for q in sorted(cat.questions.values(), key=lambda q: q.id):
        levels = ",".join(lv.value for lv in q.levels)
        print(f"{q.id:<28} [{levels}] {q.text}")
        print(f"{'':<28} competencies: {', '.join(q.competencies)}")
    return 0


def cmd_sessions(args: argparse.Namespace) -> int:
    from .sessions.commands import sessions_command

    return sessions_command(args)


def cmd_history(args: argparse.Namespace) -> int:
    from .sessions.commands import history_command

    return history_command(args)


def cmd_replay(args: argparse.Namespace) -> int:
    from .sessions.commands import replay_command

    return replay_command(args)


def cmd_report(args: argparse.Namespace) -> int:
    from .sessions.commands import report_command

    return report_command(args)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from .calibrate import calibrate

    return calibrate(args)


def cmd_doctor(args: argparse.Namespace) -> int:
    from .doctor import doctor

    return doctor(args)


# --- the boundary ------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    if getattr(args, "sessions", None):
        os.environ[SESSIONS_ENV] = args.sessions
    if os.environ.get(DEBUG_ENV):
        return args.handler(args)
    try:
        return args.handler(args)
    except InterviewerError as e:
        print(f"interviewer: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\ninterviewer: interrupted; every finished turn is saved", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly, as other CLI tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PARTIAL
    except OSError as e:  # a read or write the code did not name itself: still one line, never a traceback
        print(f"interviewer: {os_error_line(e)}", file=sys.stderr)
        return EXIT_USAGE


def os_error_line(e: OSError) -> str:
    """'<path>: <reason>' for an OSError (both paths for a rename), else its text."""
    reason = e.strerror or str(e)
    paths = [str(p) for p in (e.filename, e.filename2) if p is not None]
    return f"{' -> '.join(paths)}: {reason}" if paths else reason


if __name__ == "__main__":
    sys.exit(main())
