"""Wire copies on the real corpora: groups found, their precision on a sample, the indexing time added.

    .venv/bin/python bench/duplicates.py [--sample 200] [--skip-allsides] [--skip-rebuild]

For each corpus: articles, groups of near duplicates and the articles in them, time to shingle and
group. Precision: a random sample of grouped pairs (an article and its group's label article) is
checked against the texts: the exact Jaccard similarity of their word 5-shingle sets (the MinHash
estimates it), and whether the two give the same figures (the numbers in them overlap by half or
more) — templated reports ("FED ADDS RESERVES", earnings tables) share their words and differ in
their figures, so a pair with other figures is counted as a false copy. Cost: two full rebuilds of
Reuters-21578 with bdnews24 and Dhaka Tribune into a fresh index, without and with grouping
(entities stubbed out, so the base is the smallest a rebuild can be and the share shown is an upper
bound), in CPU seconds of the process and its writer processes, and wall seconds. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import random
import re
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search.article import Article, Entities  # noqa: E402
from search.index import duplicates  # noqa: E402
from search.index.indexer import reindex  # noqa: E402
from search.readers import read_corpus  # noqa: E402
from search.settings import PROJECT_ROOT  # noqa: E402

SHARED = PROJECT_ROOT.parent / "shared" / "corpus"
CORPORA = {
    "Reuters-21578": [SHARED / "reuters21578"],
    "bdnews24 + Dhaka Tribune": [SHARED / "bdnews24", SHARED / "dhakatribune"],
    "AllSides": [SHARED / "allsides"],
}
_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d[\d.,/-]*")


class NoEntities:
    def extract_many(self, articles):
        for _ in articles:
            yield Entities()


def shingles(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.casefold())
    return {tuple(words[i : i + duplicates.SHINGLE]) for i in range(len(words) - duplicates.SHINGLE + 1)}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def same_figures(a: str, b: str) -> bool:
    numbers_a, numbers_b = set(_NUMBER.findall(a)), set(_NUMBER.findall(b))
    if not numbers_a and not numbers_b:
        return True
    return jaccard(numbers_a, numbers_b) >= 0.5


def read_texts(paths: list[Path]) -> dict[str, str]:
    """id -> title and body. AllSides is gzip JSON Lines, which the readers leave to be unpacked."""
    texts = {}
    for path in paths:
        for packed in sorted(path.glob("*.jsonl.gz")) if path.is_dir() else []:
            with gzip.open(packed, "rb") as lines:
                for line in lines:
                    record = orjson.loads(line)
                    texts[record["id"]] = duplicates.article_text(record.get("title") or "", record.get("body") or "")
    texts |= {a.id: duplicates.article_text(a.title, a.body_text) for a in read_corpus(paths) if isinstance(a, Article)}
    return texts


def measure(name: str, paths: list[Path], sample: int, rng: random.Random) -> None:
    started = time.perf_counter()
    texts = read_texts(paths)
    read = time.perf_counter() - started
    started = time.perf_counter()
    keys = list(texts)
    rows = {}
    for begin in range(0, len(keys), 128):  # batches, as the indexer makes them
        batch = keys[begin : begin + 128]
        rows |= dict(zip(batch, duplicates.signatures([texts[k] for k in batch])))
    signatures = duplicates.Signatures.of(rows)
    signing = time.perf_counter() - started
    started = time.perf_counter()
    groups = duplicates.group(signatures)
    grouping = time.perf_counter() - started
    members: dict[str, list[str]] = defaultdict(list)
    for key, label in groups.items():
        members[label].append(key)
    sizes = sorted((len(m) for m in members.values()), reverse=True)
    print(f"\n{name}: {len(texts)} articles (read in {read:.1f} s)")
    print(
        f"  groups: {len(members)}, holding {len(groups)} articles ({len(groups) - len(members)} copies folded); "
        f"largest groups: {sizes[:5]}"
    )
    print(
        f"  shingling: {signing:.1f} s ({signing / max(1, len(texts)) * 1e6:.0f} µs/article); "
        f"grouping: {grouping:.2f} s"
    )
    pairs = [(label, key) for key, label in groups.items() if key != label]
    chosen = rng.sample(pairs, min(sample, len(pairs)))
    if not chosen:
        return
    exact = [jaccard(shingles(texts[a]), shingles(texts[b])) for a, b in chosen]
    above = sum(1 for value in exact if value >= duplicates.THRESHOLD)
    near = sum(1 for value in exact if value >= duplicates.THRESHOLD - 0.1)
    figures = sum(1 for a, b in chosen if same_figures(texts[a], texts[b]))
    both = sum(
        1
        for (a, b), value in zip(chosen, exact)
        if value >= duplicates.THRESHOLD - 0.1 and same_figures(texts[a], texts[b])
    )
    print(f"  precision on {len(chosen)} sampled pairs, checked against the texts:")
    print(
        f"    exact 5-shingle Jaccard >= {duplicates.THRESHOLD}: {above / len(chosen):.1%} "
        f"(>= {duplicates.THRESHOLD - 0.1:.1f}: {near / len(chosen):.1%}; median {sorted(exact)[len(exact) // 2]:.2f})"
    )
    print(f"    same figures (not a templated report of other numbers): {figures / len(chosen):.1%}")
    print(f"    both (a copy of the same story): {both / len(chosen):.1%}")


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the writer processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def rebuild(paths: list[Path], grouping: bool):
    """A full rebuild into a fresh folder, and the CPU seconds it took; without `grouping`, the
    indexer's shingling and grouping are switched off (the rebuild as it was before)."""
    from unittest import mock

    from search.index.indexer import _Reindex

    started = cpu_seconds()
    with (
        tempfile.TemporaryDirectory(prefix="dateline-bench-dup-") as folder,
        mock.patch.object(_Reindex, "_sign", _Reindex._sign if grouping else lambda self, a, h: None),
        mock.patch.object(
            _Reindex, "_group_copies", _Reindex._group_copies if grouping else lambda self, target, carried: None
        ),
    ):
        report = reindex(paths, Path(folder), full=True, workers=2, extractor=NoEntities())
    return report, cpu_seconds() - started


def rebuild_cost() -> None:
    paths = CORPORA["Reuters-21578"] + CORPORA["bdnews24 + Dhaka Tribune"]
    without, without_cpu = rebuild(paths, grouping=False)
    grouped, grouped_cpu = rebuild(paths, grouping=True)
    print(
        f"\nfull rebuild of Reuters-21578 + bdnews24 + Dhaka Tribune ({grouped.read} articles, entities "
        f"stubbed, 2 writer processes; {grouped.copies} articles in {grouped.copy_groups} groups):"
    )
    # CPU time is what the machine pays; wall time on a shared machine moves with its other work.
    print(
        f"  CPU: without grouping {without_cpu:.1f} s, with it {grouped_cpu:.1f} s "
        f"(+{grouped_cpu / without_cpu - 1:.1%})"
    )
    print(
        f"  wall: without {without.seconds:.1f} s, with {grouped.seconds:.1f} s; inside shingling and grouping "
        f"{grouped.duplicate_seconds:.1f} s ({grouped.duplicate_seconds / grouped.seconds:.1%} of the rebuild)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=200, help="grouped pairs checked per corpus")
    parser.add_argument("--skip-allsides", action="store_true", help="AllSides is 37,554 long articles")
    parser.add_argument("--skip-rebuild", action="store_true")
    args = parser.parse_args()
    rng = random.Random(13)
    print(
        f"MinHash {duplicates.NUM_PERM} permutations, {duplicates.BANDS} bands of {duplicates.ROWS}, "
        f"{duplicates.SHINGLE}-word shingles, threshold {duplicates.THRESHOLD}, "
        f"texts under {duplicates.MIN_WORDS} words never grouped"
    )
    for name, paths in CORPORA.items():
        if name == "AllSides" and args.skip_allsides:
            continue
        if not all(p.exists() for p in paths):
            print(f"\n{name}: missing ({', '.join(map(str, paths))})")
            continue
        measure(name, paths, args.sample, rng)
    if not args.skip_rebuild:
        rebuild_cost()


if __name__ == "__main__":
    main()
