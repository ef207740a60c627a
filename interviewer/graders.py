"""Choosing who grades: the LLM judge (with the offline grader as its fallback) when an endpoint is configured,
else the offline grader. Builds only the grader: no persona, no phraser."""

from __future__ import annotations

import argparse
import sys

from .protocols import Grader


def make_grader(args: argparse.Namespace | None) -> Grader:
    """The grader for these options (--model, --offline and the OPENAI_* environment).

    A configured endpoint whose settings cannot be used prints one warning and grades offline, as practice does.
    """
    from .grading import OfflineGrader
    from .llm import configured
    from .llm import make_grader as make_llm_grader

    config, warning = configured(args)
    if warning:
        print(f"interviewer: {warning}", file=sys.stderr)
    return OfflineGrader() if config is None else make_llm_grader(config)
