"""Which files a read covers: paths walked in a stable order, safely, meta files left out."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from search.article import Problem
from search.readers.streams import inner_suffix

# Files that describe a corpus rather than hold articles: skipped without a word.
QUIET_NAMES = frozenset({"source.md", "gold.jsonl", "lewis.dtd", "thumbs.db", "desktop.ini"})
QUIET_STEMS = ("readme", "license", "licence", "copying", "notice", "authors", "changelog", "contributing", "gold.")
QUIET_SUFFIXES = frozenset({".md", ".rst", ".dtd", ".pyc"})
# Formats Dateline does not read: skipped with a warning so the user knows.
UNSUPPORTED = {
    ".xlsx": "an Excel workbook (export the sheet as CSV)",
    ".xls": "an Excel workbook (export the sheet as CSV)",
    ".ods": "a spreadsheet (export the sheet as CSV)",
    ".pdf": "a PDF",
    ".doc": "a Word document",
    ".docx": "a Word document",
    ".zip": "an archive (unpack it first)",
    ".7z": "an archive (unpack it first)",
    ".tar": "an archive (unpack it first)",
    ".png": "an image",
    ".jpg": "an image",
    ".jpeg": "an image",
    ".gif": "an image",
    ".webp": "an image",
    ".html": "an HTML page (save it as text)",
    ".htm": "an HTML page (save it as text)",
}


def is_quiet_skip(name: str) -> bool:
    lower = name.lower()
    return (
        lower.startswith(".")
        or lower in QUIET_NAMES
        or lower.startswith(QUIET_STEMS)
        or os.path.splitext(lower)[1] in QUIET_SUFFIXES
        or lower == "__pycache__"
    )


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def walk(paths: Iterable[str | Path]) -> Iterator[Path | Problem]:
    """Regular files under `paths` (argument order, then sorted names), or Problems.

    Symbolic links are followed; a directory reached again through a link is not read twice,
    and a link back to one of its own ancestors is reported as a loop. A file named twice is
    read once. Paths named explicitly are read even when a directory walk would skip them.
    """
    seen_files: set[tuple[int, int]] = set()
    seen_dirs: set[tuple[int, int]] = set()

    def visit(path: Path, ancestors: dict[tuple[int, int], Path]) -> Iterator[Path | Problem]:
        try:
            info = path.stat()
        except FileNotFoundError:
            if path.is_symlink():
                yield Problem(str(path), f"broken symbolic link (points to {os.readlink(path)})")
            else:
                yield Problem(str(path), "no such file or directory")
            return
        except PermissionError:
            yield Problem(str(path), "permission denied")
            return
        except OSError as error:
            yield Problem(str(path), f"cannot read: {error.strerror or error}")
            return
        key = (info.st_dev, info.st_ino)
        if stat.S_ISDIR(info.st_mode):
            if key in ancestors:
                yield Problem(
                    str(path), f"directory loop: leads back to {ancestors[key]}; not followed", severity="warning"
                )
                return
            if key in seen_dirs:
                return
            seen_dirs.add(key)
            try:
                with os.scandir(path) as entries:
                    names = sorted(entry.name for entry in entries)
            except PermissionError:
                yield Problem(str(path), "permission denied (cannot list the directory)")
                return
            except OSError as error:
                yield Problem(str(path), f"cannot list the directory: {error.strerror or error}")
                return
            inner = {**ancestors, key: path}
            for name in names:
                if is_quiet_skip(name):
                    continue
                yield from visit(path / name, inner)
        elif stat.S_ISREG(info.st_mode):
            if key in seen_files:
                return
            seen_files.add(key)
            suffix = inner_suffix(path)  # "story.pdf.gz" is a PDF
            if suffix in UNSUPPORTED:
                yield Problem(
                    str(path), f"skipped: {UNSUPPORTED[suffix]}, not a format Dateline reads", severity="warning"
                )
                return
            yield path
        else:
            yield Problem(str(path), f"skipped: {_kind(info.st_mode)}, not a file")

    for raw in paths:
        yield from visit(Path(raw), {})
