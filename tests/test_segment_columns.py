"""Columns per Whoosh segment: a commit reads only its new segments' stored documents, and the
columns it assembles (deletions, the person name map) equal those read from every stored document,
and those of a full rebuild, on the real pages (spaCy people) and Reuters (its own tags) corpora."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import orjson
import pytest
import whoosh.index

from helpers import ReutersTags, same_collection, shared_path, shared_spacy_extractor
from search.index import segment_columns
from search.index.columns import COLUMNS_PREFIX, Collection, cached_collection
from search.index.indexer import reindex
from search.index.segment_columns import SEGMENT_PREFIX, SegmentColumns
from search.index.store import current_generation

pytestmark = pytest.mark.shared


class CountingReads:
    """Counts the segments whose stored documents are read."""

    def __init__(self, monkeypatch) -> None:
        self.segments: list[int] = []
        read = SegmentColumns.read.__func__  # type: ignore[attr-defined]

        def counted(cls, reader):
            self.segments.append(reader.doc_count_all())
            return read(cls, reader)

        monkeypatch.setattr(SegmentColumns, "read", classmethod(counted))


def current(index_dir: Path) -> tuple[Collection, Collection, list[str]]:
    """The saved columns of the live commit, those read from every stored document, and its segment ids."""
    folder = current_generation(index_dir).path
    ix = whoosh.index.open_dir(str(folder))
    with ix.reader() as reader:
        segments = [leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()]
        return cached_collection(reader, folder), Collection.from_reader(reader), segments


def by_id(collection: Collection) -> dict[str, tuple]:
    """Each live article's day, time and facet values (docnums differ between two builds)."""
    values: dict[str, tuple] = {}
    for docnum in np.flatnonzero(collection.live).tolist():
        facets = tuple(sorted(column.values_of(docnum)) for _, column in sorted(collection.facets.items()))
        values[collection.ids[docnum] or ""] = (int(collection.day[docnum]), int(collection.time[docnum]), facets)
    return values


def saved_segments(index_dir: Path) -> set[str]:
    return {p.name[len(SEGMENT_PREFIX) :] for p in current_generation(index_dir).path.glob(f"{SEGMENT_PREFIX}*")}


def test_pages_changed_and_deleted_reuse_unchanged_segments_and_equal_a_full_rebuild(tmp_path, monkeypatch):
    pages = sorted(shared_path("corpus", "pages").glob("*.txt"))
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    for page in pages[:120]:
        (corpus / page.name).symlink_to(page)
    extractor = shared_spacy_extractor()
    reindex([corpus], index_dir, workers=1, extractor=extractor)
    first = current(index_dir)[2]
    assert saved_segments(index_dir) == set(first)

    # Deletions in the old segment, and a new segment of added and changed pages.
    for page in pages[:15]:
        (corpus / page.name).unlink()
    for page in pages[120:]:
        (corpus / page.name).symlink_to(page)
    changed = corpus / pages[20].name
    changed.unlink()
    text = pages[20].read_text(encoding="utf-8")
    changed.write_text(text.replace("11 China returnees", "Eleven China returnees by Sheikh Hasina", 1))
    reads = CountingReads(monkeypatch)
    reindex([corpus], index_dir, workers=1, extractor=extractor)
    saved, reference, segments = current(index_dir)
    assert set(first) < set(segments), "the old segment stays, with deletions"
    assert reads.segments == [len(pages) - 120 + 1], "only the new segment (added and changed pages) is read"
    assert saved_segments(index_dir) == set(segments)
    same_collection(saved, reference)
    assert not saved.live.all(), "deleted documents are in the old segment"
    incremental = by_id(saved)
    assert len(incremental) == len(pages) - 15 and any(saved.facets["person"].labels)

    reindex([corpus], index_dir, full=True, workers=1, extractor=extractor)
    rebuilt, reference, _ = current(index_dir)
    same_collection(rebuilt, reference)
    assert by_id(rebuilt) == incremental


def test_reuters_merged_segments_and_other_codes_columns(tmp_path, monkeypatch):
    reuters = [shared_path("corpus", "reuters21578", f"reut2-00{n}.sgm") for n in range(2)]
    index_dir = tmp_path / "index"
    reindex(reuters[:1], index_dir, workers=1, extractor=ReutersTags())
    reads = CountingReads(monkeypatch)
    reindex(reuters, index_dir, workers=1, extractor=ReutersTags())
    saved, reference, segments = current(index_dir)
    assert len(segments) == 2 and len(reads.segments) == 1
    same_collection(saved, reference)
    before = by_id(saved)

    # A merge: one new segment of every document; the merged segments' columns go.
    folder = current_generation(index_dir).path
    whoosh.index.open_dir(str(folder)).optimize()
    saved, reference, merged = current(index_dir)
    assert len(merged) == 1 and not set(merged) & set(segments)
    assert saved_segments(index_dir) == set(merged)
    same_collection(saved, reference)
    assert by_id(saved) == before

    # Columns of a segment made by other code are read again, never served.
    (segment,) = folder.glob(f"{SEGMENT_PREFIX}*")
    meta = orjson.loads((segment / "strings.json").read_bytes())
    (segment / "strings.json").write_bytes(orjson.dumps({**meta, "code": "made-by-other-code"}))
    (segment / "day.npy").unlink()
    np.save(segment / "day.npy", np.zeros(saved.size, dtype=np.int32))  # wrong days, if served
    for commit in folder.glob(f"{COLUMNS_PREFIX}*"):
        shutil.rmtree(commit)
    reads.segments.clear()
    saved, reference, _ = current(index_dir)
    assert reads.segments == [saved.size]
    same_collection(saved, reference)
    assert orjson.loads((segment / "strings.json").read_bytes())["code"] == segment_columns.segment_code()
