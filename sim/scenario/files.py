"""Reading a file a user names: regular files only, of bounded size, as text.

Every file a scenario, sweep or command names (`extends:`, `source:`, a
sweep's `base:`, later `samples:` and event-data map files) is read here, so
one set of rules holds everywhere (issue 7):

- the file is checked with `os.stat` BEFORE it is opened, so a FIFO (which
  would block `open` until a writer appears), a device (`/dev/zero`, endless)
  or a directory is refused without ever being opened; it is then opened
  non-blocking and checked again on the open descriptor, so a file swapped
  for a FIFO in between is refused too;
- at most `max_bytes` are read (2 MiB by default, a hundred times the largest
  scenario in the repository);
- binary data (a NUL byte or invalid UTF-8) is refused;
- the message says what the file is ("a FIFO (named pipe)", "binary data"),
  never what it holds, so naming `/etc/shadow` or a key file cannot echo it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from sim.errors import Problem, ScenarioError

MAX_FILE_BYTES = 2 * 1024 * 1024
"""Largest file read by default (2 MiB)."""


@dataclass(frozen=True)
class CitedAt:
    """Where a file was named: the problem is reported there, not at the file."""

    file: str
    line: int | None
    path: str


def display_name(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MiB" if n >= 1024 * 1024 else f"{n:,} bytes"


def file_problem(
    path: Path, kind: str, found: str, cited: CitedAt | None, expected: str | None = None
) -> ScenarioError:
    """The error for a file that cannot be used, located where it was named."""
    wanted = expected or f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind} file"
    if cited is None:
        return ScenarioError([Problem(display_name(path), None, "", wanted, found)])
    return ScenarioError(
        [Problem(cited.file, cited.line, cited.path, wanted, f"{found}: {display_name(path)}")]
    )


def read_user_file(
    path: Path,
    kind: str,
    *,
    max_bytes: int = MAX_FILE_BYTES,
    cited: CitedAt | None = None,
) -> str:
    """The text of a regular UTF-8 file of at most `max_bytes`.

    Args:
        path: the file.
        kind: what the file should be, for messages ("scenario", "evidence",
            "sweep", "samples"...).
        max_bytes: the size limit.
        cited: where the file was named, if in another file (`extends:` at
            line 3): problems are reported there.

    Raises:
        ScenarioError: one problem saying what was expected and what the file
            is (missing, a FIFO, a device, a directory, too large, binary,
            unreadable), never its content.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise file_problem(path, kind, "no such file", cited, "an existing file") from None
    except OSError as exc:
        raise file_problem(path, kind, _os_reason(exc), cited, "a readable file") from None
    if not stat.S_ISREG(info.st_mode):
        raise file_problem(path, kind, file_kind(info.st_mode), cited)
    if info.st_size > max_bytes:
        raise file_problem(
            path, kind, f"{_size(info.st_size)}, over the {_size(max_bytes)} limit", cited
        )
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise file_problem(path, kind, _os_reason(exc), cited, "a readable file") from None
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise file_problem(path, kind, file_kind(mode), cited)
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise file_problem(path, kind, f"more than the {_size(max_bytes)} limit", cited)
    if b"\x00" in data:
        raise file_problem(path, kind, "binary data", cited)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise file_problem(path, kind, "binary data (not UTF-8 text)", cited) from None


def _os_reason(exc: OSError) -> str:
    """An OS error in words, without the path (the message names it already)."""
    return (exc.strerror or type(exc).__name__).lower()
