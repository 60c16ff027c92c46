"""Finding the answers files of a submission or a class folder, without leaving it.

A submission is what was submitted: a symbolic link is never followed (to a staff file, a
classmate's file, a folder or a device), and an entry named like an answers file that is a
link, a FIFO, a device or unreadable becomes a ``Refused`` entry, which the batch turns into
an error row naming it. Nothing is silently left out. The walk is iterative (a stack, not
recursion) with a depth cap, and a folder below the cap is itself a ``Refused`` entry.

File names are bytes on Linux: one that is not valid UTF-8 is shown with ``\\xNN`` escapes
(``display``), so every report format can print it.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from pathlib import Path

from hwcheck.errors import UsageError
from hwcheck.frozen import frozen

MAX_DEPTH = 32          # folders below a class folder; far more than any LMS export uses

_SURROGATE = re.compile("[\udc80-\udcff]")


@frozen
class Refused:
    """An entry that is not graded, and why: it becomes an error row."""

    path: Path
    reason: str

    @property
    def message(self) -> str:
        return f"{display(self.path)}: {self.reason}"


def display(path) -> str:
    """A path as text: undecodable bytes (surrogate escapes) shown as ``\\xNN``."""
    return _SURROGATE.sub(lambda m: f"\\x{ord(m.group()) - 0xdc00:02x}", os.fsdecode(path))


def collect(targets, patterns, documents=(), is_submission=None) -> list:
    """Answers files named on the command line (``Path``), or ``Refused`` entries; a folder
    contributes every entry under it whose name matches ``patterns``, and every regular
    file named like ``documents`` for which ``is_submission(path)`` holds."""
    out: list = []
    for target in targets:
        path = Path(target)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            raise UsageError("no such file or folder", file=display(path),
                             hint="check the path") from None
        except OSError as exc:
            out.append(Refused(path, f"cannot be read: {exc.strerror}"))
            continue
        if stat.S_ISDIR(st.st_mode):
            if _wanted(path.name, (*patterns, *documents)):
                # `grade answers.yaml` that is a folder: a submission is one file there
                out.append(Refused(path, "is a folder, not an answers file"))
                continue
            found = walk(path, patterns, documents, is_submission)
            if not found:
                more = " (nor notebooks, .tex or .md with hwcheck marks)" if documents else ""
                raise UsageError(f"no {patterns[0]} answers files under {display(path)}"
                                 + more, file=display(path),
                                 hint="put each submission in its own file")
            out.extend(found)
        else:
            out.append(_entry(path, st) or path)
    return out


def _wanted(name: str, patterns) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _entry(path: Path, st: os.stat_result) -> Refused | None:
    """Why a non-folder entry cannot be graded, or None when it is a readable file."""
    if stat.S_ISLNK(st.st_mode):
        return Refused(path, "is a symbolic link; links in a submission are not followed")
    if not stat.S_ISREG(st.st_mode):
        return Refused(path, "is not a regular file (a FIFO, socket or device)")
    if not os.access(path, os.R_OK):
        return Refused(path, "cannot be read (permission denied)")
    return None


def _links_to_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except OSError:      # dangling, a loop, or unreadable: not a folder we could walk
        return False


def walk(root: Path, patterns, documents=(), is_submission=None) -> list:
    """Every entry under ``root`` named like ``patterns``: a ``Path``, or a ``Refused``."""
    found: list = []
    stack = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            found.append(Refused(folder, f"folder cannot be read: {exc.strerror}"))
            continue
        for entry in entries:
            path = Path(entry.path)
            document = not _wanted(entry.name, patterns) and _wanted(entry.name, documents)
            wanted = document or _wanted(entry.name, patterns)
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                if wanted:
                    found.append(Refused(path, f"cannot be read: {exc.strerror}"))
                continue
            if stat.S_ISDIR(st.st_mode):
                if entry.name == ".ipynb_checkpoints":     # Jupyter's autosaves
                    continue
                if depth + 1 > MAX_DEPTH:
                    found.append(Refused(path, f"folders nested deeper than {MAX_DEPTH} "
                                               "levels; not walked"))
                else:
                    stack.append((path, depth + 1))
            elif wanted or (stat.S_ISLNK(st.st_mode) and _links_to_folder(path)):
                refused = _entry(path, st)
                if refused is not None:
                    found.append(refused)
                elif not document or is_submission is None or is_submission(path):
                    found.append(path)   # (a README.md without hwcheck marks is not one)
    return sorted(found, key=lambda e: (e.path if isinstance(e, Refused) else e).parts)
