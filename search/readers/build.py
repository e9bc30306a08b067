"""Turning the fields a format reader found into an Article (or a Problem), the same way for all."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from search.article import Article, Entities, Origin, Problem, article_id
from search.readers.text import clean_paragraphs, clean_text

_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
DERIVED_TITLE_WORDS = 14


def derive_title(body: tuple[str, ...]) -> str:
    """A stand-in title for an article that has none: its first sentence, shortened."""
    first = _SENTENCE_END.split(body[0], maxsplit=1)[0]
    words = first.split()
    return " ".join(words[:DERIVED_TITLE_WORDS]) + (" …" if len(words) > DERIVED_TITLE_WORDS else "")


def limit_text(parts: list[str], budget: int) -> tuple[list[str], bool]:
    """The parts cut to `budget` characters in all (at a space where there is one near), and
    whether anything was cut."""
    kept: list[str] = []
    for part in parts:
        if len(part) <= budget:
            kept.append(part)
            budget -= len(part)
            continue
        head = part[:budget]
        space = head.rfind(" ", max(0, budget - 200))
        if space > 0:
            head = head[:space]
        if head.strip():
            kept.append(head)
        return kept, True
    return kept, False


def build_article(
    origin: Origin,
    *,
    title: str = "",
    subtitle: str = "",
    source: str = "",
    byline: str = "",
    topic: str = "",
    published: datetime | None = None,
    updated: datetime | None = None,
    body: Iterable[str] = (),
    language: str = "",
    url: str | None = None,
    native_id: str | None = None,
    given_id: str | None = None,
    metadata: Mapping[str, object] | None = None,
    warnings: Iterable[str] = (),
    cleaned: bool = False,
    max_chars: int | None = None,
    supplied: Entities | None = None,
) -> tuple[Article | None, list[Problem]]:
    """The article, plus warning Problems mirroring its warnings; or None and an error Problem.

    A record with a body but no title is kept under a title taken from its first sentence
    (with a warning); a record with neither is skipped with an error.
    """
    notes = list(warnings)
    body = list(body)
    if max_chars is not None:
        # Cut before cleaning: a 30 MB record is never cleaned, analysed or written whole.
        kept, cut = limit_text([title, subtitle, *body], max_chars)
        kept += [""] * (2 - len(kept))
        title, subtitle, body = kept[0], kept[1], kept[2:]
        if cut:
            notes.append(
                f"article longer than {max_chars:,} characters (DATELINE_MAX_ARTICLE_CHARS); indexed cut to that length"
            )
    if cleaned:
        paragraphs = tuple(body)
    else:
        title, subtitle, source = clean_text(title), clean_text(subtitle), clean_text(source)
        byline, topic = clean_text(byline), clean_text(topic)
        paragraphs = clean_paragraphs(body)
    if not title:
        if not paragraphs:
            return None, [Problem(origin.path, "no title and no body text; record skipped", origin.record)]
        title = derive_title(paragraphs)
        notes.append("no title; title taken from the first sentence of the body")
    url = (url or "").strip() or None
    article = Article(
        id=given_id or article_id(url=url, native_id=native_id, title=title, published=published, body=paragraphs),
        title=title,
        origin=origin,
        subtitle=subtitle,
        source=source,
        byline=byline,
        published=published,
        updated=updated,
        body=paragraphs,
        language=(language or "en").strip().lower() or "en",
        url=url,
        topic=topic,
        source_metadata=dict(metadata or {}),
        warnings=tuple(notes),
        supplied=supplied,
    )
    problems = [Problem(origin.path, note, origin.record, "warning") for note in notes]
    return article, problems
