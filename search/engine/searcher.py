"""The search engine behind the web page, the JSON endpoint and `dateline search`.

    with Searcher.open(index_dir) as searcher:
        result = searcher.search(SearchRequest(q="oil prices", filters={"country": ("Kuwait",)}))

One Searcher serves many threads: each request takes the lock, so Whoosh's readers
(which share file handles) are never used by two threads at once; with the GIL the
searches would not run in parallel anyway. Facet arrays are built once per index
generation (search.index.columns) and rebuilt by `refresh()` when a reindex publishes.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field, replace
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import query as wq

from search.analysis import news_analyzer
from search.article import printable
from search.cursor import Cursor, request_cursor
from search.engine import feedback, proximity, ranking
from search.engine.evaluate import Evaluator, RequestEvaluator
from search.engine.ranking import ANY_WORD_BELOW
from search.engine.suggest import suggest
from search.entities.places import alias_notice, canonical_value
from search.facet_registry import FACETS_BY_NAME
from search.index import duplicates
from search.index.columns import NO_DAY, NO_TIME, Collection, cached_collection, date_histogram, top_values
from search.index.schema import FACET_FIELDS, TEXT_FIELDS, StoredArticle
from search.index.store import IndexMissing, live_version, open_live_index
from search.query.compile import Compiler
from search.query.parse import (
    Adjacent,
    QuerySyntaxError,
    clean,
    describe,
    has_fallback,
    is_fixed,
    parse,
    plain_words,
    query_text,
)
from search.results import ArticleView, BadRequest, FacetValue, Hit, SearchRequest, SearchResult, Version
from search.settings import Limits, Settings
from search.snippets import lead, mark_all, snippets

__all__ = ["Searcher", "IndexMissing"]

VERSIONS_LISTED = 10  # other versions listed with a hit (all are counted)
ARTICLE_VERSIONS_LISTED = 100  # other versions listed on an article's page
RELATED_TERMS = 12
# With collapse, a relevance page takes this many times the hits it shows from the top of the
# order before folding wire copies (all of them when that holds too few groups).
TOP_K_GROUP_SLACK = 4


@dataclass
class _Generation:
    """Everything opened for one version of the index."""

    version: str | None
    index: Any  # whoosh.index.Index
    searcher: Any  # whoosh.searching.Searcher
    collection: Collection
    offsets: dict[int, int]
    compiler: Compiler
    evaluator: Evaluator  # match sets and scores of queries, with numpy
    group: np.ndarray  # group number of wire copies per docnum (search.index.duplicates.group_numbers)

    def close(self) -> None:
        self.searcher.close()

    def stored(self, docnum: int) -> StoredArticle:
        return StoredArticle.from_stored(self.searcher.stored_fields(docnum))


class Searcher:
    def __init__(self, index_dir: Path, any_word_below: int = ANY_WORD_BELOW, limits: Limits | None = None) -> None:
        self.index_dir = Path(index_dir)
        # The limits the front ends refuse beyond (DATELINE_MAX_*); here a request beyond them is
        # clamped, with a notice.
        self.limits = limits if limits is not None else Settings.from_env().limits
        # Below this many all-word matches, side-by-side words are read as any word (1: only
        # when no article has them all, which is how the query language alone reads them).
        self.any_word_below = any_word_below
        self.analyzer = news_analyzer()
        self._lock = threading.RLock()
        self._generation: _Generation | None = None
        self._checked = 0.0

    # -- lifecycle ------------------------------------------------------------------------

    @classmethod
    def open(
        cls, index_dir: Path | str, any_word_below: int = ANY_WORD_BELOW, limits: Limits | None = None
    ) -> Searcher:
        """Raises IndexMissing (message: "no index at X: run dateline reindex") when there is none."""
        searcher = cls(Path(index_dir), any_word_below, limits)
        searcher._generation = searcher._load()
        return searcher

    def _load(self) -> _Generation:
        version = live_version(self.index_dir)
        try:
            index = open_live_index(self.index_dir)
        except IndexMissing:
            raise IndexMissing(f"no index at {self.index_dir}: run dateline reindex") from None
        whoosh_searcher = index.searcher(weighting=ranking.weighting())
        collection = cached_collection(whoosh_searcher.reader(), Path(index.storage.folder))
        offsets = {id(leaf): offset for leaf, offset in whoosh_searcher.leaf_searchers()}
        compiler = Compiler(whoosh_searcher.reader(), collection, offsets, self.analyzer)
        evaluator = Evaluator(whoosh_searcher, collection.live)
        group = duplicates.group_numbers(collection.ids, duplicates.load_groups(Path(index.storage.folder)))
        return _Generation(version, index, whoosh_searcher, collection, offsets, compiler, evaluator, group)

    def refresh(self) -> bool:
        """Reopens the index if a reindex changed it (cheap when it did not); True if it reopened."""
        version = live_version(self.index_dir)
        with self._lock:
            if self._generation is not None and version == self._generation.version:
                return False
            fresh = self._load()
            old, self._generation = self._generation, fresh
            if old is not None:
                old.close()
            return True

    def close(self) -> None:
        with self._lock:
            if self._generation is not None:
                self._generation.close()
                self._generation = None

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def doc_count(self) -> int:
        return int(self._current().collection.live.sum())

    def _current(self) -> _Generation:
        if self._generation is None:
            raise RuntimeError("the searcher is closed")
        return self._generation

    # -- search ---------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        started = time.perf_counter()
        request.validate()
        with self._lock:
            gen = self._current()
            search = _Search(self, gen, request)
            result = search.run()
        # Snippets read only the stored fields already in hand: made outside the lock, a long article's
        # snippets do not hold up the other threads' searches.
        hits = search.hits()
        took = round((time.perf_counter() - started) * 1000, 2)
        return replace(result, results=hits, took_ms=took)

    def export(self, request: SearchRequest, limit: int) -> SearchResult:
        """Up to `limit` hits of a search in its order (from its cursor, if any), without snippets,
        facets or listed versions: the rows of a CSV or JSON Lines export."""
        request = replace(request, page=1, page_size=max(1, limit), snippets=False, facet_limit=1)
        request.validate()
        with self._lock:
            search = _Search(self, self._current(), request, export=True)
            result = search.run()
        return replace(result, results=search.hits())

    def suggest(self, q: str) -> str | None:
        return self.search(SearchRequest(q=q, page_size=1, facet_limit=1, snippets=False)).suggestion

    def _stored(self, gen: _Generation, article_id: str) -> StoredArticle | None:
        docnum = gen.collection.docnum_of.get(article_id)
        return None if docnum is None else gen.stored(docnum)

    def article(self, article_id: str) -> ArticleView | None:
        with self._lock:
            gen = self._current()
            docnum = gen.collection.docnum_of.get(article_id)
            if docnum is None:
                return None
            stored = gen.stored(docnum)
            people = gen.collection.facets["person"].values_of(docnum)  # after the corpus-level name map
            versions = _versions_of(gen, docnum, gen.collection.live, ARTICLE_VERSIONS_LISTED)[1]
        return article_view(stored, people, versions)

    def marked_body(self, article_id: str, q: str) -> list[str] | None:
        with self._lock:
            gen = self._current()
            stored = self._stored(gen, article_id)
            terms = _highlight_terms(gen.compiler, q[: self.limits.max_query_length])
        if stored is None:
            return None
        if not terms:
            return [escape(p) for p in stored.paragraphs]
        return [mark_all(p, terms, self.analyzer) for p in stored.paragraphs]

    def related(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Articles like this one: its key words, and the people and places it shares. Never itself."""
        if limit < 1:
            return []
        with self._lock:
            gen = self._current()
            docnum = gen.collection.docnum_of.get(article_id)
            if docnum is None:
                return []
            s = gen.searcher
            stored = gen.stored(docnum)
            text = " ".join(filter(None, (stored.title, stored.subtitle, stored.body)))
            clauses: list[wq.Query] = []
            for term, weight in s.key_terms_from_text("body", text, numterms=RELATED_TERMS, normalize=True):
                clauses.append(wq.Or([wq.Term("title", term), wq.Term("body", term)], boost=weight))
            for name, boost in (("person", 0.5), ("place", 0.3)):
                for value in stored.facets[name]:
                    clauses.append(wq.Term(name, value.strip().lower(), boost=boost))
            if not clauses:
                return []
            query = wq.Or(clauses)
            scores = gen.evaluator.scores(query)
            if scores is None:
                best = [(h.docnum, h.score) for h in s.search(query, limit=limit, mask={docnum})]
            else:
                # The same ranking with numpy (search.engine.evaluate): Whoosh's matchers take 30-300 ms
                # over these ~30 clauses, and every article page asks for it.
                candidates = np.flatnonzero((scores > 0) & gen.collection.live)
                candidates = candidates[candidates != docnum]
                chosen = candidates[np.lexsort((candidates, -scores[candidates]))[:limit]]
                best = [(int(d), float(scores[d])) for d in chosen]
            return [make_hit(gen.stored(d), set(), self.analyzer, score, snippet=True) for d, score in best]


@dataclass
class _Reading:
    """How the words of a query were read: all of them, or any of them."""

    query: wq.Query
    base: np.ndarray  # the matching documents before filters
    any_word: bool = False
    all_words: int = 0  # articles with all the words, under the filters
    highlight: set[str] | None = None
    described: str | None = None


@dataclass(frozen=True)
class _Filters:
    """The request's filters over one generation: a mask per selected facet (its values ORed) and
    the date range, their intersection, and the value ids of each facet's selected values."""

    masks: dict[str, np.ndarray]
    narrow: np.ndarray  # live documents that pass every filter
    selected: dict[str, list[int]]
    notices: tuple[str, ...] = ()  # "place:Chattogram searched as Chittagong."
    shown: dict[str, tuple[str, ...]] = field(default_factory=dict)  # selected values, aliases as canonical

    @classmethod
    def of(cls, request: SearchRequest, collection: Collection) -> _Filters:
        masks: dict[str, np.ndarray] = {}
        selected: dict[str, list[int]] = {}
        notices: list[str] = []
        shown: dict[str, tuple[str, ...]] = {}
        for name, values in request.selections().items():
            column = collection.facets[name]
            searched = canonical_selection(name, values, notices)
            shown[name] = tuple(dict.fromkeys(canonical_value(name, v) or v for v in values))
            normalise = FACETS_BY_NAME[name].normalise  # as indexed: topic=Sports -> Sport
            ids = [i for i in (column.value_id(normalise(v) or v) for v in searched) if i is not None]
            selected[name] = list(dict.fromkeys(ids))
            masks[name] = column.docs_with(ids, collection.size)
        if request.date_from or request.date_to:
            masks["date"] = collection.day_mask(request.date_from, request.date_to)
        elif request.undated:
            masks["date"] = collection.day == NO_DAY
        narrow = collection.live.copy()
        for mask in masks.values():
            narrow &= mask
        return cls(masks, narrow, selected, tuple(notices), shown)


def canonical_selection(name: str, values: tuple[str, ...], notices: list[str]) -> list[str]:
    """The selected values with the canonical value before each other spelling of a place or
    country (the spelling stays too, for an index built before), each alias said in `notices`."""
    out: list[str] = []
    for value in values:
        canonical = canonical_value(name, value)
        if canonical is not None:
            notices.append(alias_notice(name, value, canonical))
            out.append(canonical)
        out.append(value)
    return out


class _Search:
    """One search request against one generation."""

    def __init__(self, owner: Searcher, gen: _Generation, request: SearchRequest, export: bool = False) -> None:
        self.owner = owner
        self.export = export  # many rows, no facets, no listed versions, no page-size cap
        self.gen = gen
        self.request = request
        self.collection = gen.collection
        self.evaluation: RequestEvaluator = gen.evaluator.request()  # remembers this request's phrase matches
        self.filters = _Filters.of(request, gen.collection)
        self.notices: list[str] = list(self.filters.notices)
        self.interpreted_as: str | None = None
        self.used_any_word = False  # the query was read as "any of the words"
        self.words_required = False  # plain words typed together, every one required
        self.highlight: set[str] | None = None  # index terms to mark in the hits
        # Each hit's stored article, score and other versions, in order.
        self.page: list[tuple[StoredArticle, float | None, tuple[int, list[Version]] | None]] = []

    def hits(self) -> list[Hit]:
        """The page's hits, made from the stored fields run() read (callers do it outside the lock)."""
        return [
            make_hit(
                stored, self.highlight, self.owner.analyzer, score, snippet=self.request.snippets, versions=versions
            )
            for stored, score, versions in self.page
        ]

    def run(self) -> SearchResult:
        request, collection = self.request, self.collection
        text = self._query_text()
        node = self._parse(text)
        compiled = self.gen.compiler.compile(node)
        self.notices.extend(compiled.notes)
        query = compiled.query
        highlight: set[str] | None = compiled.highlight

        narrow = self.filters.narrow
        if node is None:
            base = collection.live
        elif query is None:
            self.notices.append("The query has only very common words, which are not indexed; type other words.")
            base = np.zeros(collection.size, dtype=bool)
        else:
            reading = self._read(node, text, query, narrow)
            base, query = reading.base, reading.query
            self.words_required = has_fallback(node) and not reading.any_word
            if reading.any_word:
                highlight = reading.highlight
                self.used_any_word = True
                self.interpreted_as = reading.described
                self.notices.append(any_word_notice(reading.all_words))

        matched = base & narrow
        total = int(matched.sum())
        groups = count_groups(self.gen.group[matched])
        facets, facet_totals = ({}, {}) if self.export else self._facets(base)
        dates = date_histogram(collection.day[matched])
        max_page_size = request.page_size if self.export else self.owner.limits.max_page_size
        page_size = min(request.page_size, max_page_size)
        if page_size < request.page_size:
            self.notices.append(f"At most {max_page_size} results are shown per page.")
        listed = groups if request.collapse else total
        pages = math.ceil(listed / page_size) if listed else 0
        first = (request.page - 1) * page_size
        cursor = self._cursor()
        page = self._page(
            query if node is not None else None,
            matched,
            listed,
            first,
            page_size,
            filtered=bool(self.filters.masks),
            cursor=cursor,
        )
        s = self.gen.searcher
        versions = self._versions(page.docnums, matched)
        self.page = [(self.gen.stored(d), score, versions.get(d)) for d, score in zip(page.docnums, page.scores)]
        self.highlight = None if self.export else highlight
        suggestion = None
        if node is not None and not self.export:  # suggest() returns at once when every word is in the archive
            suggestion = suggest(
                s, node, text, total, self._count_text, self.owner.analyzer, fell_back=self.used_any_word
            )
        return SearchResult(
            query=request.q,
            interpreted_as=self.interpreted_as,
            notice=" ".join(self.notices) or None,
            total=total,
            page=request.page,
            page_size=page_size,
            pages=pages,
            sort=request.sort,
            results=[],  # the hits are made from self.page by the caller, outside the lock
            facets=facets,
            dates=dates,
            suggestion=suggestion,
            facet_totals=facet_totals,
            groups=groups,
            collapse=request.collapse,
            next_cursor=page.next_cursor,
        )

    def _cursor(self) -> Cursor | None:
        """The request's cursor, checked against this index version and this search."""
        return request_cursor(self.request, self.gen.version)

    # -- query --------------------------------------------------------------------------

    def _query_text(self) -> str:
        text, notices = query_text(self.request.q or "", self.owner.limits.max_query_length)
        self.notices.extend(notices)
        return text

    def _parse(self, text: str):
        try:
            node = parse(text)
        except QuerySyntaxError as error:
            node = plain_words(text)
            self.interpreted_as = describe(node) or None
            self.notices.append(f"Could not read the query as search syntax ({error}); searched for its words instead.")
            return node
        except RecursionError:
            node = plain_words(text)
            self.interpreted_as = describe(node) or None
            self.notices.append("The query is nested too deeply; searched for its words instead.")
            return node
        return node

    def _fallback(self, node, text: str):
        """The any-word reading of adjacent clauses, with its description."""
        fallback = self.gen.compiler.compile(node, any_word=True)
        if fallback.query is None:
            return None
        fallback.described = describe_any(node)
        return fallback

    def _docs(self, query: wq.Query) -> np.ndarray:
        """Mask of the documents matching a query, unscored."""
        return self.evaluation.mask(query)

    def _count_text(self, text: str) -> tuple[int, bool]:
        """Hits of another query text under the same filters, and whether it was read as any word."""
        try:
            node = parse(text)
        except QuerySyntaxError:
            node = plain_words(text)
        compiled = self.gen.compiler.compile(node)
        if compiled.query is None:
            return 0, False
        narrow = self.filters.narrow
        reading = self._read(node, text, compiled.query, narrow)
        return int((reading.base & narrow).sum()), reading.any_word

    def _read(self, node, text: str, query: wq.Query, narrow: np.ndarray) -> _Reading:
        """All the words; or, when that finds fewer than `any_word_below` articles under the
        filters and reading the words as alternatives finds more, any of them."""
        base = self._docs(query)
        reading = _Reading(query, base)
        if not has_fallback(node):
            return reading
        reading.all_words = int((base & narrow).sum())
        if reading.all_words >= self.owner.any_word_below:
            return reading
        fallback = self._fallback(node, text)
        if fallback is None:
            return reading
        any_base = self._docs(fallback.query)
        if int((any_base & narrow).sum()) <= reading.all_words:
            return reading  # the alternatives add nothing: keep the stricter reading
        reading.query, reading.base, reading.any_word = fallback.query, any_base, True
        reading.highlight, reading.described = fallback.highlight, fallback.described
        return reading

    # -- facets and filters ---------------------------------------------------------------

    def _facets(self, base: np.ndarray) -> tuple[dict[str, list[FacetValue]], dict[str, int]]:
        """Counts per facet under every filter but the facet's own, so siblings stay visible; and how
        many values each facet has in these results (the expanded one: those containing facet_q)."""
        out, totals = {}, {}
        request = self.request
        for name in FACET_FIELDS:
            column = self.collection.facets[name]
            mask = base.copy()
            for other, other_mask in self.filters.masks.items():
                if other != name:
                    mask &= other_mask
            counts = column.counts(mask)
            limit = request.facet_limit
            if name == request.expand:
                limit = self.owner.limits.expanded_facet_values
                if request.facet_q.strip():
                    counts = np.where(column.containing(request.facet_q), counts, 0)
            totals[name] = int(np.count_nonzero(counts))
            selected = self.filters.selected.get(name, [])
            out[name] = top_values(column, counts, selected, limit, self.filters.shown.get(name, ()))
        return out, totals

    # -- ranking and pages ------------------------------------------------------------------

    def _page(
        self,
        query: wq.Query | None,
        matched: np.ndarray,
        listed: int,
        first: int,
        size: int,
        filtered: bool,
        cursor: Cursor | None,
    ) -> _Page:
        """One page of the result list: after `cursor` when given, else from position `first`; with
        collapse, the list holds the first (best, newest) article of each group of wire copies."""
        if cursor is None and first >= listed:
            return _Page([], [])
        wanted = None if cursor else first + size  # hits needed from the top of the list
        # With collapse, more than that: wire copies fold into the first of their group.
        depth = None if wanted is None else wanted * (TOP_K_GROUP_SLACK if self.request.collapse else 1)
        ordered, keys = self._ordered(query, matched, filtered, depth)
        if self.request.collapse and len(ordered):
            ordered, keys = self._first_of_groups(ordered, keys)
            if wanted is not None and len(ordered) < min(wanted, listed):
                # The best matches held fewer groups than the page needs: order every match.
                ordered, keys = self._first_of_groups(*self._ordered(query, matched, filtered, None))
        if cursor is not None:
            first = self._after(cursor, ordered, keys)
        chosen = ordered[first : first + size]
        scores: list[float | None] = (
            [None] * len(chosen) if keys.dtype == np.int64 else [round(float(x), 4) for x in keys[first : first + size]]
        )
        next_cursor = None
        if len(chosen) and first + size < (listed if cursor is None else len(ordered)):
            last = first + len(chosen) - 1
            key: float | int | None = keys[last].item()
            if key == NO_TIME:
                key = None
            docnum = int(ordered[last])
            next_cursor = Cursor(
                str(self.gen.version), self.request.sort, self.request.collapse, key, str(self.collection.ids[docnum])
            ).encode()
        return _Page(chosen.tolist(), scores, next_cursor)

    def _first_of_groups(self, ordered: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The first (best, newest) article of each group of wire copies, in the list's order."""
        _, firsts = np.unique(self.gen.group[ordered], return_index=True)
        keep = np.sort(firsts)
        return ordered[keep], keys[keep]

    def _ordered(
        self, query: wq.Query | None, matched: np.ndarray, filtered: bool, limit: int | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The matched docnums in result order and each one's sort key: its score (float64) or its
        UTC time (int64, NO_TIME when undated). With `limit`, a relevance order may be only its
        first part, holding at least the first `limit`; None: every match."""
        sort = self.request.sort
        if query is None or sort != "relevance":
            docnums = np.flatnonzero(matched)
            times = self.collection.time[docnums]
            undated = times == NO_TIME
            # Newest (or oldest) first; undated articles last either way; docnum breaks ties.
            key = -times if sort != "oldest" else times
            if limit is not None and limit < len(docnums):
                # Only those that can be among the first `limit`: at or before the limit-th (ties kept).
                rank = np.where(undated, np.iinfo(np.int64).max, key)
                keep = rank <= np.partition(rank, limit - 1)[limit - 1]
                docnums, key, undated = docnums[keep], key[keep], undated[keep]
            ordered = docnums[np.lexsort((docnums, key, undated))]
            return ordered, self.collection.time[ordered]
        scores = self.evaluation.scores(query)
        if scores is not None:
            # Word queries: every match scored at once with numpy; best first, docnum breaks ties.
            docnums = np.flatnonzero(matched)
            ranked = scores[docnums]
            if self.used_any_word:  # a long question: its best hits' words join it (search.engine.feedback)
                ranked = self._with_feedback(query, docnums, ranked)
            if limit is not None:
                # At least the hits proximity reorders: its reordering of them is then that of every match.
                docnums, ranked = best_scored(docnums, ranked, max(limit, proximity.RERANK_DEPTH))
            order = np.lexsort((docnums, -ranked))
            docnums, ranked = docnums[order], ranked[order].astype(np.float64)
        else:
            allow = set(np.flatnonzero(matched).tolist()) if filtered else None
            depth = None if limit is None else max(limit, proximity.RERANK_DEPTH)
            results = self.gen.searcher.search(query, limit=depth, filter=allow)
            docnums = np.asarray([h.docnum for h in results], dtype=np.int64)
            ranked = np.asarray([h.score for h in results], dtype=np.float64)
        words = proximity.typed_words(query)
        return proximity.rerank(
            self.gen.searcher,
            docnums,
            ranked,
            words,
            as_typed_first=self.words_required,
            any_word=self.used_any_word,
            positions_at=self.evaluation.positions_at,
        )

    def _with_feedback(self, query: wq.Query, docnums: np.ndarray, ranked: np.ndarray) -> np.ndarray:
        """The matches' scores under RM3: the query's, and those of the words of its best hits (for
        the DEPTH best matches; search.engine.feedback)."""
        if feedback.WEIGHT <= 0:
            return ranked
        top, top_scores = feedback.best(docnums, ranked)
        texts = [self._analysed(docnum) for docnum in top.tolist()]
        model = feedback.relevance_model(texts, top_scores.tolist(), self._doc_frequency)
        if model is None:
            return ranked
        # The feedback words are scored for the best DEPTH matches only, reading just the posting blocks
        # that hold them; the others count them as 0, which keeps them in the query's order after those.
        places = feedback.best_places(docnums, ranked, feedback.DEPTH)
        head = np.sort(docnums[places])
        at_depth = self.evaluation.scores_at(model.query(), head)
        if at_depth is None:
            return ranked
        model_scores = np.zeros(len(docnums), dtype=np.float64)
        model_scores[places] = at_depth[np.searchsorted(head, docnums[places])]
        return feedback.rescored(ranked, model_scores, feedback.query_weight(query))

    def _analysed(self, docnum: int) -> list[str]:
        """The index terms of an article's text fields, in order."""
        stored = self.gen.stored(docnum)
        analyzer = self.owner.analyzer
        return [t.text for text in (stored.title, stored.subtitle, stored.body) for t in analyzer(text)]

    def _doc_frequency(self, word: str) -> int:
        """In how many articles a text field has the word (the most of any one field)."""
        s = self.gen.searcher
        return max(s.doc_frequency(field, word) for field in TEXT_FIELDS if field in s.schema)

    def _after(self, cursor: Cursor, ordered: np.ndarray, keys: np.ndarray) -> int:
        """The position after the cursor's hit in the result list."""
        docnum = self.collection.docnum_of.get(cursor.id)
        found = np.flatnonzero(ordered == docnum) if docnum is not None else np.zeros(0, dtype=np.int64)
        key = None if not len(found) else keys[found[0]].item()
        if not len(found) or (None if key == NO_TIME else key) != cursor.key:
            raise BadRequest(
                "this cursor does not belong to this search; pass it with the parameters of the "
                "search that returned it",
                "cursor",
            )
        return int(found[0]) + 1

    def _versions(self, docnums: list[int], matched: np.ndarray) -> dict[int, tuple[int, list[Version]]]:
        """For each hit with wire copies in the result set: how many, and the first of them."""
        group = self.gen.group
        if not docnums:
            return {}
        in_groups = [d for d in docnums if group[d] >= 0]
        if not in_groups:
            return {}
        if self.export:
            numbers, counts = np.unique(group[matched & (group >= 0)], return_counts=True)
            found = dict(zip(numbers.tolist(), counts.tolist()))
            return {d: (found.get(int(group[d]), 1) - 1, []) for d in in_groups}
        return {d: _versions_of(self.gen, d, matched, VERSIONS_LISTED) for d in in_groups}


@dataclass(frozen=True)
class _Page:
    docnums: list[int]
    scores: list[float | None]
    next_cursor: str | None = None


def count_groups(numbers: np.ndarray) -> int:
    """How many groups the group numbers of a result set make (search.index.duplicates.group_numbers:
    an article alone has a negative number of its own), without sorting them."""
    grouped = numbers[numbers >= 0]
    return int(numbers.size - grouped.size) + (int(np.count_nonzero(np.bincount(grouped))) if grouped.size else 0)


def best_scored(docnums: np.ndarray, scores: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """The matches that can be among the first `limit` of the order (score descending, docnum
    ascending): every one scoring at least the limit-th best score, found without sorting them all."""
    if limit >= len(docnums):
        return docnums, scores
    threshold = np.partition(scores, len(scores) - limit)[len(scores) - limit]
    keep = scores >= threshold  # ties at the threshold all stay: the docnum order decides among them
    return docnums[keep], scores[keep]


def _versions_of(gen: _Generation, docnum: int, among: np.ndarray, listed: int) -> tuple[int, list[Version]]:
    """The other articles of `docnum`'s group in `among`: how many, and the first `listed`, newest first."""
    number = gen.group[docnum]
    if number < 0:
        return 0, []
    others = np.flatnonzero((gen.group == number) & among)
    others = others[others != docnum]
    times = gen.collection.time[others]
    others = others[np.lexsort((others, -times, times == NO_TIME))]
    versions = []
    for other in others[:listed].tolist():
        stored = gen.stored(other)
        versions.append(Version(stored.id, stored.title, stored.source, stored.published_iso))
    return len(others), versions


def _highlight_terms(compiler: Compiler, q: str) -> set[str]:
    """The index terms a query marks in text: its words, read as the search reads them."""
    text = clean(q)
    try:
        node = parse(text)
    except (QuerySyntaxError, RecursionError):
        node = plain_words(text)
    if node is None:
        return set()
    return set(compiler.compile(node).highlight)


def any_word_notice(all_words: int) -> str:
    if all_words == 0:
        found = "No article has all the words"
    elif all_words == 1:
        found = "Only 1 article has all the words"
    else:
        found = f"Only {all_words} articles have all the words"
    return (
        f"{found}; showing articles with any of them, best matches first. "
        "Put + before a word (or AND between words) to require it."
    )


def describe_any(node) -> str:
    if not isinstance(node, Adjacent):
        return describe(node)
    optional = [
        describe(n) if not isinstance(n, Adjacent) else f"({describe(n)})" for n in node.nodes if not is_fixed(n)
    ]
    fixed = [describe(n) for n in node.nodes if is_fixed(n)]
    return " ".join([*fixed, "(" + " OR ".join(optional) + ")" if len(optional) > 1 else optional[0]])


def article_view(stored: StoredArticle, people: list[str] | None = None, versions: list | None = None) -> ArticleView:
    """An article as the article page shows it (both engines make it here); `people`: as the
    corpus-level name map shows them, `versions`: its wire copies, when the engine has them."""
    return ArticleView(
        id=stored.id,
        title=stored.title,
        subtitle=stored.subtitle,
        source=stored.source,
        byline=stored.byline,
        topic=stored.topic,
        topics=list(stored.facets["topic"]),
        published=stored.published_iso,
        updated=stored.updated_iso,
        body=stored.paragraphs,
        language=stored.language,
        url=stored.url,
        origin=printable(str(stored.origin)),  # a file name that is not UTF-8 shown escaped
        people=people if people is not None else list(stored.people),
        places=list(stored.places),
        countries=list(stored.countries),
        versions=versions or [],
    )


def make_hit(
    stored: StoredArticle,
    terms: set[str] | None,
    analyzer,
    score: float | None,
    snippet: bool = True,
    versions: tuple[int, list[Version]] | None = None,
) -> Hit:
    title = stored.title
    body = stored.body or stored.subtitle
    if snippet:
        fragments = snippets(body, terms, analyzer) if terms else ([lead(body)] if body else [])
    else:
        fragments = []
    return Hit(
        id=stored.id,
        title=title,
        title_html=mark_all(title, terms, analyzer) if terms else escape(title),
        snippets=fragments,
        published=stored.published_iso,
        source=stored.source,
        people=list(stored.people),
        places=list(stored.places),
        url=stored.url,
        score=score,
        updated=stored.updated_iso,
        indexed=stored.indexed_iso,
        other_versions=versions[0] if versions else 0,
        versions=versions[1] if versions else [],
    )
