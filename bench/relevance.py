"""Ranking quality on the TIME test collection: the product, its ranking alone, Whoosh's defaults.

    .venv/bin/python bench/relevance.py            # product (headline), ranking only, baseline
    .venv/bin/python bench/relevance.py --grid     # also the tuning grids behind search/engine/ranking.py
    .venv/bin/python bench/relevance.py --held-out # the grids of proximity, feedback and question words: how far their settings hold

The headline row is the product path: each query through Searcher.search, exactly as
the web page and `dateline search` run it (all words; any word, by BM25F, when all
words find fewer than a page). "ranking only" is search.engine.ranking's query and weighting
straight on Whoosh; "baseline" is Whoosh out of the box. Each part of the ranking is then set
against BM25F alone query by query: how many queries it ranks better and worse, and whether the
mean difference could be chance (a paired randomisation test): TIME's 83 queries, 23 of them with
one relevant document, move MAP by a hundredth on a few queries' luck.

Measures (trec_eval's, through ir-measures): MAP, nDCG@10, P@10, R@100, each the
mean over all 83 judged queries (a query that finds nothing scores 0). Runs are
1000 deep. The collection is ../shared/eval/time (see its SOURCE.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import ir_measures  # noqa: E402
import numpy as np  # noqa: E402
from ir_measures import AP, P, R, nDCG  # noqa: E402
from time_collection import TimeCollection, build_index, build_product_index  # noqa: E402
from whoosh import query as wq  # noqa: E402
from whoosh.analysis import StemmingAnalyzer  # noqa: E402
from whoosh.fields import ID, TEXT, Schema  # noqa: E402
from whoosh.scoring import BM25F, WeightingModel  # noqa: E402

from search.analysis import ENGLISH_STOP_WORDS, NewsTokenizer, TermNormalizer  # noqa: E402
from search.engine import feedback, proximity, ranking  # noqa: E402
from search.index.schema import TEXT_FIELDS, build_schema  # noqa: E402
from search.query.content_words import OTHER_WORD_WEIGHT  # noqa: E402
from search.query.natural import REPEATS, natural_query, query_terms  # noqa: E402

TIME_DIR = Path(os.environ.get("DATELINE_SHARED", ROOT.parent / "shared")) / "eval" / "time"
PROXIMITY_WEIGHT, PROXIMITY_SLOP, PROXIMITY_WORDS = proximity.WEIGHT, proximity.SLOP, proximity.ANY_WORD_MAX_WORDS
EVERY_LENGTH = 1_000  # proximity_words that lets the bonus apply to a question of any length
FEEDBACK = (feedback.FEEDBACK_DOCS, feedback.TERMS, feedback.WEIGHT)
NO_FEEDBACK = (feedback.FEEDBACK_DOCS, feedback.TERMS, 0.0)
MEASURES = (AP, nDCG @ 10, P @ 10, R @ 100)
COLUMNS = ("MAP", "nDCG@10", "P@10", "R@100")
DEPTH = 1000

Run = dict[str, dict[str, float]]
Qrels = dict[str, dict[str, int]]


def evaluate(run: Run, qrels: Qrels) -> dict[str, float]:
    """Mean of each measure over every judged query; queries missing from the run count 0."""
    totals = dict.fromkeys(MEASURES, 0.0)
    for metric in ir_measures.iter_calc(MEASURES, qrels, padded(run, qrels)):
        totals[metric.measure] += metric.value
    return {name: totals[m] / len(qrels) for name, m in zip(COLUMNS, MEASURES)}


def padded(run: Run, qrels: Qrels) -> Run:
    """The run with a sentinel for each judged query it has nothing for: trec_eval skips queries
    without results, and these must score 0."""
    return {qid: run.get(qid) or {"-": 0.0} for qid in qrels}


def search_run(
    ix,
    weighting: WeightingModel,
    make_query: Callable[[str], wq.Query],
    queries: Iterable,
    depth: int = DEPTH,
    rerank: Callable | None = None,
    expand: Callable | None = None,
) -> Run:
    """Each query's ranking, `depth` deep; `expand(searcher, docnums, scores, query)` (feedback),
    then `rerank(...)` (proximity) reorder it."""
    run: Run = {}
    with ix.searcher(weighting=weighting) as searcher:
        for q in queries:
            query = make_query(q.text)
            # Every match (limit=None): feedback rescoring may lift one from below `depth`.
            hits = searcher.search(query, limit=None if expand is not None else depth)
            ids = {hit.docnum: hit["id"] for hit in hits}
            docnums = np.asarray([hit.docnum for hit in hits], dtype=np.int64)
            scores = np.asarray([hit.score for hit in hits], dtype=np.float64)
            if expand is not None:
                docnums, scores = expand(searcher, docnums, scores, query)
            if rerank is not None:
                docnums, scores = rerank(searcher, docnums, scores, query)
            # Scores are ranks, so that trec_eval keeps this order (it re-sorts ties).
            run[q.id] = {ids[d]: float(depth - rank) for rank, d in enumerate(docnums[:depth].tolist())}
    return run


def with_feedback(
    searcher, docnums: np.ndarray, scores: np.ndarray, query: wq.Query, setting: tuple[int, int, float] = FEEDBACK
) -> tuple[np.ndarray, np.ndarray]:
    """search.engine.feedback on a bare Whoosh searcher, as the Searcher applies it to the any-word
    reading (its DEPTH best matches reordered); `setting` is (FEEDBACK_DOCS, TERMS, WEIGHT)."""
    docs, terms, weight = setting
    if weight <= 0 or not len(docnums):
        return docnums, scores
    fields = tuple(f for f in TEXT_FIELDS if f in searcher.schema)
    analyzer = searcher.schema[fields[0]].analyzer
    top, top_scores = feedback.best(docnums, scores, docs)
    texts = []
    for docnum in top.tolist():
        stored = searcher.stored_fields(docnum)
        texts.append([t.text for f in fields for t in analyzer(stored.get(f, ""))])
    model = feedback.relevance_model(
        texts, top_scores.tolist(), lambda w: max(searcher.doc_frequency(f, w) for f in fields), terms
    )
    if model is None:
        return docnums, scores
    more = {hit.docnum: hit.score for hit in searcher.search(model.query(fields), limit=None)}
    model_scores = np.zeros(len(docnums), dtype=np.float64)
    for place in feedback.best_places(docnums, scores, feedback.DEPTH).tolist():  # the DEPTH best only
        model_scores[place] = more.get(int(docnums[place]), 0.0)
    new = feedback.rescored(scores, model_scores, feedback.query_weight(query, fields), weight)
    order = np.lexsort((docnums, -new))
    return docnums[order], new[order]


# -- the baseline: Whoosh out of the box ---------------------------------------------------


def baseline_run(collection: TimeCollection, workdir: Path) -> Run:
    """Whoosh defaults: StemmingAnalyzer, BM25F(), OR of the analyzer's tokens (repeats kept)."""
    analyzer = StemmingAnalyzer()
    schema = Schema(id=ID(stored=True, unique=True), body=TEXT(analyzer=analyzer))
    ix = build_index(collection.documents, workdir / "baseline", schema)

    def make_query(text: str) -> wq.Query:
        return wq.Or([wq.Term("body", t.text) for t in analyzer(text)])

    return search_run(ix, BM25F(), make_query, collection.queries)


# -- ours, and the variants the grid tries --------------------------------------------------


@dataclass(frozen=True)
class Variant:
    k1: float = ranking.K1
    b: float = ranking.B
    idf: str = "lucene"  # "lucene" (ours) or "whoosh"
    repeats: bool = REPEATS
    proximity: float = PROXIMITY_WEIGHT  # search.engine.proximity's bonus weight (0: none)
    slop: int = PROXIMITY_SLOP
    proximity_words: int = PROXIMITY_WORDS  # the longest any-word query the bonus applies to
    coordination: float | None = None  # Whoosh's Or(scale=...) bonus for matching more words
    feedback: tuple[int, int, float] = FEEDBACK  # search.engine.feedback's FEEDBACK_DOCS, TERMS, WEIGHT
    other_words: float = OTHER_WORD_WEIGHT  # search.query.content_words: a word that names no subject

    def weighting(self) -> WeightingModel:
        cls = ranking.NewsBM25F if self.idf == "lucene" else BM25F
        return cls(B=self.b, K1=self.k1)

    def label(self) -> str:
        return (
            f"K1={self.k1:<4} B={self.b:<4} idf={self.idf:<6} "
            f"repeats={'yes' if self.repeats else 'no ':<3} prox={self.proximity} slop={self.slop}"
            + (f" prox<={self.proximity_words}w" if self.proximity and self.proximity_words != PROXIMITY_WORDS else "")
            + (f" coord={self.coordination}" if self.coordination else "")
            + (" fb=" + "/".join(str(x) for x in self.feedback) if self.feedback[2] > 0 else " fb=off")
            + f" other={self.other_words}"
        )


def our_schema(stop_words: frozenset[str] = ENGLISH_STOP_WORDS, stem: Callable[[str], str] | None = None) -> Schema:
    """The product's schema; with other stop words or another stemmer (`stem`), its analyzer changed
    only in that."""
    schema = build_schema()
    if stop_words != ENGLISH_STOP_WORDS or stem is not None:
        analyzer = NewsTokenizer(TermNormalizer(stop_words, stem=stem))
        for name in TEXT_FIELDS:
            schema[name].analyzer = analyzer
    return schema


def variant_run(collection: TimeCollection, ix, variant: Variant) -> Run:
    schema = ix.schema

    def make_query(text: str) -> wq.Query:
        q = natural_query(text.lower(), ("body",), schema, repeats=variant.repeats, other_words=variant.other_words)
        if variant.coordination and isinstance(q, wq.Or):
            q = wq.Or(q.subqueries, scale=variant.coordination)
        return q

    def rerank(searcher, docnums, scores, query):
        words = proximity.typed_words(query)
        return proximity.rerank(
            searcher,
            docnums,
            scores,
            words,
            any_word=True,
            weight=variant.proximity,
            slop=variant.slop,
            any_word_max_words=variant.proximity_words,
        )

    def expand(searcher, docnums, scores, query):
        return with_feedback(searcher, docnums, scores, query, variant.feedback)

    return search_run(ix, variant.weighting(), make_query, collection.queries, rerank=rerank, expand=expand)


def ours_run(
    collection: TimeCollection,
    ix,
    with_proximity: bool = True,
    with_feedback_: bool = True,
    with_content_words: bool = True,
) -> Run:
    """Exactly what the product ships: ranking.weighting() and natural.natural_query() over the text
    fields (its words that name no subject weighing less, unless `with_content_words` is false), then
    search.engine.feedback (unless `with_feedback_` is false), then search.engine.proximity's rerank
    (unless `with_proximity` is false)."""
    schema = ix.schema
    other_words = OTHER_WORD_WEIGHT if with_content_words else 1.0

    def make_query(text: str) -> wq.Query:
        return natural_query(text.lower(), TEXT_FIELDS, schema, other_words=other_words)

    def rerank(searcher, docnums, scores, query):
        return proximity.rerank(searcher, docnums, scores, proximity.typed_words(query), any_word=True)

    return search_run(
        ix,
        ranking.weighting(),
        make_query,
        collection.queries,
        rerank=rerank if with_proximity else None,
        expand=with_feedback if with_feedback_ else None,
    )


# -- what answering "every word" first costs long queries ------------------------------------


def all_words_run(collection: TimeCollection, ix) -> Run:
    """Documents with every query word (the searcher's first try), scored by our ranking."""

    def make_query(text: str) -> wq.Query:
        terms = dict.fromkeys(query_terms(text.lower(), ix.schema))
        return wq.And([wq.Or([wq.Term(f, t) for f in TEXT_FIELDS]) for t in terms])

    return search_run(ix, ranking.weighting(), make_query, collection.queries)


def matched_words(collection: TimeCollection, ix) -> dict[str, dict[str, int]]:
    """How many distinct query words each document has, per query."""
    counts: dict[str, dict[str, int]] = {}
    with ix.searcher() as searcher:
        for q in collection.queries:
            per_doc: dict[str, int] = {}
            for term in dict.fromkeys(query_terms(q.text.lower(), ix.schema)):
                either = wq.Or([wq.Term(f, term) for f in TEXT_FIELDS])
                for hit in searcher.search(either, limit=None, scored=False):
                    per_doc[hit["id"]] = per_doc.get(hit["id"], 0) + 1
            counts[q.id] = per_doc
    return counts


def policy_runs(all_words: Run, any_word: Run, words: dict[str, dict[str, int]], min_hits: int = 10) -> dict[str, Run]:
    """(The searcher ships the last: search.engine.searcher.ANY_WORD_BELOW is min_hits.)"""
    """The same ranking under ways of combining the every-word and any-word queries."""
    names = (
        "every word, else any word",
        "every word, else any word by words matched, then score",
        "every word first, then any word",
        f"every word if >= {min_hits} hits, else any word",
    )
    runs: dict[str, Run] = {name: {} for name in names}
    for qid, scores in any_word.items():
        every = sorted(all_words.get(qid, {}), key=lambda d: -scores.get(d, 0.0))
        anyone = sorted(scores, key=lambda d: -scores[d])
        by_words = sorted(anyone, key=lambda d: -words[qid].get(d, 0))  # stable: score breaks ties
        orders = (
            every or anyone,
            every or by_words,
            every + [d for d in anyone if d not in set(every)],
            every if len(every) >= min_hits else anyone,
        )
        for name, order in zip(names, orders):
            runs[name][qid] = {d: float(DEPTH - rank) for rank, d in enumerate(order)}
    return runs


# -- the product path: the real Searcher over to_document-shaped documents ------------------


@dataclass
class ProductRun:
    run: Run
    all_words: int  # queries answered by all their words (AND)
    any_word: int  # queries the searcher read as any word (its notice says so)
    empty: int  # queries that found nothing


def product_run(collection: TimeCollection, workdir: Path) -> ProductRun:
    """Each query lower-cased (TIME's upper-case AND/OR/NOT are not meant as operators) through
    Searcher.search, paging 100 at a time down to DEPTH. Scores are ranks, so the run keeps
    the product's order exactly (the product rounds scores, and trec_eval re-sorts ties)."""
    from search.results import SearchRequest
    from search.settings import Limits

    MAX_PAGE_SIZE = Limits().max_page_size
    from search.engine.searcher import Searcher

    index_dir = build_product_index(collection.documents, workdir / "product")
    run: Run = {}
    all_words = any_word = empty = 0
    with Searcher.open(index_dir) as searcher:
        for q in collection.queries:
            ranked: list[str] = []
            for page in range(1, DEPTH // MAX_PAGE_SIZE + 1):
                result = searcher.search(
                    SearchRequest(q=q.text.lower(), page=page, page_size=MAX_PAGE_SIZE, snippets=False, facet_limit=1)
                )
                ranked.extend(hit.id for hit in result.results)
                if page >= result.pages:
                    break
            read_any = bool(result.notice and "any of them" in result.notice)
            empty += result.total == 0
            any_word += read_any
            all_words += result.total > 0 and not read_any
            run[q.id] = {doc_id: float(DEPTH - rank) for rank, doc_id in enumerate(ranked)}
    return ProductRun(run, all_words, any_word, empty)


def feedback_latency(collection: TimeCollection, index_dir: Path, repeats: int = 3) -> str:
    """What feedback costs a query: the first page of 10 (no snippets), fastest of `repeats`, with
    feedback and without, on the product index. Printed only; CPU shared with others shows in it."""
    from search.engine.searcher import Searcher
    from search.results import SearchRequest

    def fastest(searcher: Searcher, text: str) -> float:
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            searcher.search(SearchRequest(q=text, page_size=10, snippets=False, facet_limit=1))
            best = min(best, time.perf_counter() - start)
        return best * 1000

    shipped = feedback.WEIGHT
    with Searcher.open(index_dir) as searcher:
        with_it = [fastest(searcher, q.text.lower()) for q in collection.queries]
        feedback.WEIGHT = 0.0
        try:
            without = [fastest(searcher, q.text.lower()) for q in collection.queries]
        finally:
            feedback.WEIGHT = shipped
    extra = np.asarray(with_it) - np.asarray(without)
    return (
        f"feedback latency, first page of 10, per query (ms): p50 {np.median(with_it):.1f} with, "
        f"{np.median(without):.1f} without; extra p50 {np.median(extra):.1f}, p90 {np.percentile(extra, 90):.1f}, "
        f"max {extra.max():.1f}"
    )


# -- report ----------------------------------------------------------------------------------


def row(name: str, scores: dict[str, float]) -> str:
    return f"{name:<62}" + "".join(f"{scores[c]:>9.4f}" for c in COLUMNS)


def header(name: str = "system") -> str:
    return f"{name:<62}" + "".join(f"{c:>9}" for c in COLUMNS)


# Common English words our stop list keeps; tried as an addition to it.
FUNCTION_WORDS = frozenset(
    """
    he she him himself herself i me my our ours they them themselves theirs was am being do does
    did doing but so nor what which who whom whose why how where there these those then
""".split()
)


def time_stop_words(collection_dir: Path) -> frozenset[str]:
    lines = (collection_dir / "TIME.STP").read_text(encoding="ascii").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


Cell = tuple[float, ...]


def feedback_grid(collection: TimeCollection, ix) -> None:
    """Grid 5: feedback's settings, each against feedback off, and how far its choice holds."""
    cells = {
        (docs, terms, weight): Variant(feedback=(docs, terms, weight))
        for docs in (3, 5, 10)
        for terms in (10, 20, 30, 50)
        for weight in (0.1, 0.2, 0.3)
    }
    setting_grid(
        "Grid 5: feedback (search.engine.feedback): FEEDBACK_DOCS x TERMS x WEIGHT, shipped K1, B, proximity",
        collection,
        ix,
        cells,
        off=Variant(feedback=NO_FEEDBACK),
        shipped=FEEDBACK,
    )


def proximity_grid(collection: TimeCollection, ix) -> None:
    """Grid 3: the proximity bonus on TIME's long questions (which the product leaves without it:
    proximity.ANY_WORD_MAX_WORDS), each setting against no bonus, and how far its choice holds."""
    cells = {
        (slop, weight): Variant(proximity=weight, slop=slop, proximity_words=EVERY_LENGTH)
        for slop in (1, 2, 3, 4, 6)
        for weight in (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
    }
    setting_grid(
        "Grid 3: proximity (search.engine.proximity) on questions of any length: SLOP x WEIGHT, shipped K1, B, "
        "query and feedback",
        collection,
        ix,
        cells,
        off=Variant(proximity=0.0),
        shipped=(PROXIMITY_SLOP, PROXIMITY_WEIGHT),
    )


def content_words_grid(collection: TimeCollection, ix) -> None:
    """Grid 7: the weight of a question's words that name no subject, each against weighing every
    word alike, the rest of the ranking as shipped."""
    cells = {(other,): Variant(other_words=other) for other in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)}
    setting_grid(
        "Grid 7: question words (search.query.content_words): OTHER_WORD_WEIGHT, shipped K1, B, feedback, proximity",
        collection,
        ix,
        cells,
        off=Variant(other_words=1.0),
        shipped=(OTHER_WORD_WEIGHT,),
    )


def setting_grid(
    title: str, collection: TimeCollection, ix, cells: dict[Cell, Variant], off: Variant, shipped: Cell
) -> None:
    """Each setting's figures and the queries it ranks better and worse than with the feature off
    (average precision), then `robustness`."""
    qrels = collection.qrels
    off_run = variant_run(collection, ix, off)
    off_ap = per_query_ap(off_run, qrels)
    print(f"\n{title}")
    print(header("variant") + f"{'better':>8}{'worse':>7}")
    print(row(off.label() + " (off)", evaluate(off_run, qrels)))
    runs: dict[Cell, Run] = {}
    for cell, variant in cells.items():
        runs[cell] = variant_run(collection, ix, variant)
        better, worse = better_worse(per_query_ap(runs[cell], qrels), off_ap)
        print(row(variant.label(), evaluate(runs[cell], qrels)) + f"{better:>8}{worse:>7}")
    robustness(runs, off_ap, shipped, qrels)


def better_worse(ap: dict[str, float], other: dict[str, float]) -> tuple[int, int]:
    """How many queries `ap` ranks better and worse than `other` (average precision)."""
    return sum(ap[q] > other[q] + 1e-9 for q in ap), sum(ap[q] < other[q] - 1e-9 for q in ap)


def robustness(runs: dict[Cell, Run], off_ap: dict[str, float], shipped: Cell, qrels: Qrels, splits: int = 20) -> None:
    """What the grid says beyond its best cell, since every setting here was chosen on TIME itself:

    - how many settings beat the feature off, and the grid's mean MAP (what a setting picked
      without TIME might expect);
    - the shipped setting against off: queries better and worse, and a paired randomisation test
      (each query's difference flipped in sign at random; two-sided);
    - two-fold cross-validation of choosing the best cell: for each random halving of the queries,
      the cell with the best MAP on one half is scored on the other. Where many cells are nearly
      equal this is pessimistic: the cell that wins a half is mostly the one that half favoured by
      chance, which the other half then does not."""
    ids = sorted(qrels)
    ap = {cell: per_query_ap(run, qrels) for cell, run in runs.items()}
    off_map = sum(off_ap.values()) / len(ids)
    maps = {cell: sum(ap[cell][q] for q in ids) / len(ids) for cell in runs}
    rng = np.random.default_rng(20261130)
    held = []
    for _ in range(splits):
        order = rng.permutation(len(ids))
        halves = [[ids[i] for i in order[: len(ids) // 2]], [ids[i] for i in order[len(ids) // 2 :]]]
        total = 0.0
        for train, test in (halves, halves[::-1]):
            best = max(runs, key=lambda cell: (sum(ap[cell][q] for q in train), cell))
            total += sum(ap[best][q] for q in test)
        held.append(total / len(ids))
    label = "/".join(map(str, shipped))
    print(
        f"\n  off: MAP {off_map:.4f}. Settings above it: {sum(m > off_map for m in maps.values())} of {len(maps)}; "
        f"mean MAP of the grid {np.mean(list(maps.values())):.4f} (min {min(maps.values()):.4f}, max "
        f"{max(maps.values()):.4f})"
    )
    if shipped in ap:
        print(f"  shipped {label}: MAP {maps[shipped]:.4f}; against off, {against(ap[shipped], off_ap)}")
    print(
        f"  best cell chosen on half the queries, MAP on the other half ({splits} random halvings): "
        f"mean {np.mean(held):.4f} (min {min(held):.4f}, max {max(held):.4f})"
    )


def against(ap: dict[str, float], other: dict[str, float], draws: int = 20_000) -> str:
    """How `ap` compares with `other`, query by query: how many queries are better and worse, and a
    paired randomisation test of the mean difference (each query's difference flipped in sign at
    random, `draws` times; two-sided)."""
    ids = sorted(ap)
    differences = np.asarray([ap[q] - other[q] for q in ids])
    flips = np.random.default_rng(20261130).choice([-1.0, 1.0], size=(draws, len(ids)))
    p = float(np.mean(np.abs((flips * differences).mean(axis=1)) >= abs(differences.mean()) - 1e-12))
    better, worse = better_worse(ap, other)
    return f"{better} queries better and {worse} worse (paired randomisation p {f'= {p:.4f}' if p else f'< {1 / draws:.5f}'})"


def per_query_ap(run: Run, qrels: Qrels) -> dict[str, float]:
    """Each judged query's average precision (0 when the run has nothing for it)."""
    found = dict.fromkeys(qrels, 0.0)
    for metric in ir_measures.iter_calc([AP], qrels, padded(run, qrels)):
        found[metric.query_id] = metric.value
    return found


def grid(collection: TimeCollection, collection_dir: Path, workdir: Path) -> None:
    ix = build_index(collection.documents, workdir / "grid-ours", our_schema())
    print(
        "\nGrid 1: K1 x B (our analyzer, Lucene IDF, repeated query words count, question words weighed, no proximity, no feedback)"
    )
    print(header("variant"))
    for k1 in (0.6, 0.9, 1.2, 1.5, 1.8, 2.4):
        for b in (0.3, 0.5, 0.6, 0.75, 0.9):
            v = Variant(k1=k1, b=b, proximity=0.0, feedback=NO_FEEDBACK)
            print(row(v.label(), evaluate(variant_run(collection, ix, v), collection.qrels)))

    print("\nGrid 2: one choice at a time around the shipped setting")
    print(header("variant"))
    shipped = Variant()
    for v in (
        shipped,
        Variant(idf="whoosh"),
        Variant(repeats=not shipped.repeats),
        Variant(proximity=0.0),
        Variant(feedback=NO_FEEDBACK),
        Variant(proximity=0.0, feedback=NO_FEEDBACK),
        *(Variant(coordination=c) for c in (0.5, 0.9)),
    ):
        print(row(v.label(), evaluate(variant_run(collection, ix, v), collection.qrels)))

    proximity_grid(collection, ix)
    feedback_grid(collection, ix)
    content_words_grid(collection, ix)

    print("\nGrid 4: stop lists (index rebuilt each time; shipped K1, B, query)")
    print(header("stop list"))
    stop_lists = {
        f"ours (analysis.ENGLISH_STOP_WORDS, {len(ENGLISH_STOP_WORDS)} words)": ENGLISH_STOP_WORDS,
        "none": frozenset(),
        f"ours + function words ({len(FUNCTION_WORDS)}: pronouns, was/did, wh-words)": ENGLISH_STOP_WORDS
        | FUNCTION_WORDS,
        "TIME.STP (the collection's own 340 words)": time_stop_words(collection_dir),
    }
    for i, (name, stops) in enumerate(stop_lists.items()):
        sx = build_index(collection.documents, workdir / f"grid-stop{i}", our_schema(stops))
        print(row(name, evaluate(variant_run(collection, sx, shipped), collection.qrels)))

    stemmer_grid(collection, workdir)


def plural_stem(word: str) -> str:
    """Plurals only, Harman's S stemmer (1991): -ies to -y, -es to -e, -s dropped (not -ss, -us)."""
    if len(word) > 3 and word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if len(word) > 2 and word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


def unstemmed(word: str) -> str:
    return word


def stemmer_grid(collection: TimeCollection, workdir: Path) -> None:
    """Grid 6: the stemmer, each against ours (Snowball) query by query, with and without the rest
    of the ranking (index rebuilt each time)."""
    from nltk.stem.lancaster import LancasterStemmer
    from nltk.stem.porter import PorterStemmer

    stemmers: dict[str, Callable[[str], str] | None] = {
        "Snowball English (ours)": None,
        "Porter (NLTK's extensions)": PorterStemmer().stem,
        "Porter (1980, as published)": PorterStemmer(PorterStemmer.ORIGINAL_ALGORITHM).stem,
        "Lancaster (Paice/Husk)": LancasterStemmer().stem,
        "plurals only (S stemmer)": plural_stem,
        "none": unstemmed,
    }
    print("\nGrid 6: stemmers (index rebuilt each time; shipped K1, B, query), each against Snowball")
    print(header("stemmer"))
    variants = {"shipped": Variant(), "BM25F alone": Variant(proximity=0.0, feedback=NO_FEEDBACK, other_words=1.0)}
    ours: dict[str, dict[str, float]] = {}
    for i, (name, stem) in enumerate(stemmers.items()):
        sx = build_index(collection.documents, workdir / f"grid-stem{i}", our_schema(stem=stem))
        for part, variant in variants.items():
            run = variant_run(collection, sx, variant)
            ap = per_query_ap(run, collection.qrels)
            ours.setdefault(part, ap)
            print(row(f"{name}, {part}", evaluate(run, collection.qrels)))
            if stem is not None:
                print(f"    against Snowball: {against(ap, ours[part])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", action="store_true", help="also print the tuning grid")
    parser.add_argument(
        "--held-out",
        action="store_true",
        help="only the proximity, feedback and question-word grids, each setting against the feature off",
    )
    parser.add_argument("--no-product", action="store_true", help="skip the Searcher (product) path")
    parser.add_argument("--data", type=Path, default=TIME_DIR, help="the TIME directory (default %(default)s)")
    args = parser.parse_args(argv)

    if not (args.data / "TIME.ALL").exists():
        print(f"TIME collection not found in {args.data}; nothing measured.")
        return 0
    collection = TimeCollection.load(args.data)
    print(
        f"TIME: {len(collection.documents)} documents, {len(collection.queries)} queries, "
        f"{collection.judgement_count()} judgements; runs {DEPTH} deep\n"
    )
    with tempfile.TemporaryDirectory(prefix="dateline-time-") as tmp:
        workdir = Path(tmp)
        if args.held_out:
            grid_ix = build_index(collection.documents, workdir / "grid-ours", our_schema())
            proximity_grid(collection, grid_ix)
            feedback_grid(collection, grid_ix)
            content_words_grid(collection, grid_ix)
            return 0
        baseline = evaluate(baseline_run(collection, workdir), collection.qrels)
        ix = build_index(collection.documents, workdir / "ours")
        ours = ours_run(collection, ix)
        product = None if args.no_product else product_run(collection, workdir)
        print(header())
        if product is None:
            print("product: skipped (--no-product)")
        else:
            print(
                row("PRODUCT: Searcher.search(SearchRequest(q=text.lower()))", evaluate(product.run, collection.qrels))
            )
        print(row("ranking only: weighting + natural_query + feedback + proximity", evaluate(ours, collection.qrels)))

        def with_parts(content: bool, fb: bool, prox: bool) -> Run:
            return ours_run(collection, ix, with_proximity=prox, with_feedback_=fb, with_content_words=content)

        # (question words weighed, feedback, proximity) -> the ranking with just those parts
        parts = {(True, True, True): ours}
        for name, content, fb, prox in (
            ("  the same without the proximity rerank", True, True, False),
            ("  the same without feedback", True, False, True),
            ("  the same without weighing question words less", False, True, True),
            ("  none of the three (BM25F alone)", False, False, False),
        ):
            parts[content, fb, prox] = with_parts(content, fb, prox)
            print(row(name, evaluate(parts[content, fb, prox], collection.qrels)))
        for key in ((True, False, False), (False, True, False), (False, False, True)):
            parts[key] = with_parts(*key)
        alone = per_query_ap(parts[False, False, False], collection.qrels)
        print("  against BM25F alone, average precision query by query:")
        for name, key in (
            ("all three (shipped)", (True, True, True)),
            ("question words weighed + feedback", (True, True, False)),
            ("question words weighed", (True, False, False)),
            ("feedback", (False, True, False)),
            ("proximity", (False, False, True)),
        ):
            run = parts[key]
            print(
                f"    {name}: MAP {evaluate(run, collection.qrels)['MAP']:.4f}, {against(per_query_ap(run, collection.qrels), alone)}"
            )
        print(row("baseline: Whoosh StemmingAnalyzer + BM25F(), OR of words", baseline))
        if product is not None:
            print("  " + feedback_latency(collection, workdir / "product"))
            print(
                f"  (product: {product.all_words} of {len(collection.queries)} queries answered by all "
                f"their words, {product.any_word} read as any word, {product.empty} found nothing)"
            )
        from search.engine.ranking import ANY_WORD_BELOW

        print(
            f"\nOur ranking under other AND-first policies (simulated; the product ships the last, "
            f"ANY_WORD_BELOW={ANY_WORD_BELOW}):"
        )
        simulated = policy_runs(
            all_words_run(collection, ix), ours, matched_words(collection, ix), min_hits=ANY_WORD_BELOW
        )
        for name, run in simulated.items():
            print(row(f"  {name}", evaluate(run, collection.qrels)))
        if args.grid:
            grid(collection, args.data, workdir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
