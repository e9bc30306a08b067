"""Query latency on Reuters-21578: Dateline's Searcher against SQLite FTS5 on the same documents.

    .venv/bin/python bench/query.py [--index DIR] [--repeat N]

Each request asks for the top 10, every facet count (person, place, country, source,
and the date histogram for Dateline) and snippets. Without --index, Reuters is read
with the project's reader and indexed into a temporary folder, with Reuters' own
PEOPLE/PLACES tags standing in for extracted entities (fast; the real figures come
from an index built by `dateline reindex`). FTS5 gets the stored documents of the
same index, so both answer over identical text. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search.results import SearchRequest  # noqa: E402
from search.schema import FACET_FIELDS, stored_values  # noqa: E402
from search.searcher import Searcher  # noqa: E402

REUTERS = ROOT.parent / "shared" / "corpus" / "reuters21578"

# (label, request, FTS5 MATCH expression, FTS5 facet filters, FTS5 date range)
QUERIES: list[tuple[str, SearchRequest, str, dict[str, tuple[str, ...]], tuple[str, str] | None]] = [
    ("oil prices", SearchRequest(q="oil prices"), "oil prices", {}, None),
    ("interest rates", SearchRequest(q="interest rates"), "interest rates", {}, None),
    ("coffee brazil", SearchRequest(q="coffee brazil"), "coffee brazil", {}, None),
    ("james baker", SearchRequest(q="james baker"), "james baker", {}, None),
    ('"bank of japan"', SearchRequest(q='"bank of japan"'), '"bank of japan"', {}, None),
    ("trade deficit", SearchRequest(q="trade deficit"), "trade deficit", {}, None),
    ("opec production quota", SearchRequest(q="opec production quota"), "opec production quota", {}, None),
    ("wheat exports", SearchRequest(q="wheat exports"), "wheat exports", {}, None),
    ("dollar yen", SearchRequest(q="dollar yen"), "dollar yen", {}, None),
    ("gold", SearchRequest(q="gold"), "gold", {}, None),
    ("merger acquisition", SearchRequest(q="merger acquisition"), "merger acquisition", {}, None),
    ('"federal reserve"', SearchRequest(q='"federal reserve"'), '"federal reserve"', {}, None),
    ("sugar OR cocoa", SearchRequest(q="sugar OR cocoa"), "sugar OR cocoa", {}, None),
    ("crude -opec", SearchRequest(q="crude -opec"), "crude NOT opec", {}, None),
    ("earnings net profit", SearchRequest(q="earnings net profit"), "earnings net profit", {}, None),
    ("stock market crash", SearchRequest(q="stock market crash"), "stock market crash", {}, None),
    ("oil [country=Kuwait]", SearchRequest(q="oil", country=("Kuwait",)), "oil", {"country": ("kuwait",)}, None),
    ("bank [place=Japan|Uk]", SearchRequest(q="bank", place=("Japan", "Uk")), "bank",
     {"place": ("japan", "uk")}, None),
    ("tax [country=Usa, person=Reagan]", SearchRequest(q="tax", country=("Usa",), person=("Reagan",)), "tax",
     {"country": ("usa",), "person": ("reagan",)}, None),
    ("grain [Mar 1987]", SearchRequest(q="grain", date_from=date(1987, 3, 1), date_to=date(1987, 3, 31)),
     "grain", {}, ("1987-03-01", "1987-03-31")),
    ("currency [Apr 1987, place=West Germany]",
     SearchRequest(q="currency", place=("West Germany",), date_from=date(1987, 4, 1), date_to=date(1987, 4, 30)),
     "currency", {"place": ("west germany",)}, ("1987-04-01", "1987-04-30")),
    ("(browse, newest)", SearchRequest(q="", sort="newest"), "", {}, None),
    ("copper newest", SearchRequest(q="copper", sort="newest"), "copper", {}, None),
]


def build_reuters_index(index_dir: Path) -> None:
    """A generation of Reuters with its own tags as people and places (no spaCy)."""
    from whoosh import index as whoosh_index

    from search.article import Article, Entities, Place
    from search.readers import read_corpus
    from search.schema import build_schema, to_document

    def names(value) -> tuple[str, ...]:
        items = value if isinstance(value, (list, tuple)) else []
        return tuple(str(v).replace("-", " ").title() for v in items)

    path = index_dir / "gen-000001"
    path.mkdir(parents=True)
    ix = whoosh_index.create_in(str(path), build_schema())
    writer = ix.writer(limitmb=512)
    count = 0
    for item in read_corpus([REUTERS]):
        if not isinstance(item, Article):
            continue
        meta = item.source_metadata
        places = tuple(Place(p, p) for p in names(meta.get("places")))
        writer.add_document(**to_document(item, Entities(names(meta.get("people")), places)))
        count += 1
    writer.commit()
    (index_dir / "CURRENT").write_text("gen-000001\n")
    print(f"indexed {count} Reuters articles into {index_dir} (tags as entities)")


def build_fts(searcher: Searcher) -> sqlite3.Connection:
    """The index's stored documents in SQLite: an FTS5 table and a facet table."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(title, subtitle, body, tokenize='porter unicode61')")
    db.execute("CREATE TABLE meta (rowid INTEGER PRIMARY KEY, day TEXT)")
    db.execute("CREATE TABLE facets (rowid INTEGER, facet TEXT, value TEXT)")
    db.execute("CREATE INDEX facets_value ON facets (facet, value, rowid)")
    db.execute("CREATE INDEX facets_doc ON facets (rowid)")
    reader = searcher._current().searcher.reader()
    docs, meta, facets = [], [], []
    for docnum, stored in reader.iter_docs():
        docs.append((docnum + 1, stored.get("title", ""), stored.get("subtitle", ""), stored.get("body", "")))
        meta.append((docnum + 1, (stored.get("published_iso") or "")[:10] or None))
        for name in FACET_FIELDS:
            facets.extend((docnum + 1, name, v.lower()) for v in stored_values(stored, name))
    db.executemany("INSERT INTO docs (rowid, title, subtitle, body) VALUES (?, ?, ?, ?)", docs)
    db.executemany("INSERT INTO meta VALUES (?, ?)", meta)
    db.executemany("INSERT INTO facets VALUES (?, ?, ?)", facets)
    db.commit()
    return db


def fts_request(db: sqlite3.Connection, match: str, filters: dict[str, tuple[str, ...]],
                days: tuple[str, str] | None) -> int:
    """Top 10 by bm25 with snippets, facet counts over all matches, the total."""
    where, params = [], []
    if match:
        where.append("rowid IN (SELECT rowid FROM docs WHERE docs MATCH ?)")
        params.append(match)
    for facet, values in filters.items():
        where.append(f"rowid IN (SELECT rowid FROM facets WHERE facet = ? AND value IN "
                     f"({','.join('?' * len(values))}))")
        params += [facet, *values]
    if days:
        where.append("rowid IN (SELECT rowid FROM meta WHERE day BETWEEN ? AND ?)")
        params += list(days)
    condition = " AND ".join(where) or "1"
    db.execute("CREATE TEMP TABLE IF NOT EXISTS hits (rowid INTEGER PRIMARY KEY)")
    db.execute("DELETE FROM hits")
    db.execute(f"INSERT INTO hits SELECT rowid FROM meta WHERE {condition}", params)
    total = db.execute("SELECT count(*) FROM hits").fetchone()[0]
    if match:
        # Rank first, then snippet only the ten shown (SQLite would snippet every row it sorts).
        top = [r[0] for r in db.execute(
            "SELECT rowid FROM docs WHERE docs MATCH ? AND rowid IN hits "
            "ORDER BY bm25(docs, 3.0, 1.8, 1.0) LIMIT 10", [match])]
        db.execute(f"SELECT rowid, title, snippet(docs, 2, '<mark>', '</mark>', '…', 30) FROM docs "
                   f"WHERE docs MATCH ? AND rowid IN ({','.join('?' * len(top)) or 'NULL'})",
                   [match, *top]).fetchall()
    else:
        db.execute("SELECT m.rowid, substr(d.body, 1, 200) FROM meta m JOIN docs d ON d.rowid = m.rowid "
                   "WHERE m.rowid IN hits ORDER BY m.day DESC LIMIT 10").fetchall()
    db.execute("SELECT facet, value, count(*) AS n FROM facets WHERE rowid IN hits "
               "GROUP BY facet, value ORDER BY n DESC").fetchall()
    db.execute("SELECT substr(day, 1, 7), count(*) FROM meta WHERE rowid IN hits GROUP BY 1").fetchall()
    return total


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="an index folder of Reuters-21578 (default: build one)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query (default 5)")
    args = parser.parse_args()

    temporary = None
    index_dir = args.index
    if index_dir is None:
        temporary = tempfile.TemporaryDirectory(prefix="dateline-bench-")
        index_dir = Path(temporary.name)
        started = time.perf_counter()
        build_reuters_index(index_dir)
        print(f"built in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    searcher = Searcher.open(index_dir)
    print(f"Searcher.open: {(time.perf_counter() - started) * 1000:.0f} ms for {searcher.doc_count} documents")
    started = time.perf_counter()
    db = build_fts(searcher)
    print(f"FTS5 table built in {time.perf_counter() - started:.1f} s")

    ours: list[float] = []
    theirs: list[float] = []
    print(f"\n{'query':42} {'hits':>6} {'fts5':>6} {'dateline ms':>12} {'fts5 ms':>8}")
    for label, request, match, filters, days in QUERIES:
        searcher.search(request)  # warm: the first run reads postings from disk
        fts_request(db, match, filters, days)
        times, fts_times = [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            result = searcher.search(request)
            times.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            fts_total = fts_request(db, match, filters, days)
            fts_times.append((time.perf_counter() - t) * 1000)
        ours += times
        theirs += fts_times
        print(f"{label[:42]:42} {result.total:>6} {fts_total:>6} {statistics.median(times):>12.1f} "
              f"{statistics.median(fts_times):>8.1f}")
    p50, p95 = percentile(ours, 50), percentile(ours, 95)
    f50, f95 = percentile(theirs, 50), percentile(theirs, 95)
    print(f"\n{len(QUERIES)} queries x {args.repeat} runs")
    print(f"dateline  p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")
    print(f"fts5      p50 {f50:6.1f} ms   p95 {f95:6.1f} ms")
    print(f"ratio     p50 {p50 / f50:6.1f}x   p95 {p95 / f95:6.1f}x  (dateline / fts5)")
    print("(figures are indicative when other work shares the machine)")
    searcher.close()
    if temporary:
        temporary.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
