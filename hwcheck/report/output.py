"""``--output FILE``: write a report atomically, never through a symbolic link.

The text goes to a temporary file in the target's own folder (so the final rename stays on
one file system and is atomic), is flushed to disk, then renamed over the target. A reader
sees the old file or the new one, never half of one.

Links: ``os.lstat`` refuses a link before anything is written, and again just before the
rename. ``tempfile.mkstemp`` opens with ``O_CREAT | O_EXCL``, which never follows a link, and
``os.replace`` renames over a path without following it: even a link planted between the
check and the rename is replaced itself, and its target is never written.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from hwcheck.errors import HwcheckError


def _refuse_link(path: Path) -> os.stat_result | None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise HwcheckError(f"--output {path}: {exc.strerror}",
                           hint="check the path and its permissions") from None
    if stat.S_ISLNK(st.st_mode):
        raise HwcheckError(f"--output {path} is a symbolic link; refusing to write through it",
                           hint="remove the link or choose another path")
    if stat.S_ISDIR(st.st_mode):
        raise HwcheckError(f"--output {path} is a folder",
                           hint="give a file name, such as results.json")
    if not stat.S_ISREG(st.st_mode):
        # A rename would replace a FIFO or a device (/dev/null, as root) with a plain file.
        raise HwcheckError(f"--output {path} is not a regular file",
                           hint="leave out --output to write to stdout, and redirect that")
    return st


def _mode(existing: os.stat_result | None) -> int:
    if existing is not None:
        return stat.S_IMODE(existing.st_mode)
    umask = os.umask(0)   # the only portable way to read the umask is to set it
    os.umask(umask)
    return 0o666 & ~umask


def _refuse_linked_folder(path: Path) -> None:
    """A link among the folders (``reports -> /staff/...``) would send the report, or a
    student's planted link, elsewhere: every folder named in the path must be a folder."""
    for folder in reversed(path.parents[:-1] if not path.is_absolute() else path.parents):
        if folder.parent == Path(folder.anchor):   # /tmp -> /private/tmp (macOS): the
            continue                               # system's own, not a submission's
        try:
            linked = stat.S_ISLNK(os.lstat(folder).st_mode)
        except OSError:
            return            # a missing folder is reported below
        if linked:
            raise HwcheckError(f"--output {path}: folder {folder} is a symbolic link; "
                               "refusing to write through it",
                               hint="give the real folder, without links")


def write_atomic(path: str | Path, text: str, committing=None) -> None:
    """``committing()`` is called just before the rename that makes the report appear
    (the command line stops taking interrupts there: a complete report is never followed
    by "terminated")."""
    path = Path(path)
    _refuse_linked_folder(path)
    existing = _refuse_link(path)
    folder = path.parent
    if not folder.is_dir():
        raise HwcheckError(f"--output {path}: folder {folder} does not exist",
                           hint=f"create it first (mkdir -p {folder}) or choose another path")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise HwcheckError(f"--output {path}: cannot write in {folder}: {exc.strerror}",
                           hint="check the folder's permissions or choose another path") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            # mkstemp makes the file 0600; give the report the mode plain open() would give.
            if hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), _mode(existing))
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        _refuse_link(path)
        if committing is not None:
            committing()
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise HwcheckError(f"--output {path}: {exc.strerror or exc}",
                               hint="check free space and permissions") from None
        raise
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; best effort (Windows cannot open a folder)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

