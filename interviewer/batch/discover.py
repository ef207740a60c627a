"""Command-line inputs to the list of things to grade: the safe folder walk, manifests and questions.

Folders come from other people, so the walk trusts nothing in them: it looks at every entry with lstat/stat
before anything opens it. A symbolic link is followed only when it stays inside the folder given on the
command line (a link to /etc/shadow is an error row, never read); a link that loops is an error row; a named
pipe, socket or device is an error row and is never opened; a folder is entered once however many links lead
to it. Every entry is accounted for: what cannot be graded becomes a row naming it and the reason.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import InputFileError
from ..media import AUDIO_EXTENSIONS
from ..sessions.store import LOG_NAME
from .files import TooLarge, not_regular, read_bounded
from .transcripts import TRANSCRIPT_EXTENSIONS

Kind = Literal["audio", "text", "session", "unsupported", "empty_folder", "refused"]
SIDECAR_SUFFIX = ".question.txt"
MANIFEST_NAMES = ("manifest.csv",)
MAX_QUESTION_BYTES = 64 * 1024  # a sidecar question file
MAX_MANIFEST_BYTES = 16 * 1024 * 1024  # a manifest: a row per answer of a large cohort


@dataclass
class BatchInput:
    path: Path
    kind: Kind
    question: str | None = None
    problem: str | None = None  # why a "refused" entry is not graded (it names the path)

    @property
    def source(self) -> str:
        return str(self.path)


def kind_of(path: Path) -> Kind:
    """What a file holds, by its name (session folders are recognized by their log, in the walk)."""
    suffix = path.suffix.lower()
    if suffix in AUDIO_EXTENSIONS:
        return "audio"
    if suffix in TRANSCRIPT_EXTENSIONS:
        return "text"
    return "unsupported"


def _is_helper_file(path: Path) -> bool:
    name = path.name.lower()
    return name.startswith(".") or name.endswith(SIDECAR_SUFFIX) or name in MANIFEST_NAMES


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _refused(path: Path, why: str) -> BatchInput:
    return BatchInput(path, "refused", problem=f"{path}: {why}")


class _Walk:
    """One discovery: the inputs found so far and what has been seen (files and folders, by identity)."""

    def __init__(self, skip: Path | None):
        self.found: list[BatchInput] = []
        self.seen: set[Path] = set()
        self.entered: set[tuple[int, int]] = set()
        self.skip = skip.resolve() if skip else None

    def add(self, path: Path, kind: Kind | None = None) -> None:
        key = path.resolve()
        if key not in self.seen:
            self.seen.add(key)
            self.found.append(BatchInput(path, kind or kind_of(path)))

    def refuse(self, path: Path, why: str) -> None:
        self.found.append(_refused(path, why))

    def folder(self, folder: Path, root: Path) -> int:
        """Walk `folder` (inside the real folder `root`); returns how many entries it accounted for."""
        info = os.stat(folder)
        if (info.st_dev, info.st_ino) in self.entered:
            return 0
        self.entered.add((info.st_dev, info.st_ino))
        try:
            names = sorted(os.listdir(folder))
        except OSError as e:
            self.refuse(folder, f"cannot list the folder: {e.strerror or e}")
            return 1
        n = 0
        for name in names:
            n += self.entry(folder / name, root)
        return n

    def entry(self, child: Path, root: Path) -> int:
        if _is_helper_file(child):
            return 0
        try:
            link = stat.S_ISLNK(os.lstat(child).st_mode)
            real = child.resolve(strict=True) if link else None
        except (RuntimeError, OSError) as e:  # RuntimeError: a link loop on Python < 3.13
            if isinstance(e, RuntimeError) or getattr(e, "errno", None) == errno.ELOOP:
                self.refuse(child, "a symbolic link loop; not followed")
            elif isinstance(e, FileNotFoundError):
                self.refuse(child, "a symbolic link to nothing")
            else:
                self.refuse(child, f"cannot read: {getattr(e, 'strerror', None) or e}")
            return 1
        if self.skip and (real or child.resolve()) == self.skip:
            return 0
        if real is not None and not _inside(real, root):
            self.refuse(child, f"a link leaving the folder {root}; not followed")
            return 1
        try:
            mode = os.stat(child).st_mode
        except OSError as e:
            self.refuse(child, f"cannot read: {e.strerror or e}")
            return 1
        if stat.S_ISDIR(mode):
            if (child / LOG_NAME).is_file():
                self.add(child, "session")
                return 1
            if real is not None:  # a link to a folder inside this one: the folder itself is walked
                return 0
            return self.folder(child, root)  # (hidden folders were left out with the helper files)
        if not stat.S_ISREG(mode):
            self.found.append(BatchInput(child, "refused", problem=str(not_regular(child, mode))))
            return 1
        self.add(child)
        return 1

    def argument(self, raw: str | Path) -> None:
        """One command-line input: the user named it, so it is followed wherever it points."""
        path = Path(raw)
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            self.add(path)  # graded as missing: the row says "no such file"
            return
        except (RuntimeError, OSError) as e:
            self.refuse(path, "a symbolic link loop; not followed" if getattr(e, "errno", None) == errno.ELOOP
                        else f"cannot read: {getattr(e, 'strerror', None) or e}")
            return
        if stat.S_ISDIR(mode):
            if (path / LOG_NAME).is_file():
                self.add(path, "session")
            elif self.folder(path, path.resolve()) == 0:
                self.found.append(BatchInput(path, "empty_folder"))
        elif stat.S_ISREG(mode):
            self.add(path)
        else:
            self.found.append(BatchInput(path, "refused", problem=str(not_regular(path, mode))))


def discover(inputs: Sequence[str | Path], skip: Path | None = None) -> list[BatchInput]:
    """Expand folders (recursively; a session folder counts as one input) into an ordered list of inputs.

    Every file is accounted for: a missing, unsupported (a .pdf, a .docx) or unsafe one (see the module's
    doc) becomes an error row, in a folder as on the command line, so a coach sees each file of the cohort in
    the results. Hidden files, question sidecars, manifests and `skip` (the output folder) are left out. A
    folder with nothing in it becomes one error row.
    """
    walk = _Walk(skip)
    for raw in inputs:
        walk.argument(raw)
    return walk.found


# --- questions ----------------------------------------------------------------------------------


def _read_small_text(path: Path, limit: int, what: str) -> str:
    try:
        return read_bounded(path, limit).decode("utf-8-sig")
    except TooLarge as e:
        raise InputFileError(f"{path}: {e.size} bytes, too large for {what}") from None
    except UnicodeDecodeError as e:
        raise InputFileError(f"{path}: cannot read {what}: not UTF-8 text ({e.reason})") from None


def read_manifest(path: Path) -> dict[str, str]:
    """A CSV with a `file` (or `path`) column and a `question` column: file name -> question."""
    text = _read_small_text(path, MAX_MANIFEST_BYTES, "the manifest")
    reader = csv.DictReader(io.StringIO(text))
    cols = {c.strip().lower(): c for c in reader.fieldnames or []}
    file_col = cols.get("file") or cols.get("path")
    q_col = cols.get("question")
    if not file_col or not q_col:
        raise InputFileError(f"{path}: the manifest needs a 'file' and a 'question' column "
                             f"(found: {', '.join(reader.fieldnames or []) or 'none'})")
    out: dict[str, str] = {}
    for row in reader:
        name, q = (row.get(file_col) or "").strip(), (row.get(q_col) or "").strip()
        if name and q:
            out[name] = q
    return out


def _beside(folder: Path, name: str) -> Path | None:
    """A helper file (sidecar, manifest) in `folder`, when it is a regular file that stays in the folder."""
    path = folder / name
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        if os.path.islink(path) and not _inside(path.resolve(strict=True), folder.resolve()):
            print(f"interviewer: {path}: a link leaving the folder; not read", file=sys.stderr)
            return None
    except (OSError, RuntimeError):
        return None
    return path


def assign_questions(items: list[BatchInput], default: str | None, manifest: Path | None = None) -> None:
    """Per input: its sidecar (`NAME.question.txt`), else a manifest row, else the session's, else --question."""
    manifests: dict[Path, dict[str, str]] = {}
    explicit = read_manifest(manifest) if manifest else {}

    def from_manifest(p: Path) -> str | None:
        folder = p.parent
        if folder not in manifests:
            found = next((m for n in MANIFEST_NAMES if (m := _beside(folder, n))), None)
            manifests[folder] = read_manifest(found) if found else {}
        for table in (manifests[folder], explicit):
            for key in (p.name, str(p), p.stem):
                if key in table:
                    return table[key]
        return None

    for item in items:
        if item.kind == "refused":
            continue
        side = _beside(item.path.parent, item.path.stem + SIDECAR_SUFFIX) if item.kind != "session" else None
        if side is not None:
            try:
                item.question = _read_small_text(side, MAX_QUESTION_BYTES, "the question").strip()
                continue
            except InputFileError as e:
                print(f"interviewer: {e}; using the next source", file=sys.stderr)
        q = from_manifest(item.path)
        if q:
            item.question = q
        elif item.kind != "session" and default:
            item.question = default
