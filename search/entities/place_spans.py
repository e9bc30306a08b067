"""Which of the model's spans in an article name places, and which place each is: the rules
between the NER and the gazetteer (search/entities/places.py).

The input is plain data, so the same rules serve spans fresh from the model and spans kept from
an earlier run: per span its label, its text and the two words before it; per article its text,
its upper-case headlines (scanned against the gazetteer: the model is unreliable on capitals),
its outlet's country and the names of its people.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from functools import lru_cache

from search.article import Place
from search.entities.places import gazetteer, is_demonym, party_tag_states, place_key, used_only_as_a_side

# (label, text, the word before, the word before that); "" where there is none.
Span = tuple[str, str, str, str]

PLACE_LABELS = frozenset({"GPE", "LOC"})
# The small model reads some less known towns as organisations, people or products ("via
# Chattogram port"); after a locative phrase ("in", "near", "city of") a span that is a known
# place name is taken as that place.
MISREAD_LABELS = frozenset({"ORG", "PERSON", "FAC", "PRODUCT"})
_LOCATIVE_WORDS = frozenset({"in", "near", "at", "outside", "around", "from"})
_PLACE_NOUNS = frozenset(
    {
        "city",
        "town",
        "village",
        "port",
        "capital",
        "region",
        "province",
        "district",
        "state",
        "island",
        "settlement",
        "oblast",
    }
)
# "Real Madrid", "Inter Milan", "Bayer Leverkusen": the place word of a club's name.
_CLUB_PREFIXES = frozenset(
    {
        "Real",
        "Inter",
        "Atletico",
        "Atlético",
        "Sporting",
        "Athletic",
        "Dynamo",
        "Dinamo",
        "Olympique",
        "Borussia",
        "Bayer",
        "Racing",
        "AC",
        "AS",
        "FC",
        "AFC",
        "RC",
    }
)
# A span ending in one of these names a building, a road or a venue, which is no place here.
_FACILITY_WORDS = frozenset(
    {
        "house",
        "hall",
        "tower",
        "towers",
        "building",
        "stadium",
        "arena",
        "airport",
        "station",
        "hospital",
        "hotel",
        "bridge",
        "road",
        "avenue",
        "street",
        "palace",
    }
)
_EDGES = " ,.;:'\""


def article_places(
    spans: Iterable[Span],
    text: str,
    headlines: Iterable[str] = (),
    outlet: str | None = None,
    people: Iterable[str] = (),
) -> list[Place]:
    """The places an article names, in order of first mention, each once."""
    gaz = gazetteer()
    names: list[str] = []
    tentative: list[str] = []  # places only if the article's context agrees
    for headline in headlines:
        names.extend(gaz.scan_headline(headline))
    names.extend(party_tag_states(text))  # "(D-Mass.)": Massachusetts
    names.extend(parenthesised_countries(text))  # "B Lima (Samoa)": a player's national side
    spans = list(spans)
    # Names the model reads as an organisation after a word that takes an organisation or a team
    # ("a goal for Chelsea", "the final against Chelsea"): a club or a firm in this article, so
    # not a place after "at" either ("honours won at Chelsea").
    organisations = {name for label, name, before, _ in spans if label == "ORG" and before.casefold() in _ACTOR_WORDS}
    for label, span_text, before, before2 in spans:
        span_text = _NUMBERED_PART.sub("", span_text)
        if label in PLACE_LABELS:
            name = _whole_name(span_text.strip(_EDGES), before, before2)
            if not is_demonym(name) and _names_a_place(name, before) and not _owned_elsewhere(name, before, before2):
                names.append(name)
        elif label in MISREAD_LABELS:
            _misread(label, span_text, before, before2, names, tentative, outlet, organisations)
    people = list(people)
    tentative.extend(unlabelled_place_words(text, people))
    names = [name for name in names if not used_only_as_a_side(name, text)]
    tentative = [name for name in tentative if not used_only_as_a_side(name, text)]
    return gaz.resolve_all(names, outlet=outlet, people=people, tentative=tentative)


_PARENTHESISED = re.compile(r"\(([A-Z][A-Za-z.' -]{1,30})\)")


def parenthesised_countries(text: str) -> list[str]:
    """Countries written alone in brackets: a team sheet's national sides ("C Latham (Australia);
    B Lima (Samoa)"), a firm's branch ("Unilever (UK)"), which the model often leaves without a span."""
    if "(" not in text:
        return []
    gaz = gazetteer()
    return [match.group(1) for match in _PARENTHESISED.finditer(text) if gaz.is_country(match.group(1))]


# The model gives no span at all to many plain mentions of well-known cities ("5:30pm Dhaka time",
# "a Dhaka-based exporter", "the Dhaka-10 by-poll", "Chattogram does not have any direct flights").
# A city of a million people or more, named alone, is that city wherever the article is about its
# country; and "Word-<number>" (a numbered section or seat: "Gulshan-2", "Mirpur-10") is the place
# Word. Both are tentative: they count only as places of a country the article or its outlet
# names (search.entities.places.Gazetteer.resolve), so "Barcelona" in a match report naming no
# Spain, or "Houston" in a story set elsewhere, is no place.
SCANNED_CITY_POPULATION = 1_000_000
_CAPITAL_WORD = re.compile(r"\b[A-Z][a-z]{2,}\b")
_CAPITAL_RUN_OF_LETTERS = re.compile(r"[A-Z][a-z]{2,}")  # a quick superset of _CAPITAL_WORD, without \b
_NUMBERED = re.compile(r"-\d{1,2}\b")
_NUMBERED_WORD = re.compile(r"\b([A-Z][a-z]{2,})-\d{1,2}\b")
_WORD_BEFORE = re.compile(r"([A-Za-z][\w'’.]*)\s+(?:(of|de|du|del)\s+)?$")
# Capitalised words that open a sentence or a title rather than belong to a name before the city.
_OPENING_WORDS = frozenset(
    "in at from to and or of for on by with near across outside around inside into via the but as when while after"
    " before since like unlike than both between".split()
)


@lru_cache(maxsize=1)
def _scanned_cities() -> frozenset[str]:
    """Keys of the single-word names of the world's cities of SCANNED_CITY_POPULATION or more."""
    gaz = gazetteer()
    # Not a city-state's name ("Singapore"), which is the country first: "Singapore dollar".
    return frozenset(
        key for key, _ in gaz.cities.big_cities(SCANNED_CITY_POPULATION) if " " not in key and key not in gaz.fixed
    )


def unlabelled_place_words(text: str, people: Iterable[str] = ()) -> list[str]:
    """Big cities named alone and numbered parts of places in an article's text, whatever the
    model made of them; never a word of a longer capitalised name ("Dhaka Tribune", "University of
    Dhaka", "Bayern Munich") or of a person's name in the article ("Whitney Houston")."""
    cities = _scanned_cities()
    # Which words to look at, found in C first: most articles name no such city at all.
    wanted = {word for word in set(_CAPITAL_RUN_OF_LETTERS.findall(text)) if word.casefold() in cities}
    wanted.update(_NUMBERED_WORD.findall(text))
    if not wanted:
        return []
    found: list[str] = []
    people_words = {part.casefold() for person in people for part in person.split()}
    gaz = gazetteer()
    for match in re.finditer(r"\b(?:" + "|".join(sorted(wanted)) + r")\b", text):
        word, end = match.group(), match.end()
        key = word.casefold()
        if text[end : end + 1] == " " and text[end + 1 : end + 2].isupper():
            continue  # a word of a longer name: "Dhaka City College", "Houston Rockets"
        before = _WORD_BEFORE.search(text, max(0, match.start() - 40), match.start())
        if before is not None and before.group(1)[:1].isupper() and before.group(1).casefold() not in _OPENING_WORDS:
            if before.group(2) is not None or not before.group(1).endswith("."):
                continue  # "Bayern Munich", "University of Dhaka"; not after a sentence's end
        if key in people_words:
            continue
        if key in cities or (_NUMBERED.match(text, end) is not None and place_key(word) in gaz.cities):
            found.append(word)
    return list(dict.fromkeys(found))


# A numbered part of a place is that place: "Gulshan-2", "Mirpur-10" (Dhaka's sections), "Dhaka-10"
# (a parliamentary seat in Dhaka).
_NUMBERED_PART = re.compile(r"(?<=[a-z])-\d{1,2}$")


def after_locative(before: str, before2: str) -> bool:
    before = before.casefold()
    return before in _LOCATIVE_WORDS or (before == "of" and before2.casefold() in _PLACE_NOUNS)


def _toward(before: str, before2: str) -> bool:
    """After "to" (not "according to"): weaker than a locative, so only for places the context has."""
    return before.casefold() == "to" and before2.casefold() != "according"


def _names_a_place(name: str, before: str) -> bool:
    """False for a GPE span that is no place name: all lower case ("in midfield"), the place
    word of a club's name ("Real Madrid"), or a facility ("the White House", "Gulshan Avenue")."""
    if name == name.lower() or name.rsplit(" ", 1)[-1].casefold() in _FACILITY_WORDS:
        return False
    return before not in _CLUB_PREFIXES


def _owned_elsewhere(name: str, before: str, before2: str) -> bool:
    """True for "Spain's Iberia", "Japan's Toyota": a name after a country's possessive is something
    of that country, so when no place of that name lies in that country it is an organisation or a
    brand, not a place. A country or region after it stays ("Britain's Iraq policy")."""
    if before not in ("'s", "’s") or not before2[:1].isupper():
        return False
    gaz = gazetteer()
    if not gaz.is_country(before2) or place_key(name) in gaz.fixed:
        return False
    owner = gaz.fixed[place_key(before2)].country
    place = gaz.resolve(name, {owner} if owner else ())
    return place is None or place.country != owner


def _whole_name(name: str, before: str, before2: str) -> str:
    """The span with the words before it that make a longer known name ("sub-Saharan" + "Africa")."""
    fixed = gazetteer().fixed
    for longer in (f"{before2} {before} {name}", f"{before} {name}"):
        if before and place_key(longer) in fixed:
            return longer
    return name


def _misread(
    label: str,
    text: str,
    before: str,
    before2: str,
    names: list[str],
    tentative: list[str],
    outlet: str | None = None,
    organisations: Collection[str] = (),
) -> None:
    """A span the model did not call a place that names one: added to `names`, or to `tentative`
    when only the article's context can say it is a place. `organisations` are the names the
    article's spans read as organisations after a word that takes one ("for", "against")."""
    gaz = gazetteer()
    read_as_organisation = label == "ORG" and text in organisations
    located = after_locative(before, before2) and not read_as_organisation
    toward = _toward(before, before2) and not read_as_organisation
    if label != "PERSON" and (located or toward) and gaz.knows(text):
        names.append(text)  # "the city of Bakhmut" read as an ORG
    elif label == "ORG" and gaz.is_country(text):
        names.append(text)  # "Ecuador and Paraguay": a national side names its country
    elif (located or (label == "PERSON" and toward)) and place_key(text) in gaz.cities:
        tentative.append(text)  # "stationed from Banani", "to Khilkhet": Dhaka neighbourhoods
    elif (label != "PERSON" or before in _LIST_WORDS) and (city := _home_city_word(text, outlet)) is not None:
        # A city of the outlet's own country, named alone and read as an organisation ("will
        # depart Dhaka", "after Dhaka detected its first cases": the capital for its government)
        # or before a possessive ("Dhaka's Hazrat Shahjalal International Airport"); or read as a
        # person in a list ("Dhaka, Mymensingh, and Sylhet divisions"). Only at home:
        # abroad, a city's name alone is far more often a club ("Sevilla", "Chelsea").
        tentative.append(city)


def _home_city_word(text: str, outlet: str | None) -> str | None:
    """The major city of the outlet's country a span is, alone or before "'s"."""
    if outlet is None:
        return None
    gaz = gazetteer()
    text = text.strip(_EDGES).replace("’", "'")
    head, possessive, _ = text.partition("'s ")
    word = head if possessive else text.removesuffix("'s")  # "Leicester's" read as one span
    if " " in word or len(word) < 3 or not word[:1].isupper() or word.isupper() or not gaz.knows(word):
        return None
    home = any(
        c.own_name and c.population >= _METONYM_POPULATION and gaz.country_by_code.get(c.country_code) == outlet
        for c in gaz.cities.lookup(place_key(word))
    )
    return word if home else None


# Words before a name that take an organisation or a team, seldom a place.
_ACTOR_WORDS = frozenset({"against", "for", "by", "with", "versus", "vs", "v", "beat", "joined", "signed", "sued"})
_LIST_WORDS = frozenset({",", "and", "or"})
# A city's name alone stands for its government or its people when it is a major city ("Dhaka
# says", "Chittagong votes"); a district or suburb named alone is a club or a firm far more often
# ("Chelsea", 60,000 people, in a match report).
_METONYM_POPULATION = 100_000
