"""Opening files other people handed us: only regular files, never blocking, never read past a size cap.

A named pipe called `answer.txt` would block `open()` until something writes to it, and a device never ends,
so every read here opens with O_NONBLOCK and checks the open file is a regular one before reading a byte.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ..errors import InputFileError

READ_CHUNK = 1 << 20


class TooLarge(InputFileError):
    """The file holds more bytes than the caller's cap; nothing past the cap was read."""

    def __init__(self, path: Path, size: int, limit: int):
        super().__init__(f"{path}: {size} bytes, more than the {limit} allowed")
        self.path, self.size, self.limit = path, size, limit


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "a special file"


def not_regular(path: Path, mode: int) -> InputFileError:
    if stat.S_ISDIR(mode):
        return InputFileError(f"{path}: is a folder, not a file")
    return InputFileError(f"{path}: not a regular file ({file_kind(mode)}); it was not opened")


def open_error(path: Path, e: OSError) -> InputFileError:
    if e.errno == errno.ENOENT:
        return InputFileError(f"{path}: no such file")
    if e.errno == errno.ELOOP:
        return InputFileError(f"{path}: a symbolic link loop; not followed")
    return InputFileError(f"{path}: cannot read: {e.strerror or e}")


def open_regular(path: Path) -> int:
    """A read-only descriptor of a regular file, opened without blocking; InputFileError otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise open_error(path, e) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise not_regular(path, mode)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bounded(path: Path, limit: int) -> bytes:
    """The whole file, when it is a regular file of at most `limit` bytes (checked before reading)."""
    fd = open_regular(path)
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            raise TooLarge(path, size, limit)
        chunks, got = [], 0
        while got <= limit:
            try:
                chunk = os.read(fd, min(READ_CHUNK, limit + 1 - got))
            except OSError as e:
                raise open_error(path, e) from None
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        if got > limit:  # it grew while we read
            raise TooLarge(path, got, limit)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_chunks(path: Path, chunk: int = READ_CHUNK):
    """The file's bytes chunk by chunk (for hashing), with the same checks as `read_bounded`."""
    fd = open_regular(path)
    try:
        while data := os.read(fd, chunk):
            yield data
    finally:
        os.close(fd)
