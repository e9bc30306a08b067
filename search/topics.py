"""Topics as the sources file them, made comparable: Dhaka Tribune's category ("sports",
"foreign_affairs"), AllSides' topic ("Elections"), Reuters' TOPICS ("crude", "money-fx") and
bdnews24's keywords ("Gazipur Madrasa"). Case, underscores and a trailing plural are normalised so
that "Sports", "sport" and "SPORTS" are one facet value, written "Sport".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from search.article import Article

# source_metadata keys whose values are topics (lists, or one string).
METADATA_TOPIC_KEYS = ("topics", "keywords", "tags")
MAX_TOPICS = 20  # bdnews24 keyword lists can be long; the first ones are the article's own
MAX_TOPIC_CHARS = 80
# Words whose final s is not a plural ("news", "politics", "affairs" as in foreign affairs).
_NOT_PLURAL = re.compile(r"(ss|us|is|ics|news|affairs|series|species|arms|sales|rates|times|data|ies?)$")


def _singular(word: str) -> str:
    if len(word) <= 3 or not word.endswith("s") or _NOT_PLURAL.search(word):
        if word.endswith("ies") and len(word) > 4:
            return word[:-3] + "y"  # "economies" -> "economy"
        return word
    return word[:-1]


def normalise_topic(text: str) -> str:
    """One topic as a facet value: separators and spacing tidied, a plural last word made singular,
    a topic written all in lower case (or all in capitals) capitalised; "White House" stays as written.
    Case does not separate values anyway: facet values are compared lower-cased."""
    tidy = " ".join(re.sub(r"[_\s]+", " ", text.replace(",", " ")).split())
    if not tidy or len(tidy) > MAX_TOPIC_CHARS:
        return ""
    if tidy.islower() or (tidy.isupper() and len(tidy) > 3):
        tidy = tidy.lower()
        tidy = tidy[:1].upper() + tidy[1:]
    head, _, last = tidy.rpartition(" ")
    if last.islower() or not head:
        last = last[:1] + _singular(last.lower())[1:] if last[1:].islower() else last
    return f"{head} {last}" if head else last


def article_topics(article: Article) -> Sequence[str]:
    """The topic facet values of an article: its topic field and the topic lists the source tags."""
    given: list[str] = [article.topic] if article.topic else []
    for key in METADATA_TOPIC_KEYS:
        value = article.source_metadata.get(key)
        if isinstance(value, str):
            given.append(value)
        elif isinstance(value, (list, tuple)):
            given.extend(v for v in value if isinstance(v, str))
    topics = dict.fromkeys(t for t in (normalise_topic(g) for g in given) if t)
    return list(topics)[:MAX_TOPICS]
