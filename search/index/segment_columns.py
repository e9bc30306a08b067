"""What the columns need from one Whoosh segment's stored documents, read once per segment.

A commit of an incremental reindex adds a segment and marks deletions in old ones (or merges some
into a new one); the documents of an unchanged segment never change. So the one pass over stored
documents that the columns need (search.index.columns) is made per segment and saved beside it as
`segcolumns-<segment id>/`; a later commit reads only its new segments and takes the rest from
their saved files, with deletions from Whoosh's own bitmap at assembly.

Values are kept as written (not yet the person name map, which is decided over the whole corpus
at assembly, from these arrays alone), each distinct string once per segment.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import numpy as np
import orjson

from search.index import schema
from search.index.saved import code_digest, loaded_or_made
from search.index.schema import FACET_FIELDS, StoredArticle

NO_DAY = np.iinfo(np.int32).min
NO_TIME = np.iinfo(np.int64).min
EPOCH_ORDINAL = datetime(1970, 1, 1).toordinal()
SEGMENT_FORMAT = 1  # raise when what `SegmentColumns.save` writes changes
SEGMENT_PREFIX = "segcolumns-"
EVIDENCE = ("other", "partial")  # the name map's evidence: other-label name keys, weak single names


def day_and_time(when: datetime | None) -> tuple[int, int]:
    """A publication time as its day number (days since 1970-01-01 as the article gives it) and UTC
    seconds (naive times taken as UTC); NO_DAY and NO_TIME when there is none."""
    if when is None:
        return NO_DAY, NO_TIME
    utc = int(when.timestamp()) if when.tzinfo else int((when - datetime(1970, 1, 1)).total_seconds())
    return when.date().toordinal() - EPOCH_ORDINAL, utc


@cache
def segment_code() -> str:
    """A digest of the code that reads a segment's stored documents: saved files of other code are read again."""
    return code_digest(SEGMENT_FORMAT, (sys.modules[__name__], schema))


@dataclass(frozen=True)
class Pairs:
    """(local docnum, string id) pairs in document order, and the distinct strings."""

    doc: np.ndarray  # int32
    string: np.ndarray  # int32, index into `strings`
    strings: list[str]


class _PairsBuilder:
    def __init__(self) -> None:
        self.docs: list[int] = []
        self.ids: list[int] = []
        self.strings: list[str] = []
        self.known: dict[str, int] = {}

    def add(self, docnum: int, value: str) -> None:
        found = self.known.get(value)
        if found is None:
            found = self.known[value] = len(self.strings)
            self.strings.append(value)
        self.docs.append(docnum)
        self.ids.append(found)

    def pairs(self) -> Pairs:
        return Pairs(np.asarray(self.docs, dtype=np.int32), np.asarray(self.ids, dtype=np.int32), self.strings)


@dataclass(frozen=True)
class SegmentColumns:
    """One segment's documents by local docnum; `present` marks those live when it was read."""

    size: int
    present: np.ndarray  # bool
    ids: np.ndarray  # str ("" where absent)
    day: np.ndarray  # int32, NO_DAY if none
    time: np.ndarray  # int64 UTC seconds, NO_TIME if none
    facets: dict[str, Pairs]  # stripped values as written, empty ones left out
    evidence: dict[str, Pairs]  # EVIDENCE: other-label name keys (once per document), partial forms

    @classmethod
    def read(cls, reader) -> SegmentColumns:
        """From the stored documents of one segment's reader (its live ones)."""
        size = reader.doc_count_all()
        present = np.zeros(size, dtype=bool)
        ids = [""] * size
        day = np.full(size, NO_DAY, dtype=np.int32)
        utc = np.full(size, NO_TIME, dtype=np.int64)
        facets = {name: _PairsBuilder() for name in FACET_FIELDS}
        other, partial = _PairsBuilder(), _PairsBuilder()
        for docnum, fields in reader.iter_docs():
            stored = StoredArticle.from_stored(fields)
            present[docnum] = True
            ids[docnum] = stored.id
            day[docnum], utc[docnum] = day_and_time(stored.published)
            for name in FACET_FIELDS:
                for value in stored.facets[name]:
                    if value.strip():
                        facets[name].add(docnum, value.strip())
            if names := fields.get("other_names"):
                for key in dict.fromkeys(names.split("\n")):  # an article counts once per name
                    other.add(docnum, key)
            if forms := fields.get("person_partial"):
                for form in forms.split("\n"):
                    partial.add(docnum, form)
        return cls(
            size,
            present,
            np.asarray(ids, dtype=str),
            day,
            utc,
            {name: builder.pairs() for name, builder in facets.items()},
            {"other": other.pairs(), "partial": partial.pairs()},
        )

    def save(self, folder: Path) -> None:
        folder.mkdir()
        for name in ("present", "ids", "day", "time"):
            np.save(folder / f"{name}.npy", getattr(self, name))
        strings = {}
        for name, pairs in {**self.facets, **self.evidence}.items():
            np.save(folder / f"{name}.doc.npy", pairs.doc)
            np.save(folder / f"{name}.string.npy", pairs.string)
            strings[name] = pairs.strings
        meta = {"code": segment_code(), "size": self.size, "strings": strings}
        (folder / "strings.json").write_bytes(orjson.dumps(meta))

    @classmethod
    def load(cls, folder: Path, size: int) -> SegmentColumns:
        meta = orjson.loads((folder / "strings.json").read_bytes())
        if meta.get("code") != segment_code() or meta.get("size") != size:
            raise ValueError(f"{folder} holds columns made by other code or of another segment")

        def array(name: str) -> np.ndarray:
            return np.load(folder / f"{name}.npy", mmap_mode="r").view(np.ndarray)

        def pairs(name: str) -> Pairs:
            return Pairs(array(f"{name}.doc"), array(f"{name}.string"), meta["strings"][name])

        return cls(
            size,
            array("present"),
            np.load(folder / "ids.npy"),
            array("day"),
            array("time"),
            {name: pairs(name) for name in FACET_FIELDS},
            {name: pairs(name) for name in EVIDENCE},
        )


def segment_id(reader) -> str:
    return reader.segment().segment_id()


def cached_segment(reader, folder: Path | None) -> SegmentColumns:
    """One segment's columns: loaded from `folder` when saved there by this code, else read from its
    stored documents and saved (when `folder` is given and writable)."""
    if folder is None:
        return SegmentColumns.read(reader)
    target = folder / f"{SEGMENT_PREFIX}{segment_id(reader)}"
    size = reader.doc_count_all()
    columns, _ = loaded_or_made(
        target, lambda at: SegmentColumns.load(at, size), lambda: SegmentColumns.read(reader), SegmentColumns.save
    )
    return columns


def drop_other_segments(folder: Path, kept: set[str]) -> None:
    """Removes saved segment columns of segments not in `kept` (merged away or deleted by Whoosh)."""
    for old in folder.glob(f"{SEGMENT_PREFIX}*"):
        if ".tmp-" not in old.name and old.name[len(SEGMENT_PREFIX) :] not in kept:
            shutil.rmtree(old, ignore_errors=True)  # a process that mapped them keeps its pages
