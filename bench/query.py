"""Query latency on Reuters-21578: Dateline's Searcher against SQLite FTS5 on the same documents.

    .venv/bin/dateline reindex --corpus ../shared/corpus/reuters21578 --index /tmp/reuters-index  # once
    .venv/bin/python bench/query.py --index /tmp/reuters-index [--repeat N]

Each request asks for the top 10, every facet count (person, place, country, source)
with the month histogram, and snippets. FTS5 is the yardstick and is given its best
shot (see Fts5): an FTS5 table over the same stored documents (porter tokenizer, bm25
with the schema's field weights as its rank), FTS5's own top-10 rank order, snippet()
on the ten rows shown, facet counts by GROUP BY over the matching rowids with an
index on facets(doc), filters written so SQLite runs each MATCH once. Words typed side
by side get the searcher's reading in both (all words; any word when all find fewer
than a page). Without --index, Reuters is indexed into a temporary folder with its own
PEOPLE/PLACES tags standing in for extracted entities (about a minute, no spaCy).
Prints figures (per query p50, overall p50/p95 and the ratio); asserts nothing.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search.engine.ranking import ANY_WORD_BELOW  # noqa: E402
from search.engine.searcher import Searcher  # noqa: E402
from search.facet_registry import FACET_FIELDS  # noqa: E402
from search.index.schema import FIELD_BOOSTS, stored_values  # noqa: E402
from search.results import SearchRequest  # noqa: E402

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
    (
        "oil [country=Kuwait]",
        SearchRequest(q="oil", filters={"country": ("Kuwait",)}),
        "oil",
        {"country": ("kuwait",)},
        None,
    ),
    # Reuters' tags say Usa and Uk; the entity extractor says United States and United Kingdom.
    (
        "bank [place=Japan|UK]",
        SearchRequest(q="bank", filters={"place": ("Japan", "Uk", "United Kingdom")}),
        "bank",
        {"place": ("japan", "uk", "united kingdom")},
        None,
    ),
    (
        "tax [country=US, person=Reagan]",
        SearchRequest(q="tax", filters={"country": ("Usa", "United States"), "person": ("Reagan",)}),
        "tax",
        {"country": ("usa", "united states"), "person": ("reagan",)},
        None,
    ),
    (
        "grain [Mar 1987]",
        SearchRequest(q="grain", date_from=date(1987, 3, 1), date_to=date(1987, 3, 31)),
        "grain",
        {},
        ("1987-03-01", "1987-03-31"),
    ),
    (
        "currency [Apr 1987, place=West Germany]",
        SearchRequest(
            q="currency", filters={"place": ("West Germany",)}, date_from=date(1987, 4, 1), date_to=date(1987, 4, 30)
        ),
        "currency",
        {"place": ("west germany",)},
        ("1987-04-01", "1987-04-30"),
    ),
    ("(browse, newest)", SearchRequest(q="", sort="newest"), "", {}, None),
    ("copper newest", SearchRequest(q="copper", sort="newest"), "copper", {}, None),
]


def build_reuters_index(index_dir: Path) -> None:
    """A generation of Reuters with its own tags as people and places (no spaCy)."""
    from whoosh import index as whoosh_index

    from search.article import Article, Entities, Place
    from search.index.schema import build_schema, to_document
    from search.readers import read_corpus

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
    """The index's stored documents in SQLite: an FTS5 table (porter stemming, bm25 with the
    schema's field weights as its rank), the day of each document, and a facet table."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE fts USING fts5(title, subtitle, body, tokenize='porter unicode61')")
    weights = ", ".join(str(FIELD_BOOSTS[f]) for f in ("title", "subtitle", "body"))
    db.execute(f"INSERT INTO fts (fts, rank) VALUES ('rank', 'bm25({weights})')")
    db.execute("CREATE TABLE meta (rowid INTEGER PRIMARY KEY, day TEXT)")
    db.execute("CREATE TABLE facets (doc INTEGER, facet TEXT, value TEXT)")
    reader = searcher._current().searcher.reader()
    docs, meta, facets = [], [], []
    for docnum, stored in reader.iter_docs():
        docs.append((docnum + 1, stored.get("title", ""), stored.get("subtitle", ""), stored.get("body", "")))
        meta.append((docnum + 1, (stored.get("published_iso") or "")[:10] or None))
        for name in FACET_FIELDS:
            facets.extend((docnum + 1, name, v.lower()) for v in stored_values(stored, name))
    db.executemany("INSERT INTO fts (rowid, title, subtitle, body) VALUES (?, ?, ?, ?)", docs)
    db.executemany("INSERT INTO meta VALUES (?, ?)", meta)
    db.executemany("INSERT INTO facets VALUES (?, ?, ?)", facets)
    db.execute("CREATE INDEX facets_doc ON facets (doc, facet, value)")
    db.execute("CREATE INDEX facets_value ON facets (facet, value, doc)")
    db.execute("CREATE INDEX meta_day ON meta (day)")
    db.execute("INSERT INTO fts (fts) VALUES ('optimize')")
    db.commit()
    db.execute("ANALYZE")
    return db


PLAIN_WORDS = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)+")


class Fts5:
    """The same requests answered by SQLite FTS5, as a competent FTS5 application would.

    Side-by-side words get the searcher's reading: all of them, or any of them when all
    finds fewer than ANY_WORD_BELOW. Top 10 by FTS5's own rank (bm25 with field weights),
    snippets for those ten only; facet counts with GROUP BY over the matching rowids, each
    selected facet counted under the other filters (as the searcher does); a month histogram.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.weights = ", ".join(str(FIELD_BOOSTS[f]) for f in ("title", "subtitle", "body"))
        # How many documents each facet value has (the product keeps the same in its facet arrays).
        self.value_docs = {
            (f, v): n for f, v, n in db.execute("SELECT facet, value, count(*) FROM facets GROUP BY facet, value")
        }
        self.docs = db.execute("SELECT count(*) FROM meta").fetchone()[0]

    def answer(
        self, match: str, filters: dict[str, tuple[str, ...]], days: tuple[str, str] | None, newest: bool = False
    ) -> int:
        db = self.db
        if PLAIN_WORDS.fullmatch(match):
            all_words = self._count(match, filters, days)
            if all_words < ANY_WORD_BELOW:
                match = " OR ".join(match.split())
        matches, params = self._matches(match, filters, days)
        total = db.execute(f"SELECT count(*) FROM ({matches})", params).fetchone()[0]
        snippets = (
            "SELECT rowid, title, snippet(fts, 2, '<mark>', '</mark>', '…', 30) FROM fts "
            "WHERE fts MATCH ? AND rowid IN ({})"
        )
        if match and not newest and not (filters or days):
            # FTS5 sorts by rank itself; snippet() runs on the ten rows returned.
            db.execute(
                "SELECT rowid, title, snippet(fts, 2, '<mark>', '</mark>', '…', 30) FROM fts "
                "WHERE fts MATCH ? ORDER BY rank LIMIT 10",
                [match],
            ).fetchall()
        elif match:
            # Filtered or by date: score (or date-sort) only the rows the filters keep, then
            # snippet the ten (FTS5's own rank order would score every match first).
            conditions, extra = self._filters(filters, days, "+fts.rowid")
            if newest:  # DESC puts NULL (undated) last
                top_sql = (
                    f"SELECT fts.rowid FROM fts JOIN meta ON meta.rowid = fts.rowid WHERE fts MATCH ? "
                    f"{conditions} ORDER BY meta.day DESC LIMIT 10"
                )
            else:
                top_sql = (
                    f"SELECT rowid FROM fts WHERE fts MATCH ? {conditions} ORDER BY bm25(fts, {self.weights}) LIMIT 10"
                )
            top = [r[0] for r in db.execute(top_sql, [match, *extra])]
            db.execute(snippets.format(",".join("?" * len(top)) or "NULL"), [match, *top]).fetchall()
        else:
            db.execute(
                f"SELECT meta.rowid, fts.title, substr(fts.body, 1, 200) FROM meta "
                f"JOIN ({matches}) m ON m.rowid = meta.rowid JOIN fts ON fts.rowid = meta.rowid "
                "ORDER BY meta.day DESC LIMIT 10",
                params,
            ).fetchall()
        if not match and not (filters or days):
            # Browsing everything: count the tables themselves.
            db.execute("SELECT facet, value, count(*) FROM facets GROUP BY facet, value").fetchall()
            db.execute("SELECT substr(day, 1, 7), count(*) FROM meta GROUP BY 1").fetchall()
            return total
        # Facets outside the selection are counted under every filter; a selected facet under the others.
        # CROSS JOIN keeps the matches as the outer loop (one facets_doc lookup per match).
        db.execute(
            f"WITH m AS ({matches}) SELECT facet, value, count(*) FROM m "
            "CROSS JOIN facets ON facets.doc = m.rowid GROUP BY facet, value",
            params,
        ).fetchall()
        for facet in filters:
            others = {f: v for f, v in filters.items() if f != facet}
            sub, sub_params = self._matches(match, others, days)
            db.execute(
                f"WITH m AS ({sub}) SELECT value, count(*) FROM m "
                "CROSS JOIN facets ON facets.doc = m.rowid WHERE facet = ? GROUP BY value",
                [*sub_params, facet],
            ).fetchall()
        db.execute(
            f"WITH m AS ({matches}) SELECT substr(day, 1, 7), count(*) FROM meta "
            "JOIN m ON meta.rowid = m.rowid GROUP BY 1",
            params,
        ).fetchall()
        return total

    def _count(self, match: str, filters, days) -> int:
        matches, params = self._matches(match, filters, days)
        return self.db.execute(f"SELECT count(*) FROM ({matches})", params).fetchone()[0]

    def _filters(
        self, filters: dict[str, tuple[str, ...]], days: tuple[str, str] | None, column: str
    ) -> tuple[str, list]:
        """SQL conditions for the filters on rows of `column` (a match's rowid).

        A selective facet filter is a list of rowids (+rowid: a plain rowid IN (...) would make
        FTS5 run the MATCH once per listed rowid); a broad one, and the date range, are probed
        per match instead (building a list of half the archive costs more than the lookups)."""
        rowid = column.lstrip("+")
        sql, params = [], []
        for facet, values in filters.items():
            marks = ",".join("?" * len(values))
            if sum(self.value_docs.get((facet, v), 0) for v in values) < self.docs // 4:
                sql.append(f"AND {column} IN (SELECT doc FROM facets WHERE facet = ? AND value IN ({marks}))")
            else:
                sql.append(
                    f"AND EXISTS (SELECT 1 FROM facets WHERE doc = {rowid} AND facet = ? AND value IN ({marks}))"
                )
            params += [facet, *values]
        if days and rowid.startswith("meta."):
            sql.append("AND day BETWEEN ? AND ?")
            params += list(days)
        elif days:
            sql.append(f"AND EXISTS (SELECT 1 FROM meta WHERE meta.rowid = {rowid} AND day BETWEEN ? AND ?)")
            params += list(days)
        return " ".join(sql), params

    def _matches(self, match: str, filters, days) -> tuple[str, list]:
        """A SELECT of the matching rowids, and its parameters."""
        if match:
            conditions, params = self._filters(filters, days, "+fts.rowid")
            return f"SELECT rowid FROM fts WHERE fts MATCH ? {conditions}", [match, *params]
        conditions, params = self._filters(filters, days, "meta.rowid")
        return f"SELECT rowid FROM meta WHERE 1 {conditions}", params


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="an index folder of Reuters-21578 (default: build one)")
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per query (default 10)")
    args = parser.parse_args()

    temporary = None
    index_dir = args.index
    if index_dir is not None and not (index_dir / "CURRENT").exists():
        print(
            f"no index at {index_dir}: build one with .venv/bin/dateline reindex --corpus {REUTERS} --index {index_dir}"
        )
        return 0
    if index_dir is None:
        temporary = tempfile.TemporaryDirectory(prefix="dateline-bench-")
        index_dir = Path(temporary.name)
        started = time.perf_counter()
        build_reuters_index(index_dir)
        print(f"built in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    searcher = Searcher.open(index_dir)
    print(
        f"Searcher.open: {(time.perf_counter() - started) * 1000:.0f} ms for {searcher.doc_count} documents "
        f"in {index_dir}" + (" (temporary, Reuters tags as entities)" if temporary else "")
    )
    started = time.perf_counter()
    fts = Fts5(build_fts(searcher))
    print(f"FTS5 table built in {time.perf_counter() - started:.1f} s (SQLite {sqlite3.sqlite_version})")

    ours: list[float] = []
    theirs: list[float] = []
    print(f"\n{'query':42} {'hits':>6} {'fts5':>6} {'dateline p50':>13} {'fts5 p50':>9}")
    for label, request, match, filters, days in QUERIES:
        newest = request.sort == "newest"
        searcher.search(request)  # warm: the first run reads postings from disk
        fts.answer(match, filters, days, newest)
        times, fts_times = [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            result = searcher.search(request)
            times.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            fts_total = fts.answer(match, filters, days, newest)
            fts_times.append((time.perf_counter() - t) * 1000)
        ours += times
        theirs += fts_times
        print(
            f"{label[:42]:42} {result.total:>6} {fts_total:>6} {statistics.median(times):>13.1f} "
            f"{statistics.median(fts_times):>9.1f}"
        )
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
