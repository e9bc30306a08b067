"""Wire copies: near-duplicate articles grouped at index time (MinHash over word shingles, LSH bands).

The same agency story runs in many outlets, lightly edited. Each article gets a MinHash signature of
its word 5-shingles (title and body, lower-cased, numbers kept: earnings tables differ only in them);
articles whose signatures agree in one LSH band are candidates, and a candidate whose signatures agree
on at least THRESHOLD of their positions (the estimated Jaccard similarity of the shingle sets) joins
the group. Groups are the connected components; a group is labelled by its smallest article id, so a
group no change touched keeps its label.

Per generation the folder holds `duplicates.npz` (every article's id and signature: an incremental
reindex shingles only the articles it adds or changes) and `groups.json` (article id -> group label,
groups of two or more only), which the searcher reads.

Why these numbers (bench/duplicates.py prints the figures): looking at grouped pairs of Reuters-21578,
bdnews24 and Dhaka Tribune, true copies (a new headline, a dropped paragraph, a correction, another
dateline) score 0.5-1.0. What scores just below is mostly templated reports that share their words
and differ in their figures ("FED ADDS RESERVES", weekly jobless claims, EC sugar levies): with
3-word shingles they reached 0.5-0.7, with 5-word shingles a changed number breaks five shingles
and they fall to 0.4-0.5, so 5 words and 0.5. Checked against the texts, 97% of sampled Reuters pairs
have an exact shingle similarity of 0.5 or more and 92% give the same figures (the rest are such
templates); on AllSides 83% of pairs pass both checks (groups there are chained: A like B like C).
64 permutations in 16 bands of 4 make a pair of similarity 0.5 a candidate with probability 0.65
and one of 0.7 with 0.99; the check on all 64 positions then rejects chance candidates.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

from search.index.store import write_json_atomically

NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
SHINGLE = 5  # words per shingle: a changed number breaks five of them, so templated reports stay apart
THRESHOLD = 0.5  # estimated Jaccard similarity of the shingle sets for two articles to be one story
MIN_WORDS = 20  # shorter texts (a headline, "Shr 10 cts vs 12 cts") are never grouped
# Stored with the signatures: signatures made with other parameters are made again.
SIGNATURE_VERSION = f"minhash{NUM_PERM}-shingle{SHINGLE}-crc32-1"
SIGNATURES_FILE = "duplicates.npz"
GROUPS_FILE = "groups.json"

_WORD = re.compile(r"\w+")
_PERM_CHUNK = 16
_EMPTY = np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)  # no shingles: matches nothing
_random = np.random.default_rng(20240613)  # fixed: signatures are stored and compared across runs
_A = _random.integers(1, 2**63, NUM_PERM, dtype=np.uint64) | np.uint64(1)
_B = _random.integers(0, 2**63, NUM_PERM, dtype=np.uint64)
_MIX = _random.integers(1, 2**63, 8, dtype=np.uint64) | np.uint64(1)  # one odd multiplier per word position
WORD_HASHES_KEPT = 2_000_000  # a bound on the word-hash cache over a huge corpus


class _WordHashes(dict):
    """word -> a stable 33-bit hash (crc32: Python's hash() is salted per process, and signatures are
    stored), computed on first sight: one dict lookup per word."""

    def __missing__(self, word: str) -> int:
        if len(self) > WORD_HASHES_KEPT:
            self.clear()
        value = self[word] = zlib.crc32(word.encode("utf-8", "surrogatepass")) | 1 << 32
        return value


_word_hashes = _WordHashes()


def signatures(texts: Sequence[str]) -> np.ndarray:
    """MinHash signatures (len(texts) x NUM_PERM uint32) of the texts' word shingles, all at once:
    the shingles of every text side by side, one permutation pass, a minimum per text. A text of
    fewer than MIN_WORDS words gets the all-max signature, which matches nothing."""
    out = np.tile(_EMPTY, (len(texts), 1))
    words: list[str] = []
    lengths, rows = [], []
    for row, text in enumerate(texts):
        found = _WORD.findall(text.lower())
        if len(found) < MIN_WORDS:
            continue
        words += found
        lengths.append(len(found))
        rows.append(row)
    if not rows:
        return out
    joined = np.fromiter(map(_word_hashes.__getitem__, words), dtype=np.uint64, count=len(words))
    count = len(joined) - SHINGLE + 1
    with np.errstate(over="ignore"):
        shingles = joined[:count] * _MIX[0]
        for k in range(1, SHINGLE):
            shingles += joined[k : k + count] * _MIX[k]
    # Shingles starting in a text's last SHINGLE-1 words run into the next text: left out, so each
    # text's own shingles lie side by side from first[i] on (every text has MIN_WORDS words or more).
    per_text = np.asarray(lengths) - (SHINGLE - 1)
    ends = np.cumsum(lengths)[:-1]
    crossing = (ends[:, None] - np.arange(1, SHINGLE)[None, :]).ravel()
    shingles = np.delete(shingles, crossing)
    first = np.r_[0, np.cumsum(per_text)[:-1]]
    permuted = np.empty((len(shingles), _PERM_CHUNK), dtype=np.uint64)
    for begin in range(0, NUM_PERM, _PERM_CHUNK):  # a bounded (shingles x 16) block at a time
        a, b = _A[begin : begin + _PERM_CHUNK], _B[begin : begin + _PERM_CHUNK]
        with np.errstate(over="ignore"):
            np.multiply(shingles[:, None], a[None, :], out=permuted)
            permuted += b[None, :]
        permuted >>= np.uint64(32)  # what is left fits 32 bits: the minimum of it as uint32 is the same
        out[rows, begin : begin + _PERM_CHUNK] = np.minimum.reduceat(permuted.astype(np.uint32), first, axis=0)
    return out


def signature(text: str) -> np.ndarray:
    """MinHash signature (NUM_PERM uint32) of one text's word shingles."""
    return signatures([text])[0]


def article_text(title: str, body: str) -> str:
    return f"{title}\n{body}"


@dataclass(frozen=True)
class Signatures:
    """Article ids and their signatures, row by row."""

    ids: list[str]
    matrix: np.ndarray  # (len(ids), NUM_PERM) uint32

    @classmethod
    def of(cls, rows: Mapping[str, np.ndarray]) -> Signatures:
        ids = sorted(rows)
        matrix = np.stack([rows[i] for i in ids]) if ids else np.zeros((0, NUM_PERM), dtype=np.uint32)
        return cls(ids, matrix.astype(np.uint32, copy=False))

    def as_dict(self) -> dict[str, np.ndarray]:
        return {article_id: self.matrix[row] for row, article_id in enumerate(self.ids)}


def group(signatures: Signatures, threshold: float = THRESHOLD) -> dict[str, str]:
    """Article id -> group label (its group's smallest id), for groups of two or more."""
    n = len(signatures.ids)
    if n < 2:
        return {}
    matrix = signatures.matrix
    usable = ~(matrix == _EMPTY).all(axis=1)
    parent = np.arange(n)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    rows = np.flatnonzero(usable)
    for band in range(BANDS):
        keys = np.ascontiguousarray(matrix[rows, band * ROWS : (band + 1) * ROWS]).view(f"V{4 * ROWS}").ravel()
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
        first = rows[order][np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))]
        member = rows[order]
        candidates = first != member
        if not candidates.any():
            continue
        a, b = first[candidates], member[candidates]
        similar = (matrix[a] == matrix[b]).mean(axis=1) >= threshold
        for i, j in zip(a[similar].tolist(), b[similar].tolist()):
            ri, rj = root(i), root(j)
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)
    roots = np.array([root(i) for i in range(n)])
    sizes = np.bincount(roots, minlength=n)
    # ids are sorted, so a component's root (its smallest row) is its smallest id.
    return {signatures.ids[i]: signatures.ids[roots[i]] for i in np.flatnonzero(sizes[roots] > 1).tolist()}


# --- per generation on disk --------------------------------------------------------------


def load_signatures(folder: Path) -> dict[str, np.ndarray]:
    """The signatures stored in a generation folder; empty when there are none (or unreadable)."""
    try:
        with np.load(folder / SIGNATURES_FILE, allow_pickle=False) as data:
            if str(data["version"]) != SIGNATURE_VERSION:
                return {}
            return Signatures([str(i) for i in data["ids"].tolist()], data["matrix"]).as_dict()
    except (OSError, KeyError, ValueError):
        return {}


def save(folder: Path, signatures: Signatures, groups: Mapping[str, str]) -> None:
    """Writes signatures and groups of a generation (each file replaced atomically)."""
    temporary = folder / f".{SIGNATURES_FILE}.tmp.npz"
    np.savez(
        temporary,
        version=np.array(SIGNATURE_VERSION),
        ids=np.array(signatures.ids, dtype=str),
        matrix=signatures.matrix,
    )
    temporary.replace(folder / SIGNATURES_FILE)
    write_json_atomically(folder / GROUPS_FILE, dict(groups))


def load_groups(folder: Path) -> dict[str, str]:
    """Article id -> group label of a generation (groups of two or more); {} when none were stored."""
    try:
        data = orjson.loads((folder / GROUPS_FILE).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def group_numbers(ids: Iterable[str | None], groups: Mapping[str, str]) -> np.ndarray:
    """A group number per docnum: equal for the articles of one group, unique for everyone else."""
    labels: dict[str, int] = {}
    numbers = []
    for docnum, article_id in enumerate(ids):
        label = groups.get(article_id) if article_id is not None else None
        if label is None:
            numbers.append(-1 - docnum)  # a group of its own
        else:
            numbers.append(labels.setdefault(label, len(labels)))
    return np.asarray(numbers, dtype=np.int64)
