"""Indexing speed, memory and facet quality on Reuters-21578. Prints figures; asserts nothing.

    .venv/bin/python bench/index.py [--corpus DIR] [--files N] [--workers N] [--repeat N]

In one run, into a temporary folder:
  (a) cold: `reindex` of the corpus with an empty entity cache (reading + spaCy + Whoosh), once;
  (b) warm: `reindex --full` with the cache filled (reading + cache + Whoosh), beside two
      baselines over the same documents already in memory (indexing only): plain Whoosh
      (StemmingAnalyzer title/subtitle/body, the same stored fields, default writer, one
      add_document per article) and SQLite FTS5 (porter tokenizer); best of --repeat runs each;
  (c) peak memory of this process and of its children (ru_maxrss);
  (d) our country facets against Reuters' own PLACES tags: precision and recall.
Figures taken on a shared machine are indicative only.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import whoosh.index  # noqa: E402
from whoosh.analysis import StemmingAnalyzer  # noqa: E402
from whoosh.fields import ID, STORED, TEXT, Schema  # noqa: E402

from search.article import Article  # noqa: E402
from search.entities.places import reuters_place_code  # noqa: E402
from search.index import store as index_store  # noqa: E402
from search.index.indexer import reindex  # noqa: E402
from search.index.schema import stored_values  # noqa: E402
from search.readers import read_corpus  # noqa: E402
from search.settings import PROJECT_ROOT  # noqa: E402

DEFAULT_CORPUS = PROJECT_ROOT.parent / "shared" / "corpus" / "reuters21578"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--files", type=int, default=None, help="only the first N reut2-*.sgm files (1,000 stories each)"
    )
    parser.add_argument("--workers", type=int, default=None, help="processes (default: CPU count)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of (b) and of each baseline; the best counts")
    args = parser.parse_args()

    files = sorted(args.corpus.glob("reut2-*.sgm")) if args.corpus.is_dir() else [args.corpus]
    if args.files:
        files = files[: args.files]
    if not files:
        print(f"no reut2-*.sgm files in {args.corpus}", file=sys.stderr)
        return 0
    workers = args.workers or os.cpu_count() or 1
    print(
        f"corpus: {len(files)} files from {args.corpus}; workers: {workers}; CPUs: {os.cpu_count()}; "
        f"load average at start: {os.getloadavg()[0]:.2f}"
    )

    with tempfile.TemporaryDirectory(prefix="dateline-bench-") as scratch:
        scratch = Path(scratch)
        index_dir = scratch / "index"
        rows = []

        cold = reindex(files, index_dir, workers=workers)
        rows.append(
            ("(a) reindex, cold (read + spaCy + Whoosh)", cold.read, cold.seconds, f"{cold.extracted} extracted")
        )
        memory_after_cold = _memory()

        # (b) and the baselines: best of --repeat runs, taken in turn, so that a burst of load
        # from other processes on a shared machine does not decide the ratio.
        warm_runs = [reindex(files, index_dir, full=True, workers=workers) for _ in range(args.repeat)]
        warm = min(warm_runs, key=lambda report: report.seconds)
        rows.append(
            (
                "(b) reindex --full, warm cache (read + cache + Whoosh)",
                warm.read,
                warm.seconds,
                f"{warm.extracted} extracted; best of {args.repeat}: "
                + ", ".join(f"{r.seconds:.1f}" for r in warm_runs)
                + " s",
            )
        )

        # The same documents, read once, for the baselines (indexing only).
        started = time.perf_counter()
        articles = [a for a in read_corpus(files) if isinstance(a, Article)]
        read_seconds = time.perf_counter() - started
        rows.append(("    reading alone (readers + content hash)", len(articles), read_seconds, ""))
        documents = _documents(articles, index_dir)

        runs = [_plain_whoosh(documents, scratch / f"plain-{n}") for n in range(args.repeat)]
        rows.append(
            (
                "    plain Whoosh, default writer (indexing only)",
                len(documents),
                min(runs),
                f"best of {args.repeat}: " + ", ".join(f"{r:.1f}" for r in runs) + " s",
            )
        )
        plain_rate = len(documents) / min(runs)
        runs = [_sqlite_fts5(documents, scratch / f"fts5-{n}.sqlite") for n in range(args.repeat)]
        rows.append(("    SQLite FTS5 porter (indexing only)", len(documents), min(runs), f"best of {args.repeat}"))

        print()
        print(f"{'run':58} {'docs':>7} {'seconds':>8} {'docs/s':>8}  note")
        for name, count, seconds, note in rows:
            print(f"{name:58} {count:7d} {seconds:8.1f} {count / seconds:8.0f}  {note}")
        print(
            f"\n(b) / plain Whoosh: {warm.docs_per_second / plain_rate:.2f}x "
            f"(ours includes reading the corpus, plain Whoosh does not)"
        )

        self_peak, children_peak = _memory()
        print(
            f"(c) peak memory: this process {self_peak / 1024:.0f} MB "
            f"(after (a): {memory_after_cold[0] / 1024:.0f} MB), largest child {children_peak / 1024:.0f} MB"
        )

        precision, recall, documents_with_places = _place_agreement(articles, index_dir)
        print(
            f"(d) country facets vs Reuters PLACES over {documents_with_places} stories with PLACES: "
            f"precision {precision:.3f}, recall {recall:.3f}"
        )
    return 0


def _memory() -> tuple[int, int]:
    """ru_maxrss in KB (Linux) of this process and of the largest waited-for child."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def _documents(articles: list[Article], index_dir: Path) -> list[dict]:
    """Our stored documents (with the indexed entities), for baselines with the same stored fields."""
    ix = index_store.open_live_index(index_dir)
    with ix.searcher() as searcher:
        stored = {doc["id"]: doc for doc in searcher.all_stored_fields()}
    return [stored[a.id] for a in articles if a.id in stored]


def _plain_whoosh(documents: list[dict], folder: Path) -> float:
    analyzer = StemmingAnalyzer()
    text_fields = ("title", "subtitle", "body")
    fields = {"id": ID(stored=True, unique=True)}
    fields.update({name: TEXT(analyzer=analyzer, stored=True) for name in text_fields})
    other = sorted({key for doc in documents for key in doc} - set(fields))
    fields.update({name: STORED() for name in other})
    folder.mkdir()
    ix = whoosh.index.create_in(str(folder), Schema(**fields))
    started = time.perf_counter()
    writer = ix.writer()
    for doc in documents:
        writer.add_document(**doc)
    writer.commit()
    return time.perf_counter() - started


def _sqlite_fts5(documents: list[dict], path: Path) -> float:
    columns = ["id", "title", "subtitle", "body"]
    stored = sorted({key for doc in documents for key in doc} - set(columns))
    unindexed = ", ".join(f"{name} UNINDEXED" for name in ["id", *stored])
    started = time.perf_counter()
    db = sqlite3.connect(path)
    db.execute(f"CREATE VIRTUAL TABLE docs USING fts5({unindexed}, title, subtitle, body, tokenize='porter')")
    names = ["id", *stored, "title", "subtitle", "body"]
    with db:
        db.executemany(
            f"INSERT INTO docs ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            ([doc.get(name) for name in names] for doc in documents),
        )
    db.close()
    return time.perf_counter() - started


def _place_agreement(articles: list[Article], index_dir: Path) -> tuple[float, float, int]:
    ix = index_store.open_live_index(index_dir)
    with ix.searcher() as searcher:
        ours = {
            doc["id"]: {reuters_place_code(c) for c in stored_values(doc, "country")}
            for doc in searcher.all_stored_fields()
        }
    hits = predicted = gold_total = documents = 0
    for article in articles:
        gold = set(article.source_metadata.get("places") or ())
        if not gold:
            continue
        documents += 1
        found = ours.get(article.id, set())
        hits += len(found & gold)
        predicted += len(found)
        gold_total += len(gold)
    return (hits / predicted if predicted else 0.0, hits / gold_total if gold_total else 0.0, documents)


if __name__ == "__main__":
    sys.exit(main())
