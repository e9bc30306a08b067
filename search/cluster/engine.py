"""The search cluster as a SearchEngine (search.engine.interface): the same requests, the same results.

Per request: one query for the page of hits (MATCH(), attribute filters, ORDER BY, LIMIT; with
collapse, GROUP BY the group of wire copies), two that count the groups, one FACET query for the
facet counts and the days of the date histogram, and one more per ticked facet (a facet is
counted under every filter but its own). Each FACET limit, and max_matches, is set above the
facet's distinct values in the live generation (counted once per generation), so counts are exact
across shards without paying for a large limit everywhere. Snippets and marked titles are made by
Dateline from the stored text (search.snippets), as the embedded engine makes them; spelling
suggestions by search.engine.suggest from the generation's term counts (search.cluster.vocabulary).
A request reads the live generation once and uses it throughout (search.cluster.pointer).

A shard that does not answer (no replica up) leaves its part out: the result says which part
(`extra["missing_shards"]`) and its notice says so; every shard down is an empty result with a
notice, never an error page.
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import replace
from html import escape

import numpy as np
import orjson

from search.analysis import news_analyzer
from search.cluster import connection as sql
from search.cluster.connection import EntryPoints, NodeDown
from search.cluster.documents import ALIAS_KIND, FACET_NUMBER, UNDATED_DAY, doc_id, facet_word_of, value_hash
from search.cluster.match import CompiledMatch, MatchCompiler
from search.cluster.pointer import LiveGeneration, PointerReader
from search.cluster.spec import DIST_ARTICLES, DIST_NAMES, ClusterSpec
from search.cluster.vocabulary import TermReader
from search.cursor import Cursor, request_cursor
from search.engine.interface import SearchEngine
from search.engine.ranking import ANY_WORD_BELOW
from search.engine.searcher import (
    ARTICLE_VERSIONS_LISTED,
    VERSIONS_LISTED,
    any_word_notice,
    article_view,
    canonical_selection,
    describe_any,
    make_hit,
)
from search.engine.suggest import suggest
from search.entities.places import canonical_value  # the same shapes and words
from search.facet_registry import FACET_FIELDS
from search.index.columns import NO_DAY, date_histogram
from search.index.schema import FIELD_BOOSTS, StoredArticle
from search.query.parse import QuerySyntaxError, clean, describe, has_fallback, parse, plain_words, query_text
from search.results import (
    ArticleView,
    BadRequest,
    FacetValue,
    Hit,
    SearchRequest,
    SearchResult,
    Version,
    visible_values,
)
from search.settings import Limits, Settings
from search.snippets import mark_all

WEIGHTS = ", ".join(f"{name}={max(1, round(boost))}" for name, boost in FIELD_BOOSTS.items())
RANKING = f"ranker=proximity_bm25, field_weights=({WEIGHTS})"
RELATED_TERMS = 12


class ClusterUnavailable(RuntimeError):
    """No generation has been published yet, or no node answers."""


class ClusterSearch:
    """SearchEngine over a cluster's distributed indexes; safe to share between threads."""

    def __init__(self, spec: ClusterSpec, limits: Limits | None = None, refresh_interval: float = 1.0) -> None:
        self.spec = spec
        self.limits = limits if limits is not None else Settings.from_env().limits
        self.entry = EntryPoints(spec.entry_points)
        self.pointer = PointerReader(spec)
        self.analyzer = news_analyzer()
        self.refresh_interval = refresh_interval
        self._live: LiveGeneration | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._bounds: dict[str, int] = {}
        self._terms: tuple[LiveGeneration, TermReader] | None = None
        self._agents = {f"{n.host}:{n.api_port}": n for n in spec.nodes}

    @classmethod
    def open(cls, spec: ClusterSpec, limits: Limits | None = None) -> ClusterSearch:
        engine = cls(spec, limits)
        engine.refresh()
        if engine._live is None:
            raise ClusterUnavailable(
                f"the search cluster {spec.path} has no index yet: run dateline reindex --engine {spec.path}"
            )
        return engine

    # -- generations ----------------------------------------------------------------------

    def refresh(self) -> bool:
        live = self.pointer.read()
        with self._lock:
            changed = live != self._live
            if changed and live is not None:
                self._bounds = self._group_bounds(live)
            self._live, self._checked = live, time.monotonic()
        return changed

    def _group_bounds(self, live: LiveGeneration) -> dict[str, int]:
        """Per facet (and "day"), more than its distinct values in the generation: the FACET limit
        (and max_matches) that make its counts exact, capped by the cluster file's max_matches. A
        larger limit than needed costs memory and time on every query of every shard."""
        cap = self.spec.max_matches
        sets, _ = self.entry.query_sets(
            f"SELECT kind, COUNT(*) AS n FROM {DIST_NAMES.format(slot=live.slot)} GROUP BY kind LIMIT 100"
        )
        names = {int(kind): int(n) for kind, n in sets[0]}  # shards may repeat a name: an upper bound
        sets, _ = self.entry.query_sets(
            f"SELECT day FROM {DIST_ARTICLES.format(slot=live.slot)} GROUP BY day "
            f"LIMIT {cap} OPTION max_matches = {cap}"
        )
        bounds = {name: min(cap, names.get(number, 0) + 1) for name, number in FACET_NUMBER.items()}
        bounds["day"] = min(cap, len(sets[0]) + 1)
        # Groups of two or more wire copies: a GROUP BY's count of groups is exact only within max_matches.
        self.entry.query_sets(
            f"SELECT grp FROM {DIST_ARTICLES.format(slot=live.slot)} WHERE copies > 1 GROUP BY grp "
            f"LIMIT 1 OPTION max_matches = {cap}"
        )
        sets, _ = self.entry.query_sets("SHOW META")
        bounds["copies"] = min(cap, _total_found(sets[0]) + 1)
        return bounds

    def _slot(self) -> str:
        return self._generation()[0].slot

    def _generation(self) -> tuple[LiveGeneration, dict[str, int]]:
        """The live slot and its facet bounds, read together: a request uses one generation throughout."""
        if time.monotonic() - self._checked > self.refresh_interval:
            try:
                self.refresh()
            except (NodeDown, sql.Error):
                pass  # keep the last known generation; the search itself says what is wrong
        with self._lock:
            live, bounds = self._live, self._bounds
        if live is None:
            raise ClusterUnavailable(f"the search cluster {self.spec.path} has no index yet")
        return live, bounds

    def close(self) -> None:
        self.entry.close()
        self.pointer.close()

    def __enter__(self) -> ClusterSearch:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- queries --------------------------------------------------------------------------

    def _query(self, sql_text: str, args: list[object], missing: set[str]) -> list[list[tuple]]:
        """Runs a statement; when a shard that has mirrors did not answer, runs it again (searchd
        does not retry on another mirror: its next pick, `nodeads`, avoids the dead one)."""
        retries = 2 * max(len(replicas) for replicas in self.spec.shards)
        for attempt in range(retries + 1):
            sets, warnings = self.entry.query_sets(sql_text, args)
            failed = {shard for warning in warnings for shard in self._shards_named(warning)}
            if not any(len(self.spec.shards[shard]) > 1 for shard in failed) or attempt == retries:
                missing.update(self._describe(shard) for shard in failed)
                return sets
        raise AssertionError("unreachable")

    def _describe(self, shard: int) -> str:
        return f"shard {shard} ({', '.join(n.address for n in self.spec.shards[shard])})"

    def _shards_named(self, warning: str) -> set[int]:
        found = set()
        for address in re.findall(r"agent ([\w.\-]+:\d+)", warning):
            node = self._agents.get(address)
            if node is not None and node.shard is not None:
                found.add(node.shard)
        return found

    def names(self, field: str, words: list[str], prefix: bool, slot: str | None = None) -> list[int]:
        text = " ".join(words) + ("*" if prefix else "")
        phrase = f'@words "{text}"' if len(words) > 1 else f"@words {text}"
        sets = self._query(
            f"SELECT id FROM {DIST_NAMES.format(slot=slot or self._slot())} WHERE MATCH(%s) AND kind = %s "
            f"LIMIT 1000 OPTION max_matches = 1000",
            [phrase, FACET_NUMBER[field]],
            set(),
        )
        return [int(row[0]) for row in sets[0]]

    def labels(self, hashes: set[int], slot: str | None = None) -> dict[int, str]:
        """Facet value hash -> the value as shown (aliases are not values: left out)."""
        return {h: label for h, (kind, label) in self._names_rows(hashes, slot).items() if kind != ALIAS_KIND}

    def values(self, field: str, typed: list[str], slot: str | None = None) -> dict[str, int | None]:
        """Each value as typed -> the hash of the value it is in the generation: itself, or for a
        form the person name map shows as another value (an alias), that value; None if unknown."""
        hashes = {v: value_hash(field, v) for v in typed}
        rows = self._names_rows(set(hashes.values()), slot)
        out: dict[str, int | None] = {}
        for value, h in hashes.items():
            kind, label = rows.get(h, (None, ""))
            if kind == FACET_NUMBER[field]:
                out[value] = h
            elif kind == ALIAS_KIND and field == "person":
                out[value] = value_hash(field, label)
            else:
                out[value] = None
        return out

    def _names_rows(self, hashes: set[int], slot: str | None) -> dict[int, tuple[int, str]]:
        found: dict[int, tuple[int, str]] = {}
        ordered = sorted(hashes)
        for start in range(0, len(ordered), 5000):
            chunk = ordered[start : start + 5000]
            sets = self._query(
                f"SELECT id, kind, label FROM {DIST_NAMES.format(slot=slot or self._slot())} "
                f"WHERE id IN ({','.join(map(str, chunk))}) LIMIT {len(chunk)} "
                f"OPTION max_matches = {max(len(chunk), 1)}",
                [],
                set(),
            )
            found.update((int(i), (int(kind), str(label))) for i, kind, label in sets[0])
        return found

    # -- the seam -------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        return self._run(request)

    def export(self, request: SearchRequest, limit: int) -> SearchResult:
        """Up to `limit` hits in the search's order (after its cursor, if any), without snippets or facets."""
        return self._run(replace(request, snippets=False), export=max(1, limit))

    def _run(self, request: SearchRequest, export: int = 0) -> SearchResult:
        started = time.perf_counter()
        request.validate()
        try:
            result = _ClusterQuery(self, request).run(export)
        except (NodeDown, ClusterUnavailable) as error:
            result = _empty(request, f"The search cluster did not answer: {error}")
        except sql.Error as error:
            if sql.is_connection_error(error) or "all agents failed" in str(error) or "agent" in str(error):
                result = _empty(request, f"The search cluster did not answer: {_message(error)}")
            else:
                raise
        return replace(result, took_ms=round((time.perf_counter() - started) * 1000, 2))

    def suggest(self, q: str) -> str | None:
        return self.search(SearchRequest(q=q, page_size=1, facet_limit=1, snippets=False)).suggestion

    def terms(self, live: LiveGeneration) -> TermReader:
        """The generation's terms for spelling suggestions (search.cluster.vocabulary), one reader
        per generation: suggest() caches what it reads of one by its first letters."""
        with self._lock:
            found = self._terms
            if found is None or found[0] != live:
                reader = TermReader(
                    lambda text, args: self._query(text, args, set())[0], live.slot, self.spec.max_matches
                )
                found = self._terms = (live, reader)
        return found[1]

    def article(self, article_id: str) -> ArticleView | None:
        """The article with its people as the name map shows them (its `person` attribute)."""
        slot = self._slot()
        found = self._row(article_id, slot)
        if found is None:
            return None
        stored, people, group = found
        labels = self.labels(set(people), slot)
        rows = self._query(
            f"SELECT doc FROM {DIST_ARTICLES.format(slot=slot)} WHERE grp = %s AND id != %s AND copies > 1 "
            f"ORDER BY dated DESC, ts DESC, id ASC LIMIT {ARTICLE_VERSIONS_LISTED} "
            f"OPTION max_matches = {ARTICLE_VERSIONS_LISTED}",
            [group, doc_id(article_id)],
            set(),
        )
        versions = [_version(doc) for (doc,) in rows[0]]
        return article_view(stored, sorted((labels[h] for h in people if h in labels), key=str.casefold), versions)

    def marked_body(self, article_id: str, q: str) -> list[str] | None:
        """The article's paragraphs, escaped, with the query's words marked as a search marks them."""
        stored = self._stored(article_id)
        if stored is None:
            return None
        text = clean(q[: self.limits.max_query_length])
        try:
            node = parse(text)
        except (QuerySyntaxError, RecursionError):
            node = plain_words(text)
        try:
            terms = MatchCompiler(self.analyzer, self.names).compile(node).highlight
        except BadRequest:  # a query the cluster refuses marks its plain words
            terms = MatchCompiler(self.analyzer, self.names).compile(plain_words(text)).highlight
        if not terms:
            return [escape(p) for p in stored.paragraphs]
        return [mark_all(p, terms, self.analyzer) for p in stored.paragraphs]

    def _stored(self, article_id: str) -> StoredArticle | None:
        found = self._row(article_id, self._slot())
        return found[0] if found is not None else None

    def _row(self, article_id: str, slot: str) -> tuple[StoredArticle, list[int], int] | None:
        """The stored article, its person values as indexed (the name map's) and its group of copies."""
        sets = self._query(
            f"SELECT doc, person, grp FROM {DIST_ARTICLES.format(slot=slot)} WHERE id = %s LIMIT 1",
            [doc_id(article_id)],
            set(),
        )
        if not sets[0]:
            return None
        doc, people, group = sets[0][0]
        stored = StoredArticle.from_stored(orjson.loads(doc))
        return (stored, sql.mva(people), int(group)) if stored.id == article_id else None

    def related(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Articles sharing this one's most frequent words, people and places; never itself."""
        slot = self._slot()
        found = self._row(article_id, slot)
        if found is None or limit < 1:
            return []
        stored, people, _ = found
        counts: dict[str, int] = {}
        for text, weight in ((stored.title, 3), (stored.body, 1)):
            for token in self.analyzer(text):
                counts[token.text] = counts.get(token.text, 0) + weight
        words = sorted(counts, key=lambda w: -counts[w])[:RELATED_TERMS]
        facets = [*map(facet_word_of, people), *(facet_word_of(value_hash("place", v)) for v in stored.facets["place"])]
        parts = [f"(@(title,subtitle,body) {' | '.join(words)})"] if words else []
        if facets:
            parts.append(f"(@facets {' | '.join(facets)})")
        if not parts:
            return []
        sets = self._query(
            f"SELECT doc, WEIGHT() AS w FROM {DIST_ARTICLES.format(slot=slot)} "
            f"WHERE MATCH(%s) AND id != %s ORDER BY w DESC, id ASC LIMIT {limit} OPTION {RANKING}",
            [" | ".join(parts), doc_id(article_id)],
            set(),
        )
        return [
            make_hit(StoredArticle.from_stored(orjson.loads(doc)), set(), self.analyzer, float(w), True)
            for doc, w in sets[0]
        ]


def _message(error: BaseException) -> str:
    args: tuple = tuple(getattr(error, "args", ()))
    return str(args[1] if len(args) > 1 else error).strip().rstrip("\x00")


class _ClusterQuery:
    """One search request against the live generation."""

    def __init__(self, engine: ClusterSearch, request: SearchRequest) -> None:
        self.engine = engine
        self.request = request
        self.live, self.bounds = engine._generation()
        self.slot = self.live.slot
        self.index = DIST_ARTICLES.format(slot=self.slot)
        self.notices: list[str] = []
        self.missing: set[str] = set()
        self.interpreted_as: str | None = None
        self.compiler = MatchCompiler(
            engine.analyzer,
            lambda field, words, prefix: engine.names(field, words, prefix, self.slot),
            lambda field, value: engine.values(field, [value], self.slot)[value],
        )
        self.facet_totals: dict[str, int] = {}
        self.export = 0
        # Selected values with their canonical spelling first (country "USA" -> "United States"),
        # each alias said in a notice, as the embedded engine does.
        self.searched = {
            name: canonical_selection(name, values, self.notices) for name, values in request.selections().items()
        }
        self.shown = {
            name: tuple(dict.fromkeys(canonical_value(name, v) or v for v in values))
            for name, values in request.selections().items()
        }
        self.cap = engine.spec.max_matches
        self.hashes: dict[str, dict[str, int]] = {}  # per selected facet: value as typed -> its hash
        self.next_cursor: str | None = None
        self.suggestion: str | None = None

    def _selected_hashes(self) -> None:
        """Selected people typed as a form the name map shows as another value select that value."""
        for name in self.searched:
            typed = list(dict.fromkeys([*self.searched[name], *self.shown[name]]))
            found = self.engine.values(name, typed, self.slot) if name == "person" else {}
            self.hashes[name] = {v: found.get(v) or value_hash(name, v) for v in typed}

    def run(self, export: int = 0) -> SearchResult:
        """The result; with `export`, up to that many hits from the first (or after the cursor),
        without snippets, facets or listed copies."""
        self.export = export
        self._selected_hashes()
        text = self._query_text()
        node = self._parse(text)
        compiled = self.compiler.compile(node)
        if node is not None and not compiled.searchable and compiled.days is None:
            self.notices.append("The query has only very common words, which are not indexed; type other words.")
            return self._result(0, [], {name: [] for name in FACET_FIELDS}, np.zeros(0, dtype=np.int64))
        compiled, all_words = self._read(node, compiled)
        if all_words is not None:
            self.interpreted_as = describe_any(node)
            self.notices.append(any_word_notice(all_words))
        hits, total, groups = self._hits(compiled)
        if export:
            return self._result(total, hits, {}, np.zeros(0, dtype=np.int64), groups)
        facets, days = self._facets(compiled)
        if node is not None:  # suggest() returns at once when every word is in the archive
            self.suggestion = suggest(
                self.engine.terms(self.live),
                node,
                text,
                total,
                self._count_text,
                self.engine.analyzer,
                fell_back=all_words is not None,
            )
        return self._result(total, hits, facets, days, groups)

    def _read(self, node, compiled: CompiledMatch) -> tuple[CompiledMatch, int | None]:
        """All the words; or, when that finds fewer than ANY_WORD_BELOW articles under the filters
        and reading the words as alternatives finds more, any of them (with the count of all)."""
        if node is None or not has_fallback(node):
            return compiled, None
        total = self._count(compiled)
        if total < ANY_WORD_BELOW:
            fallback = self.compiler.compile(node, any_word=True)
            if fallback.match is not None and self._count(fallback) > total:
                return fallback, total
        return compiled, None

    def _count_text(self, text: str) -> tuple[int, bool]:
        """Hits of another query text under the same filters, and whether it was read as any word."""
        try:
            node = parse(text)
        except QuerySyntaxError:
            node = plain_words(text)
        try:
            compiled = self.compiler.compile(node)
        except BadRequest:
            return 0, False
        if node is None or (not compiled.searchable and compiled.days is None):
            return 0, False
        compiled, all_words = self._read(node, compiled)
        return self._count(compiled), all_words is not None

    def _result(
        self, total: int, hits: list[Hit], facets: dict[str, list[FacetValue]], days: np.ndarray, groups: int = 0
    ) -> SearchResult:
        """`days`: each matching article's day number, NO_DAY for the undated."""
        request = self.request
        max_page_size = self.engine.limits.max_page_size
        page_size = min(request.page_size, max_page_size)
        if page_size < request.page_size:
            self.notices.append(f"At most {max_page_size} results are shown per page.")
        listed = groups if request.collapse else total
        extra: dict = {}
        if self.missing:
            missing = sorted(self.missing)
            extra["missing_shards"] = missing
            self.notices.append(
                f"Part of the archive did not answer ({'; '.join(missing)}): "
                "the results and counts leave out its articles."
            )
        return SearchResult(
            query=request.q,
            interpreted_as=self.interpreted_as,
            notice=" ".join(self.notices) or None,
            total=total,
            page=request.page,
            page_size=page_size,
            pages=math.ceil(listed / page_size) if listed else 0,
            sort=request.sort,
            results=hits,
            facets=facets,
            dates=date_histogram(days),
            suggestion=self.suggestion,
            facet_totals=self.facet_totals,
            extra=extra,
            next_cursor=self.next_cursor,
            groups=groups,
            collapse=request.collapse,
        )

    # -- the query text -------------------------------------------------------------------

    def _query_text(self) -> str:
        text, notices = query_text(self.request.q or "", self.engine.limits.max_query_length)
        self.notices.extend(notices)
        return text

    def _parse(self, text: str):
        try:
            return parse(text)
        except (QuerySyntaxError, RecursionError) as error:
            node = plain_words(text)
            self.interpreted_as = describe(node) or None
            self.notices.append(f"Could not read the query as search syntax ({error}); searched for its words instead.")
            return node

    # -- SQL ------------------------------------------------------------------------------

    def _where(self, compiled: CompiledMatch, leave_out: str | None = None) -> tuple[str, list[object]]:
        clauses: list[str] = []
        args: list[object] = []
        if compiled.match is not None:
            clauses.append("MATCH(%s)")
            args.append(compiled.match)
        low, high = compiled.days if compiled.days else (None, None)
        request = self.request
        if request.date_from is not None:
            low = max(low, _day(request.date_from)) if low is not None else _day(request.date_from)
        if request.date_to is not None:
            high = min(high, _day(request.date_to)) if high is not None else _day(request.date_to)
        if request.undated and low is None and high is None and compiled.days is None:
            clauses.append("dated = 0")  # only articles without a date (SearchRequest refuses it with from/to)
        elif low is not None or high is not None or compiled.days is not None:
            clauses.append("dated = 1")
            if low is not None:
                clauses.append(f"day >= {int(low)}")
            if high is not None:
                clauses.append(f"day <= {int(high)}")
        for name, values in self.searched.items():
            if name == leave_out:
                continue
            hashes = sorted({self.hashes[name][v] for v in values})
            clauses.append(f"{name} IN ({','.join(map(str, hashes))})")
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    def _count(self, compiled: CompiledMatch) -> int:
        where, args = self._where(compiled)
        rows = self._query(f"SELECT COUNT(*) AS n FROM {self.index}{where}", args)[0]
        return int(rows[0][0] or 0) if rows else 0

    def _query(self, text: str, args: list[object]) -> list[list[tuple]]:
        return self.engine._query(text, args, self.missing)

    def _cursor(self) -> Cursor | None:
        """The request's cursor, checked against this generation and this search's sort."""
        return request_cursor(self.request, self.version)

    @property
    def version(self) -> str:
        return f"cluster {self.live.slot}/{self.live.generation}"

    def _hits(self, compiled: CompiledMatch) -> tuple[list[Hit], int, int]:
        """One page of the result list, the articles that match and their groups of wire copies; sets
        next_cursor. Folded (collapse), the list holds the first article of each group (GROUP BY grp:
        a group lives on one shard, so each shard's best of a group is the cluster's) and a cursor is a
        position in it, checked against the hit before it. Unfolded, a cursor is the last hit's sort
        key (its weight, or its time; None undated) and id, and the page after it a filter on those:
        a deep page costs what the first one does."""
        request = self.request
        cursor = self._cursor()
        page_size = self.export or min(request.page_size, self.engine.limits.max_page_size)
        first = 0 if self.export else (request.page - 1) * page_size
        where, args = self._where(compiled)
        scored = compiled.match is not None and request.sort == "relevance"
        if scored:
            order = "w DESC, id ASC"
        elif request.sort == "oldest":
            order = "dated DESC, ts ASC, id ASC"
        else:
            order = "dated DESC, ts DESC, id ASC"
        columns = f"doc, {'WEIGHT()' if compiled.match is not None else '0'} AS w, dated, ts, id, grp, copies"
        if request.collapse:
            first = int(cursor.key or 0) if cursor is not None else first
            before = 1 if cursor is not None and first > 0 else 0  # the cursor's own hit, to check it
            rows = self._query(
                f"SELECT {columns} FROM {self.index}{where} GROUP BY grp "
                f"WITHIN GROUP ORDER BY {order} ORDER BY {order} LIMIT {first - before}, {page_size + before} "
                f"OPTION max_matches = {max(first + page_size, 1)}, {RANKING}",
                args,
            )[0]
            total, groups = self._totals(where, args)
            listed = groups
            if before:
                if not rows or _article_id(rows[0]) != cursor.id:  # type: ignore[union-attr]
                    raise BadRequest(
                        "this cursor does not belong to this search; pass it with the parameters of the "
                        "search that returned it",
                        "cursor",
                    )
                rows = rows[1:]
            if rows and first + len(rows) < listed:
                key: int | None = first + len(rows)
                self.next_cursor = Cursor(self.version, request.sort, True, key, _article_id(rows[-1])).encode()
        else:
            after_where = where
            select = columns
            if cursor is not None:
                select += f", IF({_after(cursor, scored, request.sort)}, 1, 0) AS after"
                after_where = f"{where} AND after = 1" if where else " WHERE after = 1"
                first = 0
            rows = self._query(
                f"SELECT {select} FROM {self.index}{after_where} ORDER BY {order} "
                f"LIMIT {first}, {page_size} OPTION max_matches = {max(first + page_size, 1)}, {RANKING}",
                args,
            )[0]
            after = _total_found(self._query("SHOW META", [])[0]) if cursor is not None else None
            total, groups = self._totals(where, args)
            rest = total if after is None else after  # the hits from the cursor on
            if rows and first + len(rows) < rest:
                _, w, dated, ts = rows[-1][:4]
                key = int(w) if scored else (int(ts) if int(dated) else None)
                self.next_cursor = Cursor(self.version, request.sort, False, key, _article_id(rows[-1])).encode()
        # Counted apart: a GROUP BY's counts are exact only for groups it never dropped from max_matches.
        copies = self._copies(where, args, {int(row[5]) for row in rows if int(row[6]) > 1})
        terms = compiled.highlight if compiled.match is not None else set()
        hits = []
        for row in rows:
            stored = StoredArticle.from_stored(orjson.loads(row[0]))
            grp, others = int(row[5]), copies.get(int(row[5]), 1) - 1
            versions = None
            if others > 0:
                listed_versions = [] if self.export else self._versions(where, args, grp, int(row[4]))
                versions = (others, listed_versions)
            score = float(row[1]) if scored else None
            hits.append(make_hit(stored, terms, self.engine.analyzer, score, request.snippets, versions))
        return hits, total, groups

    def _totals(self, where: str, args: list[object]) -> tuple[int, int]:
        """The matching articles, and their groups of wire copies (an article without copies is
        one): those without copies, and a GROUP BY of the others (SphinxQL counts a GROUP BY's
        groups exactly only within max_matches, which the generation's groups of copies bound)."""
        rows = self._query(f"SELECT COUNT(*) AS n, SUM(IF(copies = 1, 1, 0)) AS single FROM {self.index}{where}", args)
        total, single = (int(rows[0][0][0] or 0), int(rows[0][0][1] or 0)) if rows[0] else (0, 0)
        if total == single:
            return total, single
        joined = f"{where} AND" if where else " WHERE"
        limit = self._limit("copies")
        self._query(
            f"SELECT grp FROM {self.index}{joined} copies > 1 GROUP BY grp LIMIT 1 OPTION max_matches = {limit}", args
        )
        return total, single + _total_found(self._query("SHOW META", [])[0])

    def _copies(self, where: str, args: list[object], groups: set[int]) -> dict[int, int]:
        """Matching articles per group, for these groups."""
        if not groups:
            return {}
        joined = f"{where} AND" if where else " WHERE"
        rows = self._query(
            f"SELECT grp, COUNT(*) AS n FROM {self.index}{joined} grp IN ({','.join(map(str, sorted(groups)))}) "
            f"GROUP BY grp LIMIT {len(groups)} OPTION max_matches = {len(groups)}",
            args,
        )[0]
        return {int(grp): int(n) for grp, n in rows}

    def _versions(self, where: str, args: list[object], grp: int, row_id: int) -> list[Version]:
        """The first VERSIONS_LISTED other matching articles of a group, newest first."""
        joined = f"{where} AND" if where else " WHERE"
        rows = self._query(
            f"SELECT doc FROM {self.index}{joined} grp = {grp} AND id != {row_id} "
            f"ORDER BY dated DESC, ts DESC, id ASC LIMIT {VERSIONS_LISTED} OPTION max_matches = {VERSIONS_LISTED}",
            args,
        )[0]
        return [_version(doc) for (doc,) in rows]

    def _facets(self, compiled: CompiledMatch) -> tuple[dict[str, list[FacetValue]], np.ndarray]:
        selections = self.request.selections()
        together = [name for name in FACET_FIELDS if name not in selections]
        counts: dict[str, list[tuple[int, int]]] = {}
        where, args = self._where(compiled)
        sets = self._query(self._facet_sql(where, [*together, "day"]), args)
        for name, rows in zip(together, sets[1:]):
            counts[name] = [(int(v), int(c)) for v, c in rows]
        day_rows = sets[-1]
        for name in selections:
            where, args = self._where(compiled, leave_out=name)
            counts[name] = [(int(v), int(c)) for v, c in self._query(self._facet_sql(where, [name]), args)[1]]
        if any(len(rows) >= self._limit(name) for name, rows in [*counts.items(), ("day", day_rows)]):
            self.notices.append(
                f"A facet has more than {self.cap} values: raise max_matches in the cluster file "
                f"({self.engine.spec.path}) for exact counts."
            )
        # Undated articles are counted as such by the histogram (NO_DAY), never in a bar.
        day_counts = [(NO_DAY if int(d) == UNDATED_DAY else int(d), int(c)) for d, c in day_rows]
        days = np.repeat(np.array([d for d, _ in day_counts], dtype=np.int64), [c for _, c in day_counts])
        return self._facet_values(counts), days

    def _limit(self, name: str) -> int:
        return self.bounds.get(name, self.cap)

    def _facet_sql(self, where: str, names: list[str]) -> str:
        """One row of hits (unused) and a FACET per name, each limited above its distinct values."""
        limit = max(self._limit(name) for name in names)
        facets = "".join(f" FACET {name} ORDER BY COUNT(*) DESC LIMIT {self._limit(name)}" for name in names)
        return f"SELECT id FROM {self.index}{where} LIMIT 1 OPTION max_matches = {limit}{facets}"

    def _facet_values(self, counts: dict[str, list[tuple[int, int]]]) -> dict[str, list[FacetValue]]:
        """As the embedded engine lists them (search.index.columns.top_values): by count, then name;
        the first `facet_limit` (the expanded facet: `expanded_facet_values` of those containing
        `facet_q`) and every selected value, a selected value unknown here at 0. Sets facet_totals."""
        request = self.request
        candidates: dict[str, list[tuple[int, int]]] = {}
        selected: dict[str, dict[int, str]] = {}
        limits: dict[str, int] = {}
        for name in FACET_FIELDS:
            rows = counts.get(name, [])
            selected[name] = {self.hashes[name][v]: v for v in self.shown.get(name, ())}
            limit = limits[name] = (
                self.engine.limits.expanded_facet_values if name == request.expand else request.facet_limit
            )
            if name == request.expand and request.facet_q.strip():
                needle = " ".join(request.facet_q.split()).casefold()
                named = self.engine.labels({v for v, _ in rows}, self.slot)
                rows = [r for r in rows if needle in " ".join(named.get(r[0], "").split()).casefold()]
            self.facet_totals[name] = len(rows)
            if 0 < limit < len(rows):
                boundary = rows[limit - 1][1]  # rows come by count: keep all tied with the last shown
                rows = [r for r in rows if r[1] >= boundary or r[0] in selected[name]]
            candidates[name] = rows
        labels = self.engine.labels(
            {v for rows in candidates.values() for v, _ in rows} | {h for chosen in selected.values() for h in chosen},
            self.slot,
        )
        out: dict[str, list[FacetValue]] = {}
        for name, rows in candidates.items():
            listed = sorted(
                (FacetValue(labels.get(v, f"#{v}"), c, v in selected[name]) for v, c in rows),
                key=lambda f: (-f.count, f.value.casefold()),
            )
            counted = {v for v, _ in rows}
            listed += [
                FacetValue(labels.get(h, typed), 0, True) for h, typed in selected[name].items() if h not in counted
            ]
            out[name] = visible_values(listed, limits[name])
        return out


def _day(when) -> int:
    from search.index.columns import day_number

    return day_number(when)


def _after(cursor: Cursor, scored: bool, sort: str) -> str:
    """The SphinxQL condition of the rows that come after the cursor's in the order of `_hits`."""
    row_id = doc_id(cursor.id)
    if scored:
        key = int(cursor.key or 0)
        return f"WEIGHT() < {key} OR (WEIGHT() = {key} AND id > {row_id})"
    if cursor.key is None:  # undated come last, by id
        return f"dated = 0 AND id > {row_id}"
    key = int(cursor.key)
    before = "<" if sort != "oldest" else ">"
    return f"dated = 0 OR ts {before} {key} OR (ts = {key} AND id > {row_id})"


def _article_id(row: tuple) -> str:
    return StoredArticle.from_stored(orjson.loads(row[0])).id


def _version(doc: str) -> Version:
    stored = StoredArticle.from_stored(orjson.loads(doc))
    return Version(stored.id, stored.title, stored.source, stored.published_iso)


def _total_found(rows: list[tuple]) -> int:
    for name, value in rows:
        if name == "total_found":
            return int(value)
    return 0


def _empty(request: SearchRequest, notice: str) -> SearchResult:
    from search.results import DateHistogram

    return SearchResult(
        query=request.q,
        interpreted_as=None,
        notice=notice,
        total=0,
        page=request.page,
        page_size=request.page_size,
        pages=0,
        sort=request.sort,
        results=[],
        facets={name: [] for name in FACET_FIELDS},
        dates=DateHistogram("year", []),
        suggestion=None,
        extra={"unavailable": True},
    )


def _conforms(engine: ClusterSearch) -> SearchEngine:
    return engine  # mypy checks that ClusterSearch implements the seam
