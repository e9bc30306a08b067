"""Files that servers map, saved beside the index: made once, written atomically, tied to the code
that made them.

Facet columns (search.index.columns) and each segment's columns (search.index.segment_columns)
are both saved this way: a folder per Whoosh commit or segment, written under a temporary name
and renamed, so an opener sees all of it or none; a digest of the code that made it, so a
server of other code makes it again rather than serving it."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TypeVar

import orjson

Saved = TypeVar("Saved")


def code_digest(version: int, modules: tuple[ModuleType, ...]) -> str:
    """A digest of the format number and the source of every module that decides what is saved."""
    digest = hashlib.blake2b(str(version).encode(), digest_size=8)
    for module in modules:
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()


def loaded_or_made(
    target: Path, load: Callable[[Path], Saved], make: Callable[[], Saved], save: Callable[[Saved, Path], None]
) -> tuple[Saved, bool]:
    """What `target` holds, or what `make` returns, saved there (when it can be: a read-only index,
    or another process saving it first, leaves it unsaved); and whether this call saved it.

    `load` raises FileNotFoundError when nothing is saved, ValueError (or KeyError, OSError) when
    what is there is unreadable or other code's: then it is made again."""
    try:
        return load(target), False
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, orjson.JSONDecodeError):
        shutil.rmtree(target, ignore_errors=True)
    made = make()
    partial = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    try:
        save(made, partial)
        os.rename(partial, target)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        return made, False
    return made, True
