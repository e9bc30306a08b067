"""What the archive says about one person or place: the entity pages' content, engine-agnostic.

A profile is made of two ordinary searches through the engine seam, so it is the same on every
engine: the person (or place) as a filter, newest first, gives the count, the date histogram, the
people and places named with them and the latest articles; the same filter with the name as a
phrase, best first, gives the articles that are most about them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from search.engine.interface import SearchEngine
from search.results import DateHistogram, FacetValue, Hit, SearchRequest
from search.settings import Limits

ENTITY_FACETS = ("person", "place")  # the facets with pages of their own
PROFILE_LIST = 10  # articles, people and places listed


@dataclass(frozen=True)
class EntityProfile:
    facet: str  # "person" or "place"
    name: str  # as the index writes it (the address may differ in case and spacing)
    total: int  # articles that name it
    dates: DateHistogram  # those articles over time (dates.undated: how many have no date)
    people: list[FacetValue]  # the people most often named in the same articles (never itself)
    places: list[FacetValue]  # the places most often named in the same articles (never itself)
    countries: list[FacetValue]
    latest: list[Hit]  # newest first
    relevant: list[Hit]  # the articles most about it: its name as a phrase, best first

    def to_dict(self) -> dict:
        return asdict(self)


def name_phrase(name: str) -> str:
    """The name as a phrase of the query language (quotes in it would end the phrase)."""
    return '"' + " ".join(name.replace('"', " ").split()) + '"'


def entity_profile(
    engine: SearchEngine, facet: str, name: str, limits: Limits | None = None, size: int = PROFILE_LIST
) -> EntityProfile | None:
    """The profile of a person or place (`facet`: "person" or "place"); None when no article names it.
    Raises BadRequest for a name beyond the limits (too long, NUL)."""
    if facet not in ENTITY_FACETS:
        raise ValueError(f"no entity pages for {facet!r}")
    request = SearchRequest(
        filters={facet: (name,)}, sort="newest", page_size=size, facet_limit=size + 1, snippets=False
    )
    request.validate(limits or Limits())
    latest = engine.search(request)
    if latest.total == 0:
        return None
    written = next((v.value for v in latest.facets.get(facet, []) if v.selected), name)

    def others(name_of_facet: str) -> list[FacetValue]:
        values = latest.facets.get(name_of_facet, [])
        return [v for v in values if not (name_of_facet == facet and v.selected)][:size]

    about = engine.search(
        SearchRequest(q=name_phrase(written), filters={facet: (name,)}, page_size=size, facet_limit=1)
    )
    # A place the articles call otherwise ("United States" written "U.S.") has no phrase hits:
    # its latest articles stand in.
    relevant = about.results if about.total else latest.results
    return EntityProfile(
        facet=facet,
        name=written,
        total=latest.total,
        dates=latest.dates,
        people=others("person"),
        places=others("place"),
        countries=others("country"),
        latest=latest.results,
        relevant=relevant,
    )
