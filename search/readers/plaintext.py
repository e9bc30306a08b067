"""One article per plain-text file: the title on the first line, then a blank line, then
paragraphs separated by blank lines (the BBC News layout). No date, byline or URL; the outlet
is known only from a corpus folder named after it (bbc_news/ -> BBC News)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from search.article import Article, Origin, Problem
from search.readers.build import build_article
from search.readers.options import ReadOptions
from search.readers.outlets import outlet_from_folder
from search.readers.text import block_paragraphs

MAX_TITLE_CHARS = 300


def read_plain_text(path: str, text: str, options: ReadOptions) -> Iterator[Article | Problem]:
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None:
        yield Problem(path, "no text (only blank lines)")
        return
    title = lines[start].strip()
    next_line = lines[start + 1] if start + 1 < len(lines) else ""
    if next_line.strip() or len(title) > MAX_TITLE_CHARS:
        # Word lists, notes and other text files beside a corpus land here.
        yield Problem(
            path,
            "skipped: not an article (plain text needs a title line, then a blank line, then the body)",
            severity="warning",
        )
        return
    body: list[str] = []
    block: list[str] = []
    for line in lines[start + 2 :] + [""]:
        if line.strip():
            block.append(line)
        elif block:
            body.extend(block_paragraphs(block))
            block = []
    folder = Path(path).parent.name
    article, problems = build_article(
        Origin(path, line=start + 1),
        title=title,
        body=body,
        source=outlet_from_folder(path),
        metadata={"folder": folder} if folder else None,
        max_chars=options.max_article_chars,
    )
    if article is not None and not article.body:
        problems.append(Problem(path, "only a title line, no body text", severity="warning"))
    yield from problems
    if article is not None:
        yield article
