"""Phrases read from the words' positions with numpy match exactly the documents Whoosh's own
phrase matcher finds, on the real Reuters (with deletions, two segments) and pages corpora."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from whoosh import query as wq
from whoosh.formats import Positions

from helpers import NoEntities, shared_path
from search.engine.searcher import Searcher
from search.index.indexer import reindex
from search.index.whoosh_internals import reading

pytestmark = pytest.mark.shared


def whoosh_matches(evaluator, q: wq.Query) -> np.ndarray:
    """Whoosh's phrase matcher over every segment, live documents only."""
    mask = np.zeros(evaluator.size, dtype=bool)
    context = evaluator.searcher.boolean_context()
    for leaf, offset in evaluator.leaves:
        matcher = q.matcher(leaf, context)
        if matcher.is_active():
            mask[np.fromiter(matcher.all_ids(), dtype=np.int64) + offset] = True
    return mask & evaluator.live


def phrases_of(searcher, fieldname: str, count: int) -> list[list[str]]:
    """Runs of two to four neighbouring words as the index holds them, from the stored articles;
    and some that stand in no article (words reversed, a word repeated)."""
    analyzer = searcher.schema[fieldname].analyzer
    found: list[list[str]] = []
    for docnum, fields in searcher.reader().iter_docs():
        words = [token.text for token in analyzer(fields.get(fieldname) or "")]
        for length in (2, 3, 4):
            if len(words) >= length + docnum % 7:
                start = docnum % 7
                found.append(words[start : start + length])
        if len(found) >= count:
            break
    found += [list(reversed(words)) for words in found[: count // 4]]
    found += [[words[0], words[0]] for words in found[: count // 8]]
    found.append(["no-such-word-in-the-index", found[0][0]])
    return found


def check_phrases(index_dir: Path) -> int:
    with Searcher.open(index_dir) as searcher:
        gen = searcher._current()
        evaluator = gen.evaluator
        matched = 0
        for fieldname in ("title", "body"):
            for words in phrases_of(gen.searcher, fieldname, 160):
                q = wq.Phrase(fieldname, words)
                ours = evaluator._phrase_matches(q)
                assert ours is not None, "a plain phrase is read from positions"
                assert np.array_equal(ours & evaluator.live, whoosh_matches(evaluator, q)), words
                matched += int(ours.sum())
        assert evaluator._phrase_matches(wq.Phrase("body", ["stock", "split"], slop=3)) is None  # Whoosh's
        return matched


def test_reuters_phrases_equal_whooshs_with_deletions_in_two_segments(tmp_path):
    reuters = [shared_path("corpus", "reuters21578", f"reut2-00{n}.sgm") for n in range(3)]
    index_dir = tmp_path / "index"
    reindex(reuters[:2], index_dir, workers=1, extractor=NoEntities())
    reindex(reuters[1:], index_dir, workers=1, extractor=NoEntities(), prune=True)  # deletes reut2-000's
    with Searcher.open(index_dir) as searcher:
        evaluator = searcher._current().evaluator
        assert len(evaluator.leaves) == 2 and not evaluator.live.all()
    assert check_phrases(index_dir) > 1000


def test_pages_phrases_equal_whooshs(tmp_path):
    index_dir = tmp_path / "index"
    reindex([shared_path("corpus", "pages")], index_dir, workers=1, extractor=NoEntities())
    assert check_phrases(index_dir) > 100


def test_positions_of_values_not_written_as_today_are_read_one_at_a_time():
    lists = [[0], [3, 4, 9], list(range(5, 1500, 3)), [70000, 70001]]
    written = [Positions().encode(found) for found in lists]
    for values in (written, [value[:-1] for value in written], [written[0][:-1], *written[1:]]):
        index, positions = reading.positions_of_values(values)
        assert [positions[index == i].tolist() for i in range(len(lists))] == lists
