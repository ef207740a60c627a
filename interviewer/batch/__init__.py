"""Batch grading (`interviewer grade`): many answers (recordings, transcripts, session folders) at once.

Where each job lives:
- `discover`: command-line inputs and folders to a list of inputs (the safe folder walk), manifests, questions;
- `files`: reading a file someone else gave us: regular files only, never blocking, size-checked first;
- `transcripts`: a .txt answer or labelled dialogue to turns, with the cap on how long an answer can be;
- `pipeline`: decode -> transcribe -> grade for each input once, on threads; Ctrl-C;
- `cache`: results keyed by input content and grader configuration;
- `result`: `GradeResult`, the one result type (a report, or an error naming the input);
- `outputs`: results.jsonl, summary.csv, per-input report pages, index.html, and what is printed per input;
- `progress`: the progress bar on a terminal, one line per input otherwise;
- `ray_engine`: `--engine ray`, the same per-input path run by an actor pool on a Ray cluster;
- `command`: the `grade` command wiring it all together.
"""
