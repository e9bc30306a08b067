"""A search as an Atom feed (RFC 4287): the newest articles first, for a feed reader to follow.

Entry ids are tag URIs of the article id (RFC 4151), the same for an article whatever the search and
whatever the server's address. An entry's `updated` is when the article says it was updated, else
when it was published, else (an undated article) when it was indexed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from urllib.parse import quote
from xml.etree import ElementTree

from search.results import Hit, SearchResult

ATOM = "http://www.w3.org/2005/Atom"
TAG_AUTHORITY = "tag:dateline.search,2024:"
FEED_ENTRIES = 50


def entry_id(article_id: str) -> str:
    return f"{TAG_AUTHORITY}article/{quote(article_id, safe='')}"


def feed_id(query_string: str) -> str:
    return f"{TAG_AUTHORITY}search?{query_string}"


def rfc3339(text: str | None) -> str | None:
    """An ISO 8601 time as RFC 3339 (a zone always: a time without one is taken as UTC)."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.isoformat(timespec="seconds")


def entry_updated(hit: Hit, fallback: str) -> str:
    return rfc3339(hit.updated) or rfc3339(hit.published) or rfc3339(hit.indexed) or fallback


def build_feed(
    result: SearchResult, *, title: str, self_url: str, page_url: str, feed_key: str, article_url, fallback_time: str
) -> bytes:
    """The Atom document. `article_url(id)` is an article page's absolute address; `fallback_time`
    stands in for an article with no time at all (an index built before times were kept)."""
    feed = ElementTree.Element("feed", xmlns=ATOM)
    _text(feed, "title", title)
    _text(feed, "id", feed_id(feed_key))
    times = [entry_updated(hit, fallback_time) for hit in result.results]
    _text(feed, "updated", max(times, key=_instant) if times else fallback_time)
    ElementTree.SubElement(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    ElementTree.SubElement(feed, "link", rel="alternate", type="text/html", href=page_url)
    author = ElementTree.SubElement(feed, "author")
    _text(author, "name", "Dateline")
    _text(feed, "generator", "Dateline")
    for hit, updated in zip(result.results, times):
        _entry(feed, hit, updated, article_url(hit.id))
    return ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)


def _entry(feed: ElementTree.Element, hit: Hit, updated: str, href: str) -> None:
    entry = ElementTree.SubElement(feed, "entry")
    _text(entry, "id", entry_id(hit.id))
    _text(entry, "title", hit.title or hit.id)
    _text(entry, "updated", updated)
    if published := rfc3339(hit.published):
        _text(entry, "published", published)
    ElementTree.SubElement(entry, "link", rel="alternate", type="text/html", href=href)
    if hit.url and hit.url.startswith(("http://", "https://")):
        ElementTree.SubElement(entry, "link", rel="related", type="text/html", href=hit.url)
    if hit.source:
        author = ElementTree.SubElement(entry, "author")
        _text(author, "name", hit.source)
    summary = " … ".join(hit.snippets)  # escaped HTML with <mark>: an html summary, escaped once more here
    if hit.other_versions:
        summary += f" <p>({hit.other_versions} other version{'s' if hit.other_versions != 1 else ''})</p>"
    if summary:
        ElementTree.SubElement(entry, "summary", type="html").text = summary
    for category in _categories(hit):
        ElementTree.SubElement(entry, "category", term=category)


def _categories(hit: Hit) -> Iterable[str]:
    return dict.fromkeys([*hit.people, *(place.name for place in hit.places)])


def _text(parent: ElementTree.Element, tag: str, text: str) -> None:
    ElementTree.SubElement(parent, tag).text = _xml_safe(text)


def _xml_safe(text: str) -> str:
    # XML 1.0 forbids most control characters even escaped; an article may hold them.
    return "".join(c for c in text if c in "\t\n\r" or ord(c) >= 32)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)
