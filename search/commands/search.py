"""`dateline search`: the searcher on a terminal, or one JSON document (--json) as /api/search serves."""

from __future__ import annotations

import argparse
import html
import re
import shutil
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

from search.cli import CommandError
from search.export import FORMATS, csv_chunks, jsonl_chunks
from search.facet_registry import FACETS
from search.results import SORTS
from search.settings import Limits

# SearchRequest field -> the option that sets it, for errors that name what the user typed.
OPTIONS = {"page_size": "--page-size", "date_from": "--from", "date_to": "--to", "facet_limit": "--facets"}
OUTPUT_FORMATS = ("text", "json", "csv", "jsonl")
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "search",
        help="search the index",
        description='Search the index: words (all of them), "exact phrases", AND OR NOT -word, '
        "title: person: place: country: source: date:2023-07, rock*, rockt~, ( ).",
    )
    parser.add_argument("query", nargs="*", help="the query (empty: every article, newest first)")
    for facet in FACETS:
        parser.add_argument(f"--{facet.name}", action="append", default=[], metavar="NAME", help=facet.help)
    parser.add_argument(
        "--from", dest="date_from", type=_day, metavar="YYYY-MM-DD", help="published on or after this day"
    )
    parser.add_argument("--to", dest="date_to", type=_day, metavar="YYYY-MM-DD", help="published on or before this day")
    parser.add_argument(
        "--undated", action="store_true", help="only articles without a publication date (not with --from/--to)"
    )
    parser.add_argument(
        "--sort", choices=SORTS, default=None, help="relevance (default with a query), newest (default without), oldest"
    )
    parser.add_argument("--page", type=_whole, default=1, metavar="N")
    parser.add_argument(
        "--page-size",
        "--size",
        dest="page_size",
        type=_whole,
        default=None,
        metavar="N",
        help=f"results per page (default: DATELINE_PAGE_SIZE or {Limits().default_page_size}; "
        f"at most DATELINE_MAX_PAGE_SIZE or {Limits().max_page_size})",
    )
    parser.add_argument("--facets", type=int, default=5, metavar="N", help="values shown per facet (0: all)")
    parser.add_argument("--index", type=Path, metavar="DIR", help="index folder (default: DATELINE_INDEX or index/)")
    parser.add_argument(
        "--engine",
        type=Path,
        metavar="FILE",
        help="search the search cluster of this cluster.toml (default: DATELINE_ENGINE)",
    )
    parser.add_argument(
        "--collapse",
        choices=("on", "off"),
        default="on",
        help="on (default): one article per group of wire copies; off: every copy",
    )
    parser.add_argument(
        "--cursor",
        metavar="CURSOR",
        help="continue after this cursor (a next_cursor of --format json) instead of --page",
    )
    parser.add_argument(
        "--format",
        choices=OUTPUT_FORMATS,
        default=None,
        help="text (default); json: one JSON document, as /api/search; csv, jsonl: every row "
        "of the search up to DATELINE_EXPORT_LIMIT, columns as /api/search.csv",
    )
    parser.add_argument("--json", action="store_true", help="the same as --format json")
    parser.set_defaults(func=run)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day (YYYY-MM-DD): {text!r}") from None


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def run(args: argparse.Namespace) -> int:
    import orjson

    from search.engine.whoosh_engine import open_search_engine
    from search.index.store import IndexMissing
    from search.results import BadRequest, SearchRequest
    from search.settings import Settings

    try:
        settings = Settings.from_env()
    except ValueError as error:
        raise CommandError(str(error)) from None
    index_dir = args.index or settings.index_dir
    q = typed_text(" ".join(args.query))
    sort: Any = args.sort or ("relevance" if q.strip() else "newest")  # SearchRequest.validate checks it
    limits = settings.limits
    fmt = args.format or ("json" if args.json else "text")
    if args.json and fmt != "json":
        raise CommandError(f"--json and --format {fmt} disagree: give one of them")
    try:
        filters = {facet.name: tuple(typed_text(value) for value in getattr(args, facet.name)) for facet in FACETS}
        request = SearchRequest(
            q=q,
            filters=filters,
            date_from=args.date_from,
            date_to=args.date_to,
            undated=args.undated,
            sort=sort,
            page=args.page,
            page_size=limits.default_page_size if args.page_size is None else args.page_size,
            facet_limit=args.facets,
            collapse=args.collapse == "on",
            cursor=args.cursor,
        )
        request.validate(limits)
        engine_file = args.engine or settings.engine
        if engine_file is not None:
            engine = _open_cluster(engine_file, limits)
        else:
            engine = open_search_engine(index_dir, limits=limits)
        try:
            if fmt in FORMATS:
                result = engine.export(request, limits.export_limit)
            else:
                result = engine.search(request)
        finally:
            engine.close()
    except IndexMissing:
        raise CommandError(f"no index at {index_dir}: run dateline reindex") from None
    except BadRequest as error:
        option = OPTIONS.get(error.parameter or "", f"--{error.parameter}" if error.parameter else "")
        raise CommandError(f"{option}: {error}" if option else str(error)) from None
    if fmt == "json":
        sys.stdout.buffer.write(orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
        return 0
    if fmt == "csv":
        for chunk in csv_chunks(result.results):
            sys.stdout.write(chunk)
        return 0
    if fmt == "jsonl":
        for piece in jsonl_chunks(result.results):
            sys.stdout.buffer.write(piece)
        return 0
    print(render(result, color=sys.stdout.isatty()))
    return 0


def _open_cluster(engine_file, limits):
    from search.cluster.engine import ClusterUnavailable
    from search.cluster.open import open_cluster_search
    from search.cluster.spec import ClusterSpecError

    try:
        return open_cluster_search(engine_file, limits)
    except (ClusterSpecError, ClusterUnavailable, ConnectionError) as error:
        raise CommandError(str(error)) from None


def terminal_text(fragment: str, color: bool) -> str:
    """A marked HTML fragment for a terminal: marks in bold (or [brackets]), entities decoded."""
    before, after = ("\x1b[1m", "\x1b[0m") if color else ("[", "]")
    out = []
    position = 0
    for match in _MARK.finditer(fragment):
        out.append(_plain(fragment[position : match.start()]))
        out.append(before + _plain(match.group(1)) + after)
        position = match.end()
    out.append(_plain(fragment[position:]))
    return "".join(out)


def _plain(escaped: str) -> str:
    # Article text is shown, never interpreted by the terminal: no control characters.
    return _CONTROL.sub("", html.unescape(escaped))


def render(result, color: bool = False) -> str:
    width = min(100, shutil.get_terminal_size((100, 24)).columns)
    lines = []
    if result.notice:
        lines.append(f"note: {result.notice}")
    if result.interpreted_as:
        lines.append(f"searched for: {result.interpreted_as}")
    if result.suggestion:
        lines.append(f"did you mean: {result.suggestion}")
    if result.total == 0:
        lines.append("no articles found")
    else:
        shown_from = (result.page - 1) * result.page_size + 1
        shown_to = shown_from + len(result.results) - 1
        if result.results:
            folded = f" in {result.groups} stories" if result.collapse and result.groups < result.total else ""
            lines.append(
                f"{result.total} articles{folded}; {shown_from}-{shown_to} by {result.sort} "
                f"(page {result.page} of {result.pages}, {result.took_ms:.0f} ms)"
            )
        else:
            lines.append(f"{result.total} articles; page {result.page} is past the last ({result.pages})")
    for number, hit in enumerate(result.results, start=(result.page - 1) * result.page_size + 1):
        lines.append("")
        lines.append(f"{number}. {terminal_text(hit.title_html, color)}")
        meta = [part for part in ((hit.published or "")[:10], hit.source, hit.id) if part]
        if hit.other_versions:
            meta.append(f"{hit.other_versions} other version{'s' if hit.other_versions != 1 else ''}")
        lines.append("   " + " · ".join(meta))
        for snippet in hit.snippets:
            for line in textwrap.wrap(terminal_text(snippet, color), width=width - 3):
                lines.append("   " + line)
    facet_lines = []
    for name, values in result.facets.items():
        if values:
            listed = ", ".join(f"{'*' if v.selected else ''}{v.value} ({v.count})" for v in values)
            facet_lines.append(f"  {name}: {listed}")
    if result.dates.buckets:
        busy = [b for b in result.dates.buckets if b.count]
        listed = ", ".join(f"{b.label} ({b.count})" for b in busy[:12])
        more = f", … {len(busy) - 12} more" if len(busy) > 12 else ""
        outside = [
            f"{n} {where}" for n, where in ((result.dates.before, "earlier"), (result.dates.after, "later")) if n
        ]
        more += f" (outliers not shown: {', '.join(outside)})" if outside else ""
        facet_lines.append(f"  dates by {result.dates.unit}: {listed}{more}")
    if result.dates.undated:
        facet_lines.append(f"  undated: {result.dates.undated} (--undated lists them)")
    if facet_lines and result.total:
        lines.append("")
        lines.append("facets:")
        lines.extend(facet_lines)
    return "\n".join(lines)


def typed_text(arg: str) -> str:
    """A query or facet value as typed: bytes of the command line that are not UTF-8 (kept by Python
    as lone surrogates, which no answer can print) become U+FFFD, as a web request's do."""
    try:
        raw = arg.encode("utf-8", "surrogateescape")  # the bytes as they came: one U+FFFD for each bad run
    except UnicodeEncodeError:  # a surrogate no command line makes (a caller's own string)
        raw = arg.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace")
