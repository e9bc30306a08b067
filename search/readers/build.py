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


def build_article(
    origin: Origin,
    *,
    title: str = "",
    subtitle: str = "",
    source: str = "",
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
    supplied: Entities | None = None,
) -> tuple[Article | None, list[Problem]]:
    """The article, plus warning Problems mirroring its warnings; or None and an error Problem.

    A record with a body but no title is kept under a title taken from its first sentence
    (with a warning); a record with neither is skipped with an error.
    """
    notes = list(warnings)
    if cleaned:
        paragraphs = tuple(body)
    else:
        title, subtitle, source = clean_text(title), clean_text(subtitle), clean_text(source)
        paragraphs = clean_paragraphs(body)
    if not title:
        if not paragraphs:
            return None, [Problem(origin.path, "no title and no body text; record skipped",
                                  origin.record)]
        title = derive_title(paragraphs)
        notes.append("no title; title taken from the first sentence of the body")
    url = (url or "").strip() or None
    article = Article(
        id=given_id or article_id(url=url, native_id=native_id, title=title, published=published,
                                  body=paragraphs),
        title=title,
        origin=origin,
        subtitle=subtitle,
        source=source,
        published=published,
        updated=updated,
        body=paragraphs,
        language=(language or "en").strip().lower() or "en",
        url=url,
        source_metadata=dict(metadata or {}),
        warnings=tuple(notes),
        supplied=supplied,
    )
    problems = [Problem(origin.path, note, origin.record, "warning") for note in notes]
    return article, problems
