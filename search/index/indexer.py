"""Corpus -> Whoosh index, incrementally: only new and changed articles are analysed and written.

The pipeline streams: readers (which skip, unparsed, the records whose raw bytes made an indexed
article: search.readers.records) -> content-hash check against the live index ->
entity extraction (cached, spaCy over worker processes for the misses) ->
Whoosh writer (several writer processes for large batches). A full rebuild goes
into a new generation folder that replaces the live one atomically only once it
is complete (search.index.store).

What "removed" means: an article that is in the index but no longer comes out of
the corpus. When a file that held indexed articles cannot be read this time (an
error was reported for it, or for a folder above it), its articles stay in the
index, even on a full rebuild, where they are carried over from the previous
generation: a file that is briefly unreadable (a permission slip, a disk not
mounted, a half-copied file) must not wipe stories from an archive. Deleting
the file itself does remove them.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePath
from typing import Any, Protocol

import numpy as np

from search.article import Article, Entities, Problem, printable
from search.engine.interface import IndexEngine
from search.engine.whoosh_engine import WhooshIndex
from search.index import duplicates
from search.index import store as index_store
from search.index.manifest import RunState
from search.index.schema import INDEX_FORMAT
from search.index.store import Generation
from search.readers.records import RecordCheck, Unchanged, reading_key

FILE_KEYS = 200_000  # a file's raw keys are looked up in memory up to this many records, else one by one
SIGN_BATCH = 128  # articles shingled together (one numpy pass; ~50 MB at most for long articles)


class EntityExtractorLike(Protocol):
    def extract_many(self, articles: Iterable[Article]) -> Iterator[Entities]: ...


class IndexWriteError(Exception):
    """The index could not be written; the previous one is still live."""


class CorpusNotFound(FileNotFoundError):
    """A corpus path the user named does not exist: nothing is read, nothing written."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"no such file or directory: {printable(str(path))}")
        self.path = path


class WouldRemove(Exception):
    """The run would remove indexed articles whose files lie outside the corpus it was given."""

    def __init__(self, count: int, corpus: list[str]) -> None:
        where = ", ".join(corpus[:3]) + (f" and {len(corpus) - 3} more" if len(corpus) > 3 else "")
        super().__init__(
            f"{count:,} indexed article{'s' * (count != 1)} come from files outside the corpus "
            f"given (the index was built from {where or 'another corpus'}); they would be removed"
        )
        self.count = count


KEEP_PROBLEMS = 1000


@dataclass
class ReindexReport:
    """What a reindex did; `summary()` is what `dateline reindex` prints."""

    read: int = 0  # articles that came out of the corpus (duplicates excluded)
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    kept: int = 0  # indexed articles of files that could not be read this time: left in place
    duplicates: int = 0  # articles whose id was already read in this run (the first one wins)
    extracted: int = 0  # articles whose entities were computed (not found in the cache)
    supplied: int = 0  # articles whose records gave their own people and places (not extracted)
    copies: int = 0  # articles in a group of near duplicates (wire copies) afterwards
    copy_groups: int = 0  # such groups
    groups_changed: int = 0  # articles whose group this run changed
    skipped_unparsed: int = 0  # unchanged articles recognised by their record's raw bytes, not parsed
    signed: int = 0  # articles shingled for near-duplicate detection (the others' signatures were kept)
    duplicate_seconds: float = 0.0  # time spent shingling and grouping
    # The first KEEP_PROBLEMS of each kind (a hostile corpus may hold millions); the counts are exact.
    skipped: list[Problem] = field(default_factory=list)  # errors: not indexed
    warnings: list[Problem] = field(default_factory=list)  # indexed, but something was odd
    skipped_count: int = 0
    warning_count: int = 0
    unreadable_paths: set[str] = field(default_factory=set)  # files (or folders) an error was met in
    seconds: float = 0.0
    full: bool = False
    full_reason: str = ""  # why the whole index was rebuilt
    generation: str = ""  # the live generation afterwards
    documents: int = 0  # articles in the live index afterwards
    written: bool = False  # whether anything was committed

    def add_problem(self, problem: Problem) -> None:
        if problem.severity == "error":
            self.skipped_count += 1
            self.unreadable_paths.add(problem.path)
            if len(self.skipped) < KEEP_PROBLEMS:
                self.skipped.append(problem)
        else:
            self.warning_count += 1
            if len(self.warnings) < KEEP_PROBLEMS:
                self.warnings.append(problem)

    @property
    def docs_per_second(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0

    def summary(self, max_problems: int = 20) -> list[str]:
        mode = f"full rebuild ({self.full_reason})" if self.full else "incremental"
        lines = [
            f"{self.read} read, {self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged, {self.skipped_count} skipped "
            f"in {self.seconds:.1f} s ({self.docs_per_second:.0f} docs/s), {mode}",
        ]
        details = []
        if self.added or self.updated:
            details.append(
                f"entities: {self.extracted} extracted, "
                f"{self.added + self.updated - self.extracted - self.supplied} from cache"
                + (f", {self.supplied} supplied by their records" if self.supplied else "")
            )
        if self.skipped_unparsed:
            details.append(f"{self.skipped_unparsed} unchanged records recognised by their bytes (not parsed)")
        if self.kept:
            details.append(f"{self.kept} articles kept from files that could not be read this time")
        if self.copy_groups:
            details.append(
                f"wire copies: {self.copies} articles in {self.copy_groups} groups ({self.groups_changed} regrouped)"
            )
        if self.duplicates:
            details.append(f"{self.duplicates} duplicates ignored (an id read twice; the first copy is indexed)")
        lines += details
        for title, problems, count in (
            ("skipped", self.skipped, self.skipped_count),
            ("warnings", self.warnings, self.warning_count),
        ):
            if problems:
                lines.append(f"{title}:")
                # One line each, whatever a file name or a reason holds (terminal escapes, line breaks).
                lines += [f"  {printable(str(problem))}" for problem in problems[:max_problems]]
                if count > max_problems:
                    lines.append(f"  ... and {count - max_problems:,} more")
        lines.append(f"index: {self.generation}, {self.documents} articles")
        return lines


@dataclass(frozen=True)
class ReindexJob:
    """What one reindex run was asked to do."""

    corpus: tuple[Path, ...]
    index_dir: Path
    full: bool  # rebuild everything even if the index on disk is current
    workers: int
    progress: bool
    read_options: Any
    extractor: EntityExtractorLike | None
    say: Callable[[str], None]
    prune: bool = False  # remove indexed articles whose files lie outside `corpus` (else WouldRemove)


@dataclass(frozen=True, slots=True)
class IndexedArticle:
    """What the manifest remembers of an indexed article."""

    content_hash: str
    path: str


def reindex(
    corpus: Sequence[Path],
    index_dir: Path,
    *,
    full: bool = False,
    workers: int | None = None,
    progress: bool = False,
    read_options=None,
    extractor: EntityExtractorLike | None = None,
    wait: bool = True,
    on_wait: Callable[[int | None], None] | None = None,
    log: Callable[[str], None] | None = None,
    prune: bool = False,
) -> ReindexReport:
    """Brings the index in `index_dir` up to date with the corpus.

    Incremental unless `full` (or the index format on disk is outdated, or there is
    no index yet). `extractor` replaces the spaCy extractor (tests); entities are
    always looked up in the index folder's entity cache first. Raises IndexBusy when
    another reindex runs and not `wait`; IndexWriteError when the index could not
    be written (the previous one is then still live). Raises CorpusNotFound for a corpus
    path that does not exist (before anything is created), and WouldRemove when indexed
    articles from files outside `corpus` would be removed and `prune` is not set.
    """
    started = time.perf_counter()
    for path in corpus:
        if not os.path.lexists(path):
            raise CorpusNotFound(Path(path))
    index_dir = Path(index_dir)
    workers = max(1, workers or os.cpu_count() or 1)
    say = log or (lambda message: None)
    with index_store.writer_lock(index_dir, wait=wait, on_wait=on_wait):
        for path in index_store.clean_up(index_dir):
            say(f"removed {path.name} (left by an earlier run)")
        job = ReindexJob(
            corpus=tuple(Path(p) for p in corpus),
            index_dir=index_dir,
            full=full,
            workers=workers,
            progress=progress,
            read_options=read_options,
            extractor=extractor,
            say=say,
            prune=prune,
        )
        report = _Reindex(job).run()
    report.seconds = time.perf_counter() - started
    return report


class _Reindex:
    def __init__(self, job: ReindexJob) -> None:
        self.corpus = list(job.corpus)
        self.prune = job.prune
        self.index_dir = job.index_dir
        self.workers = job.workers
        self.progress = job.progress
        self.read_options = job.read_options
        self.extractor = job.extractor
        self.say = job.say
        self.report = ReindexReport()
        self.replaced: list[str] = []  # ids whose old document gives way to a new one
        # Near-duplicate signatures by id: kept from the live generation for unchanged articles.
        self.old_signatures: dict[str, np.ndarray] = {}
        self.signatures: dict[str, np.ndarray] = {}
        self.unsigned: list[tuple[str, str]] = []  # (id, text) waiting for the next batch of signatures
        self.hashes: dict[str, str] = {}  # content hash of each article read, until it is written
        self.reading: str | None = None  # the reading key of this run (search.readers.records)
        self.parsed_ids: set[str] = set()  # ids of the records parsed in a run that skips the others
        self.keys_path: str | None = None  # the file whose raw keys are `keys`
        self.keys: dict[bytes, tuple[str, str]] | None = None
        self.keyed_paths: set[str] = set()
        self.live = index_store.current_generation(job.index_dir)
        self.engine: IndexEngine = WhooshIndex(job.index_dir)
        # A full rebuild writes a new generation; `full_reason` only says why (for the report).
        self.full_reason = "requested" if job.full else self._full_rebuild_reason()
        self.full = bool(self.full_reason)
        self.report.full = self.full
        self.report.full_reason = self.full_reason

    def _full_rebuild_reason(self) -> str:
        if self.live is None:
            return "no index yet"
        meta = index_store.read_meta(self.live)
        if meta.get("format") != INDEX_FORMAT:
            return f"index format changed: {meta.get('format') or 'unknown'} -> {INDEX_FORMAT}"
        if meta.get("extractor_version") != _extractor_version():
            return f"entity extractor changed: {meta.get('extractor_version') or 'unknown'} -> {_extractor_version()}"
        return ""

    def run(self) -> ReindexReport:
        state = RunState(self.index_dir)
        try:
            return self._run(state)
        finally:
            state.close()

    def _run(self, state: RunState) -> ReindexReport:
        report = self.report
        self.manifest_fresh = state.load_previous(self.live, self.engine.stored_articles) if self.live else True
        if not self.prune:
            outside = sum(count for path, count in state.previous_files() if not _under_corpus(path, self.corpus))
            if outside:
                meta = index_store.read_meta(self.live) if self.live else {}
                raise WouldRemove(outside, [printable(str(_path_from_json(p))) for p in meta.get("corpus") or []])
        self.state = state
        self.old_signatures = duplicates.load_signatures(self.live.path) if self.live else {}
        if self.full:
            if self.live is not None:
                self.say(f"full rebuild: {self.full_reason}")
            target = self.engine.new_generation()
        else:
            assert self.live is not None  # without a live index the run is a full one
            target = self.live
        try:
            documents = self._index_into(target, state)
        except BaseException:
            if self.full:
                # Not live yet: nobody reads it. (A SIGKILL leaves it for clean_up.)
                shutil.rmtree(target.path, ignore_errors=True)
            raise
        if self.full and report.written:
            self.engine.publish(target)
            index_store.clean_up(self.index_dir, runs=False)  # this run's own tables are still open
        if report.written:
            # Running servers open what was written in the background; once they serve it, the
            # first request after this returns sees it.
            index_store.wait_for_readers(self.index_dir)
        live = index_store.current_generation(self.index_dir)
        report.generation = live.name if live else ""
        report.documents = documents
        return report

    def _index_into(self, target: Generation, state: RunState) -> int:
        """Indexes what changed; returns the number of articles in the target afterwards."""
        report = self.report
        sink = self.engine.batch(target, self.workers, expected=state.previous_count() if self.full else 0)
        changed = self._changed_articles(state)
        try:
            for article, entities in with_entities(changed, self._entities):
                sink.add(article, entities, self.hashes.pop(article.id))
            if report.read == 0:
                raise NothingRead(self._nothing_read_message())
            for article_id in self.replaced:
                sink.delete(article_id)
            protected = self._protected_paths()

            def unseen() -> Iterator[tuple[str, str, str]]:
                for article_id, content_hash, path in state.unseen_previous():
                    if _under_any(path, protected):
                        report.kept += 1
                        yield article_id, content_hash, path
                        continue
                    report.removed += 1
                    if not self.full:  # a new generation simply leaves it out
                        sink.delete(article_id)

            state.carry(unseen())
            if self.full and report.kept and self.live is not None:
                sink.carry_over(self.live, list(state.carried_ids()))
            self._group_copies(target, list(state.carried_ids()))
            if self.full or sink.pending:
                self.say(
                    f"writing the index: {report.added + report.updated + report.kept:,} articles to add, "
                    f"{len(self.replaced) + (0 if self.full else report.removed):,} to remove"
                )
                sink.commit()
                report.written = True
        except BaseException:
            sink.cancel()
            raise
        documents = state.count()
        if not report.written and (not self.manifest_fresh or state.differs_from_previous(self.reading)):
            # Nothing to write in the index, but the manifest was stale, files moved or raw keys were learnt.
            state.write(target, self.reading)
        if report.written:
            count = self.engine.count(target)
            if count != documents:
                raise IndexWriteError(f"the index holds {count} articles after writing, expected {documents}")
            state.write(target, self.reading)
            index_store.write_meta(
                target,
                {
                    "format": INDEX_FORMAT,
                    "extractor_version": _extractor_version(),
                    "updated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "corpus": [_path_to_json(str(p)) for p in self.corpus],
                    "documents": documents,
                },
            )
        return documents

    def _changed_articles(self, state: RunState) -> Iterator[Article]:
        """Reads the corpus; yields the articles to (re)index, counts the rest."""
        from search.readers import ReadOptions, corpus_size, read_changed

        report = self.report
        options = self.read_options or ReadOptions()
        self.reading = reading_key(options)
        # Records whose raw bytes made an indexed article are skipped unparsed when they are read the
        # same way as then, their article is kept (not a full rebuild) and its signature is at hand.
        skip = not self.full and self.manifest_fresh and state.previous_reading == self.reading
        check = RecordCheck(self._skippable if skip else lambda path, key: None)
        bar = _progress_bar(self.progress, *(corpus_size(self.corpus) if self.progress else (0, 0)))
        items = read_changed(self.corpus, check, options=options, on_bytes=bar.update if self.progress else None)
        try:
            for item in items:
                if isinstance(item, Problem):
                    report.add_problem(item)
                    continue
                bar.set_postfix_str(f"{report.read + 1:,} articles", refresh=False)
                if isinstance(item, Unchanged):  # never a duplicate (see _skippable)
                    state.add_unchecked(item.id, item.content_hash, item.path, item.key)
                    report.read += 1
                    report.unchanged += 1
                    report.skipped_unparsed += 1
                    self.signatures[item.id] = self.old_signatures[item.id]
                    continue
                content_hash = item.content_hash()
                if not state.add_seen(item.id, content_hash, item.origin.path, check.take()):
                    report.duplicates += 1
                    continue
                if skip:
                    self.parsed_ids.add(item.id)
                report.read += 1
                before = None if self.full else state.previous_hash(item.id)
                if before is None:
                    report.added += 1
                elif before != content_hash:
                    report.updated += 1
                    self.replaced.append(item.id)
                else:
                    report.unchanged += 1
                    self._sign(item, content_hash)
                    continue
                if item.supplied is not None:
                    report.supplied += 1
                self._sign(item, content_hash)
                self.hashes[item.id] = content_hash
                yield item
        finally:
            bar.close()

    def _skippable(self, path: str, key: bytes) -> tuple[str, str] | None:
        """(id, content hash) of the indexed article a record with this raw key made, when it may be
        skipped: it has a signature to keep (else it is parsed, to shingle it) and its id was not read
        yet this run (else it is parsed, and counted as the duplicate it is). Ids come once each from
        the previous manifest, so an id read before came from a parsed record (`parsed_ids`, as many
        as the changes) or from the same key earlier in the file (taken out of the file's keys)."""
        if path != self.keys_path:
            # A file met again (named twice) gives nothing more to skip: its keys were taken.
            again = path in self.keyed_paths
            self.keyed_paths.add(path)
            self.keys_path, self.keys = path, {} if again else self.state.previous_keys_of(path, FILE_KEYS)
        if self.keys is not None:
            found = self.keys.pop(key, None)
        else:  # a huge file: one query per record
            found = self.state.previous_by_raw(key)
            if found is not None and self.state.was_seen(found[0]):
                return None
        if found is None or found[0] in self.parsed_ids or found[0] not in self.old_signatures:
            return None
        return found

    def _sign(self, article: Article, content_hash: str) -> None:
        """The article's near-duplicate signature: the stored one when its text is unchanged (a full
        rebuild too), else computed (in batches: search.index.duplicates.signatures)."""
        if (
            self.state.previous_hash(article.id) == content_hash
            and (old := self.old_signatures.get(article.id)) is not None
        ):
            self.signatures[article.id] = old
            return
        self.unsigned.append((article.id, duplicates.article_text(article.title, article.body_text)))
        if len(self.unsigned) >= SIGN_BATCH:
            self._sign_pending()

    def _sign_pending(self) -> None:
        if not self.unsigned:
            return
        started = time.perf_counter()
        matrix = duplicates.signatures([text for _, text in self.unsigned])
        for (article_id, _), row in zip(self.unsigned, matrix):
            self.signatures[article_id] = row
        self.report.signed += len(self.unsigned)
        self.unsigned = []
        self.report.duplicate_seconds += time.perf_counter() - started

    def _group_copies(self, target: Generation, carried: list[str]) -> None:
        """Groups the generation's near duplicates and stores them with it, before the index commit:
        a searcher that opens the new commit finds its groups already there."""
        self._sign_pending()
        started = time.perf_counter()
        for article_id in carried:
            if (old := self.old_signatures.get(article_id)) is not None:
                self.signatures[article_id] = old
        # Every article read has a signature by now (self._sign), the carried ones their old one.
        rows = self.signatures
        signatures = duplicates.Signatures.of(rows)
        before = duplicates.load_groups(self.live.path) if self.live else {}
        # The same articles with the same signatures make the same groups: not grouped again.
        same = target == self.live and not self.report.signed and signatures.ids == sorted(self.old_signatures)
        groups = before if same else duplicates.group(signatures)
        if not same:  # an unchanged corpus rewrites nothing
            duplicates.save(target.path, signatures, groups)
        report = self.report
        report.copies = len(groups)
        report.copy_groups = len(set(groups.values()))
        report.groups_changed = sum(
            1 for article_id in groups.keys() | before.keys() if groups.get(article_id) != before.get(article_id)
        )
        report.duplicate_seconds += time.perf_counter() - started

    def _entities(self, articles: Iterable[Article]) -> Iterator[Entities]:
        return cached_entities(
            articles, index_store.entity_cache_path(self.index_dir), self.extractor, self.workers, self.report
        )

    def _protected_paths(self) -> set[PurePath]:
        return {PurePath(p) for p in self.report.unreadable_paths}

    def _nothing_read_message(self) -> str:
        where = ", ".join(str(p) for p in self.corpus)
        if self.report.skipped_count:
            return f"no article could be read from {where} ({self.report.skipped_count} problems)"
        return f"no articles found in {where}"


def cached_entities(
    articles: Iterable[Article],
    cache_path: Path,
    extractor: EntityExtractorLike | None,
    workers: int,
    report: ReindexReport,
) -> Iterator[Entities]:
    """Entities for each article, in order: from the entity cache at `cache_path` first, else from
    `extractor` (spaCy in `workers` processes when None); `report.extracted` counts the latter."""
    from search.entities.cache import EntityCache, extract_with_cache

    cache = EntityCache(cache_path)
    lazy = None if extractor else _LazyExtractor(workers)
    counting = _CountingExtractor(extractor or lazy)  # type: ignore[arg-type]  # one of them is set
    try:
        yield from extract_with_cache(articles, counting, cache)  # type: ignore[arg-type]  # duck-typed
    except BaseException as error:  # including GeneratorExit when the writing side failed
        if lazy is not None:
            lazy.abort(error)
        raise
    else:
        if lazy is not None:
            lazy.close()
    finally:
        report.extracted = counting.count
        cache.close()


class NothingRead(Exception):
    """The corpus gave no article at all: the index is left as it was."""


def _extractor_version() -> str:
    from search.entities.extract import EXTRACTOR_VERSION

    return str(EXTRACTOR_VERSION)


def _under_corpus(path: str, corpus: list[Path]) -> bool:
    """Whether an indexed article's file lies under one of the corpus paths (as written or resolved)."""
    pure = PurePath(path)
    resolved = None
    for root in corpus:
        if pure == root or root in pure.parents:
            return True
        if resolved is None:
            resolved = Path(os.path.abspath(path))
        absolute = Path(os.path.abspath(root))
        if resolved == absolute or absolute in resolved.parents:
            return True
    return False


def _under_any(path: str, roots: set[PurePath]) -> bool:
    """Whether `path` is one of `roots` or lies under one (a set: many unreadable files stay cheap)."""
    if not roots:
        return False
    pure = PurePath(path)
    return pure in roots or any(parent in roots for parent in pure.parents)


def with_entities(
    articles: Iterator[Article], extract: Callable[[Iterable[Article]], Iterator[Entities]]
) -> Iterator[tuple[Article, Entities]]:
    """Pairs each article with its entities; the extractor returns them in order, one each."""
    pending: deque[Article] = deque()

    def remembered() -> Iterator[Article]:
        for article in articles:
            pending.append(article)
            yield article

    for entities in extract(remembered()):
        yield pending.popleft(), entities
    if pending:
        raise RuntimeError(f"entity extraction returned nothing for {len(pending)} articles")


class _CountingExtractor:
    """Counts the articles that actually reach the extractor (the cache misses)."""

    def __init__(self, inner: EntityExtractorLike) -> None:
        self.inner = inner
        self.count = 0
        if hasattr(inner, "raw_many"):  # the model's spans, which the entity cache keeps
            self.raw_many = lambda articles: inner.raw_many(self._counted(articles))

    def _counted(self, articles: Iterable[Article]) -> Iterator[Article]:
        for article in articles:
            self.count += 1
            yield article

    def extract_many(self, articles: Iterable[Article]) -> Iterator[Entities]:
        return self.inner.extract_many(self._counted(articles))


class _LazyExtractor:
    """Loads spaCy (and starts its worker processes) only when an article needs extraction, once."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._extractor: Any = None  # an EntityExtractor, once needed

    def extract_many(self, articles: Iterable[Article]) -> Iterator[Entities]:
        return self._run("extract_many", articles)

    def raw_many(self, articles: Iterable[Article]) -> Iterator:
        """The model's spans (search.entities.extract.RawArticle), which the entity cache keeps."""
        return self._run("raw_many", articles)

    def _run(self, method: str, articles: Iterable[Article]) -> Iterator:
        iterator = iter(articles)
        for first in iterator:
            if self._extractor is None:
                from search.entities.extract import EntityExtractor

                self._extractor = EntityExtractor(workers=self.workers)

            def chained() -> Iterator[Article]:
                yield first
                yield from iterator

            yield from getattr(self._extractor, method)(chained())
            return

    def close(self) -> None:
        """Lets the worker processes finish and exit."""
        close = getattr(self._extractor, "close", None)
        if close:
            close()
        self._extractor = None

    def abort(self, error: BaseException) -> None:
        """Stops the worker processes now (Ctrl-C, a failure): waiting for them could hang
        when one died with its task."""
        leave = getattr(self._extractor, "__exit__", None)
        if leave:
            leave(type(error), error, error.__traceback__)
        self._extractor = None


# --- the manifest: id -> content hash and file, read fast on every run -------------------


def load_manifest(generation: Generation) -> tuple[dict[str, IndexedArticle], bool]:
    """The indexed articles of a generation, in memory (for tests and tools: a reindex queries
    them in place), and whether the manifest file was up to date."""
    state = RunState()
    try:
        fresh = state.load_previous(generation, WhooshIndex(generation.path.parent).stored_articles)
        return {key: IndexedArticle(h, p) for key, h, p in state.previous_articles()}, fresh
    finally:
        state.close()


def _path_to_json(path: str) -> str | dict:
    """A path as JSON can hold it: a file name that is not UTF-8 (held by Python with lone
    surrogates, which JSON cannot encode) is kept as its bytes, escaped, to read back exactly."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return {"bytes": os.fsencode(path).decode("latin-1")}


def _path_from_json(value: str | dict) -> str:
    if isinstance(value, dict):
        return os.fsdecode(value["bytes"].encode("latin-1"))
    return value


def _progress_bar(enabled: bool, files: int = 0, size: int = 0):
    """tqdm on a terminal's stderr, measured in bytes of the corpus (counted first, so it shows
    a total, a percentage and the time left); a no-op otherwise."""
    from tqdm import tqdm

    return tqdm(
        desc=f"reading {files:,} file{'s' * (files != 1)}",
        total=size or None,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        file=sys.stderr,
        mininterval=0.5,
        disable=not (enabled and sys.stderr.isatty()),
    )
