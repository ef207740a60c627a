"""rich tables for `sessions` and `history` when stdout is a terminal (plain lines otherwise)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..report.data import HistoryPoint
from .listing import SessionSummary, history_title, sparkline, trend_rows


def is_terminal(stream=None) -> bool:
    stream = stream if stream is not None else sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def sessions_table(rows: Sequence[SessionSummary]) -> Table:
    table = Table(title="Sessions", title_justify="left")
    for name, justify in (("id", "left"), ("date", "left"), ("persona", "left"), ("lvl", "left"),
                          ("score", "right"), ("status", "left"), ("question", "left")):
        table.add_column(name, justify=justify, no_wrap=name in ("id", "date"))  # type: ignore[arg-type]
    for r in rows:
        table.add_row(*(escape(v) for v in (r.id, r.date, r.persona, r.level, r.score_text, r.status,
                                            r.short_question)))
        for w in r.warnings:
            table.add_row("", "", "", "", "", "[yellow]warning[/]", escape(w))
    return table


def history_table(points: Sequence[HistoryPoint]) -> Table:
    table = Table(title=history_title(points), title_justify="left", min_width=len(history_title(points)))
    for name, justify in (("signal", "left"), ("trend", "left"), ("first", "right"), ("latest", "right"),
                          ("change", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in trend_rows(points):
        colour = "green" if r.change > 0 else "red" if r.change < 0 else "default"
        table.add_row(r.name, sparkline(r.values, r.top), f"{r.values[0]:.0f}", f"{r.values[-1]:.0f}",
                      f"[{colour}]{r.change:+.0f}[/]")
    return table


def print_table(table: Table) -> None:
    Console().print(table)
