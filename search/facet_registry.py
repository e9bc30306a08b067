"""Every facet, once: the schema, the query language, the searcher, the page, the CLI and the
OpenAPI document loop over FACETS. Adding a facet is one entry here and tests: a SearchRequest
carries every facet's selected values in its one `filters` field (request.selected(name)).

A facet is counted one way: each live article counts once for each of its values, under every
filter but the facet's own (so the other values of a ticked facet stay visible).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from search.article import Article, Entities
from search.topics import article_topics, normalise_topic


@dataclass(frozen=True)
class Facet:
    name: str  # URL parameter, CLI option (--name), SearchRequest.filters key, query field (name:value)
    field: str  # index field: values as written stored, lower-cased terms indexed
    values: Callable[[Article, Entities], Sequence[str]]  # an article's values
    title: str  # the page's heading: "People"
    singular: str  # a chip on the page: "Person: Kim Jong Un"
    plural: str  # "people", as in "3 people"
    aliases: tuple[str, ...] = ()  # other names in the query language (people:, places:)
    # A value as typed -> as indexed, when the facet's values are normalised ("Sports" -> "Sport").
    normalise: Callable[[str], str] = str.strip

    @property
    def help(self) -> str:
        return f"only articles with this {self.singular.lower()} (repeat for several: any of them)"


FACETS: tuple[Facet, ...] = (
    Facet(
        "person", "person", lambda article, entities: entities.people, "People", "Person", "people", aliases=("people",)
    ),
    Facet(
        "place",
        "place",
        lambda article, entities: [p.name for p in entities.places],
        "Places",
        "Place",
        "places",
        aliases=("places",),
    ),
    Facet(
        "country",
        "country",
        lambda article, entities: entities.countries,
        "Countries",
        "Country",
        "countries",
        aliases=("countries",),
    ),
    # The outlet or agency; the byline (the author) is a text field of its own (byline:).
    Facet("source", "source", lambda article, entities: [article.source], "Sources", "Source", "sources"),
    # What the source files the article under (section, topic, TOPICS, keywords), normalised.
    Facet(
        "topic",
        "topic",
        lambda article, entities: article_topics(article),
        "Topics",
        "Topic",
        "topics",
        aliases=("topics",),
        normalise=normalise_topic,
    ),
)
FACETS_BY_NAME = {facet.name: facet for facet in FACETS}
FACET_NAMES: tuple[str, ...] = tuple(facet.name for facet in FACETS)
FACET_FIELDS: tuple[str, ...] = tuple(facet.field for facet in FACETS)
# Query-language field name -> facet field: each facet's name and its aliases.
QUERY_FIELDS = {name: facet.field for facet in FACETS for name in (facet.name, *facet.aliases)}
