"""`dateline reindex`: bring the index up to date with the corpus."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from search.cli import CommandError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "reindex",
        help="index new and changed articles of the corpus (all of them with --full)",
        description="Reads the corpus and updates the index: new and changed articles are added, "
        "articles no longer in the corpus are removed. Searches keep working meanwhile.",
    )
    parser.add_argument(
        "--corpus",
        action="append",
        type=Path,
        metavar="PATH",
        help="file or folder to index (repeatable; default: DATELINE_CORPUS or corpus/)",
    )
    parser.add_argument("--index", type=Path, metavar="DIR", help="index folder (default: DATELINE_INDEX or index/)")
    parser.add_argument(
        "--full", action="store_true", help="rebuild the whole index beside the live one, then swap it in"
    )
    parser.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="processes for entity extraction and writing (default: CPU count)",
    )
    parser.add_argument(
        "--no-wait", action="store_true", help="exit at once if another reindex is running, instead of waiting for it"
    )
    parser.add_argument(
        "--prune",
        action="store_true",
        help="remove indexed articles whose files lie outside the given corpus (without it, "
        "such a run stops and says how many would go)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar or summary")
    parser.add_argument(
        "--engine",
        type=Path,
        metavar="FILE",
        help="index into the search cluster of this cluster.toml (default: DATELINE_ENGINE; "
        "unset: the embedded index); always a full rebuild",
    )
    parser.add_argument(
        "--dask",
        metavar="tcp://HOST:PORT",
        help="run entity extraction (spaCy) on this Dask distributed scheduler's workers",
    )
    parser.set_defaults(func=run)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run(args: argparse.Namespace) -> int:
    from search.article import printable
    from search.index.indexer import CorpusNotFound, IndexWriteError, NothingRead, WouldRemove, reindex
    from search.index.store import IndexBusy
    from search.readers import ReadOptions
    from search.settings import Settings

    try:
        settings = Settings.from_env()
    except ValueError as error:
        raise CommandError(str(error)) from None
    corpus = tuple(args.corpus) if args.corpus else settings.corpus
    index_dir = args.index or settings.index_dir
    if settings.reindex_nice:
        os.nice(settings.reindex_nice)  # its worker processes inherit it

    def log(message: str) -> None:
        if not args.quiet:
            print(f"dateline reindex: {message}", file=sys.stderr, flush=True)

    def waiting(pid: int | None) -> None:
        who = f"pid {pid}" if pid else "another process"
        print(f"dateline reindex: waiting for another reindex ({who}) to finish", file=sys.stderr, flush=True)

    extractor = _dask_extractor(args.dask) if args.dask else None
    try:
        engine_file = args.engine or settings.engine
        if engine_file is not None:
            return _run_cluster(args, corpus, engine_file, settings, log, extractor)
        report = reindex(
            corpus,
            index_dir,
            full=args.full,
            workers=args.workers,
            progress=not args.quiet,
            read_options=ReadOptions(
                default_timezone=settings.default_timezone, max_article_chars=settings.max_article_chars
            ),
            wait=not args.no_wait,
            on_wait=waiting,
            log=log,
            prune=args.prune,
            extractor=extractor,
        )
    except CorpusNotFound as error:
        raise CommandError(str(error)) from None
    except WouldRemove as error:
        raise CommandError(
            f"{error}; nothing was changed. Name that corpus too, or pass --prune to remove them"
        ) from None
    except IndexBusy as error:
        raise CommandError(f"{error}; try again when it has finished (or leave out --no-wait)") from None
    except NothingRead as error:
        raise CommandError(f"{printable(str(error))}; the index was left as it was") from None
    except IndexWriteError as error:
        raise CommandError(f"could not write the index: {error}; the previous index is still live") from None
    except OSError as error:
        where = f" {printable(str(error.filename))}" if error.filename else ""
        raise CommandError(
            f"could not write the index in {index_dir}:{where}: {error.strerror or error}; "
            "the previous index is still live"
        ) from None
    finally:
        if extractor is not None:
            extractor.close()
    if not args.quiet:
        for line in report.summary():
            print(line)
    return 0


def _dask_extractor(address: str):
    from search.entities.dask_extract import DaskExtractor, DaskUnavailable

    try:
        return DaskExtractor(address)
    except DaskUnavailable as error:
        raise CommandError(str(error)) from None


def _run_cluster(args: argparse.Namespace, corpus, engine_file: Path, settings, log, extractor=None) -> int:
    from search.cluster.reindex import reindex_cluster
    from search.cluster.spec import ClusterSpec, ClusterSpecError
    from search.cluster.writer import ClusterWriteError
    from search.index.indexer import NothingRead
    from search.index.store import IndexBusy
    from search.readers import ReadOptions

    try:
        report = reindex_cluster(
            corpus,
            ClusterSpec.load(engine_file),
            workers=args.workers,
            read_options=ReadOptions(
                default_timezone=settings.default_timezone, max_article_chars=settings.max_article_chars
            ),
            wait=not args.no_wait,
            log=log,
            extractor=extractor,
        )
    except (ClusterSpecError, ClusterWriteError) as error:
        raise CommandError(str(error)) from None
    except IndexBusy as error:
        raise CommandError(f"{error}; try again when it has finished (or leave out --no-wait)") from None
    except NothingRead as error:
        raise CommandError(f"{error}; the live generation was left as it was") from None
    if not args.quiet:
        for line in report.summary():
            print(line)
    return 0
