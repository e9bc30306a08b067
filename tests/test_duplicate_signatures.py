"""MinHash signatures made in batches (search.index.duplicates.signatures) equal the definition, text by text:
signatures are stored with an index and compared across runs, so a faster path must not change one."""

from __future__ import annotations

import gzip
import itertools
import zlib

import numpy as np
import orjson
import pytest

from search.index import duplicates as d


def definition(text: str) -> np.ndarray:
    """One text's signature as the module docstring defines it, without any batching."""
    words = d._WORD.findall(text.lower())
    if len(words) < d.MIN_WORDS:
        return d._EMPTY
    hashes = np.array([zlib.crc32(w.encode("utf-8", "surrogatepass")) | 1 << 32 for w in words], dtype=np.uint64)
    count = len(words) - d.SHINGLE + 1
    with np.errstate(over="ignore"):
        shingles = sum(hashes[k : k + count] * d._MIX[k] for k in range(d.SHINGLE))
        permuted = (shingles[:, None] * d._A[None, :] + d._B[None, :]) >> np.uint64(32)
    return permuted.min(axis=0).astype(np.uint32)


@pytest.mark.shared
def test_batched_signatures_equal_the_definition_on_real_articles(shared):
    texts = []
    with gzip.open(shared("corpus", "allsides", "articles.jsonl.gz")) as stream:
        for line in itertools.islice(stream, 150):
            record = orjson.loads(line)
            texts.append(d.article_text(record.get("title") or "", str(record.get("body") or "")))
    # Texts just under, at and over the shortest length grouped, between long ones.
    texts[5:5] = ["a headline only", " ".join(["word"] * (d.MIN_WORDS - 1)), " ".join(f"w{i}" for i in range(20)), ""]
    expected = np.stack([definition(text) for text in texts])
    for size in (1, 7, 64, len(texts)):
        batched = np.concatenate([d.signatures(texts[i : i + size]) for i in range(0, len(texts), size)])
        assert np.array_equal(batched, expected), size
