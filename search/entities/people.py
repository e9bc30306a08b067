"""People in one article: the model's PERSON spans made into names, one value per person.

Rules, all general (title lists and the structure of names, never single articles):
- titles, honorifics and roles are never part of a name, before it ("BNP Chairperson Khaleda
  Zia", "Begum Khaleda Zia", "Chief Adviser Muhammad Yunus") or after it ("Zia Bir Uttam");
  "Md", "Mohammad", "Sheikh" and "Mirza" are parts of names and stay;
- spans the model cuts in two ("Mirza Fakhrul" + "Islam Alamgir") are joined when they touch:
  long South Asian names stay whole;
- a span the model calls an organisation is a person when a personal title stands before it
  ("President Rubana Huq") and the rest is name-shaped;
- organisation and place words ("Dal", "Parishad", "Centre", "State", "Char") and camel-case
  run-ons ("ClintonDemocrats") make a span not a name; photo credits ("AP Photo/Name") are not
  mentions;
- boilerplate glued to a name goes: share buttons ("Facebook Twitter Pinterest Barack Obama"),
  a dateline before a dash ("Fla.—President Donald Trump"), the same person restated ("Barack
  Obama Barack Hussein"); "the Obama White House" names Obama; an institution named after a
  person ("Ronald Reagan Presidential Library") is none;
- a name right after an organisation noun ("oil giant Yukos", "Saudi side Al Hilal") is an
  organisation's in the whole article;
- within an article, a partial mention (surname, first name, a name without its last parts)
  joins the one full name it belongs to; a name with Jr/Sr is another person, and middle
  initials must agree ("George W. Bush" is not "George H.W. Bush"); a short given name joins
  the long one ("Steve Gerrard", "Steven Gerrard"); a father's name after "bin"/"binte" is not
  a partial form of the child's ("Benazir" beside "Farheen Rishta Binte Benazir");
- single words the model reads as something else, or as a person but also a city's name, are
  weak mentions (doubtful_people) for the corpus to join to a full name or drop;
- a name run on into a title-case headline ("Obama Asks") is cut to the name the prose gives
  (headline_people); a surname after a man's title is not a woman's full name ("Mr. Obama",
  "First lady Michelle Obama": different_people); a name run on into English words ("GOP Slams
  Obama", "Obama To Iranians", "Presidents Obama") is cut to the name (run_on_people);
- runs of capitalised words the model gave no span are weak mentions too (unlabelled_names): the
  name map shows only those the corpus knows well as people ("the Sheikh Hasina-led government").
What the corpus as a whole says (a surname across articles, what the model usually calls a
string) is applied later, when a generation's facet columns are built (search.entities.name_map).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet

from whoosh.analysis import STOP_WORDS

from search.article import Place
from search.entities.english import is_english_word, is_function_word, is_inflected_verb
from search.entities.places import gazetteer, is_demonym, place_key

# Words that precede (or follow) a name but are not part of it ("Defence Minister Sergei Shoigu",
# "leader Kim Jong Un"). "Sheikh" and "Mirza" are absent: in South Asian and Gulf names they are
# part of the name people search for ("Sheikh Hasina", "Mirza Fakhrul Islam Alamgir").
TITLE_WORDS = frozenset(
    """
mr mrs ms miss mx dr prof professor sir dame lord lady rev reverend father sister brother
president vice prime minister premier chancellor secretary treasury state foreign defence defense
finance trade interior home economy economic energy oil agriculture health education justice
emperor empress crown cardinal archbishop bishop ayatollah
emir gen general lt lieutenant col colonel maj major capt captain adm admiral
cmdr commander sgt sergeant cpl marshal field brig brigadier sen senator rep representative
congressman congresswoman gov governor mayor judge magistrate chief leader chairman chairwoman
chairperson chair ceo cfo coo executive director manager spokesman spokeswoman spokesperson ambassador envoy
commissioner deputy acting former late supreme opposition party mp lawmaker attorney
speaker counsel officer official analyst economist dealer trader
north south korean russian ukrainian american british chinese japanese us u.s u.k uk french german
treasurer mines labour labor commerce transport industry planning
begum adviser advisor retd advocate barrister engineer maulana mawlana moulana hazrat alhaj haji shaheed
principal vc proctor convener convenor coordinator organiser organizer member whip
senior joint assistant additional organising organizing general-secretary secretary-general
young teenage superstar star actor actress singer filmmaker director producer photographer teenager youngster veteran
striker midfielder defender goalkeeper keeper forward winger captain skipper coach batter batsman
bowler pacer spinner opener all-rounder allrounder legend
inspector superintendent constable detective sheriff
""".split()
)

# A one-word name after these is known by that form ("Pope Francis", "Prince William"): the
# title stays, since the bare word is not a usable facet value.
STYLE_TITLES = frozenset("pope prince princess king queen".split())

# Share buttons printed before a photo caption ("Facebook Twitter Pinterest Barack Obama embraces
# ..."): the model reads them into the name that follows; a platform's name is never part of one.
SHARE_WORDS = frozenset(
    "facebook twitter pinterest whatsapp linkedin instagram email e-mail share tweet reddit".split()
)

# "the Obama White House", "the Bush Administration": the person's government, named after them;
# the mention is of the person, and the words after the name are not part of it.
GOVERNMENT_OF = (("white", "house"), ("white", "houses"), ("administration",), ("administrations",))

# Honours written after a name in Bangladesh ("Ziaur Rahman Bir Uttam").
_TRAILING_HONOURS = (
    ("bir", "uttam"),
    ("bir", "bikram"),
    ("bir", "protik"),
    ("bir", "pratik"),
    ("bir", "sreshtho"),
    ("bir", "srestho"),
)

# Lower-case words allowed inside a name ("Ludwig van Beethoven", "Osama bin Laden").
NAME_PARTICLES = frozenset(
    "de da das do dos du di del della der den van von ter te bin ibn bint binte al el la le y e".split()
)

# A span with one of these is an organisation, a place or a fragment, not a person.
NOT_NAME_WORDS = frozenset(
    """
inc corp corporation co company ltd plc llc lp ag sa nv bank group holdings university college
ministry department party council committee reuters reuter news agency times post exchange
fund association institute trust board court army navy police government commission
cts shr net div qtr qtly dlrs pct mln billion vs avg revs oper rev sales
mining oil steel energy resources industries airlines airways motors petroleum chemical chemicals
international systems technologies communications financial securities capital partners
investment investments insurance savings bancorp bancshares railways railway united hotspur
fc club coronavirus covid cases parish county falls river lake bay port mount codes
dal parishad oikya andolan shakti forum front jote league sangsad samity samiti sangram
centre center foundation hall graveyard square airport hotel sheraton road avenue street stadium
bridge makeover highlights state char upazila district division city island dems market
library museum memorial presidential national office
""".split()
)

_BAD_CHARS = re.compile(r"[\d<>@/\\|#&=+_*%$\[\]{}()\"“”;:!?]")
_POSSESSIVE = re.compile(r"(?:'s|'|s')$")
# "ClintonDemocrats": a capital after three lower-case letters is two words run together;
# "McIlroy", "DeSantis", "MacArthur" have at most two before it.
_RUN_ON = re.compile(r"[a-z]{3}[A-Z]")
_ACRONYM = re.compile(r"[A-Z]{2,6}")
_ROMAN = re.compile(r"[IVX]{2,4}")  # "Richard Bush III"
_PHRASE_IN_A_WORD = re.compile(r"-(?:the|of|and|in|for|a)-", re.IGNORECASE)

# A name right after one of these nouns is an organisation's, whatever the model says: "oil giant
# Yukos", "Saudi club Al Hilal", "the law firm Pryor Cashman", "anti-abortion group Susan B.
# Anthony List". Not nouns of people's trades ("producer Harvey Weinstein", "broker George Fox"),
# nor "maker" ("film maker Spike Lee").
ORGANISATION_NOUNS = frozenset(
    """
club firm company giant group bank carrier airline outfit brand chain newspaper magazine network
band manufacturer retailer insurer lender conglomerate startup operator website channel side daily paper
tabloid outlet organisation organization
""".split()
)

PERSON = "PERSON"
# Labels whose spans count as evidence that a string is not a person (search.entities.name_map).
OTHER_LABELS = frozenset({"ORG", "GPE", "LOC", "NORP", "FAC", "PRODUCT", "WORK_OF_ART", "EVENT"})

# One span as the model gave it, in plain data (what the entity cache keeps):
# label, text, the token before it, the token before that, tokens since the previous span
# of the same paragraph (-1: the first span of a paragraph; TEAM_SHEET: a player of a team sheet).
RawSpan = tuple[str, str, str, str, int]
TEAM_SHEET = -2


def _word(token: str) -> str:
    return token.rstrip(".,").casefold()


def _is_title(token: str) -> bool:
    return _word(token) in TITLE_WORDS


def clean_person(text: str, after_title: bool = False) -> tuple[str | None, bool]:
    """A PERSON span as a name, or None if it is not one; and whether a title was dropped.

    A name that is also a place ("Shah Alam", a Malaysian city) is a person only after a title."""
    text = text.replace("’", "'").replace("‘", "'").strip(" ,.;:-–—'\n\t")
    if _BAD_CHARS.search(text) or not re.search(r"[a-z]", text) or _RUN_ON.search(text):
        return None, False  # digits, markup, all capitals, words run together
    tokens = text.split()
    if tokens:
        tokens[-1] = _POSSESSIVE.sub("", tokens[-1]) if tokens[-1].endswith(("'s", "'")) else tokens[-1]
    while tokens and tokens[0].casefold() in SHARE_WORDS:
        tokens.pop(0)
    titled = False
    style: str | None = None
    while len(tokens) > 1:
        first = tokens[0]
        if _word(first) in STYLE_TITLES:
            style = first.rstrip(".")
        elif not (_is_title(first) or (_ACRONYM.fullmatch(first) and _is_title(tokens[1]))):
            break  # "BNP Chairperson ...": an organisation's acronym before a title goes with it
        tokens.pop(0)
        titled = True
    if tokens and tokens[0].casefold() == "the":
        tokens.pop(0)
    # A portfolio or body before the title ("Law Adviser Asif Nazrul", "BNP Standing Committee
    # Member Amir Khasru"): everything up to the last title word within the first five words goes.
    last_title = max((i for i in range(1, min(5, len(tokens) - 1)) if _is_title(tokens[i])), default=0)
    if last_title:
        tokens = tokens[last_title + 1 :]
        titled = True
    # A title after a name goes ("Zia Bir Uttam", "Mahmud Chairman"), unless it would leave one word:
    # then it is the family name ("John Major", "Ian Bishop").
    while len(tokens) > 2 and (_is_title(tokens[-1]) or tuple(t.casefold() for t in tokens[-2:]) in _TRAILING_HONOURS):
        tokens = tokens[:-2] if tuple(t.casefold() for t in tokens[-2:]) in _TRAILING_HONOURS else tokens[:-1]
    tokens = tokens[: len(tokens) - _government_words(tokens)]
    tokens = _without_restatement(tokens)
    if not tokens or len(tokens) > 6 or _is_title(tokens[0]):
        return None, titled
    for i, token in enumerate(tokens):
        word = token.strip(".,'")
        if not word or word.casefold() in NOT_NAME_WORDS:
            return None, titled
        if _PHRASE_IN_A_WORD.search(word):
            return None, titled  # "Reagan-the-Unifier": an epithet, no name
        if word[0].isupper():
            continue
        if 0 < i < len(tokens) - 1 and (word in NAME_PARTICLES or word.startswith(("al-", "el-", "bin-"))):
            continue
        return None, titled
    if tokens[-1].endswith("-") or (len(tokens) > 1 and len(tokens[-1].rstrip(".")) == 1):
        return None, titled  # "Fenno-", "James E": a name cut short
    if len(tokens) > 1 and _ACRONYM.fullmatch(tokens[-1]) and not _ROMAN.fullmatch(tokens[-1]):
        return None, titled  # "Hillary Urges FBI": a headline; initials lead a name ("AMM Nasir"), never end it
    name = " ".join(tokens)
    if len(tokens) == 1 and (len(name) < 3 or "." in name or name.isupper()):
        return None, titled
    if not (titled or after_title) and _is_place_name(name, tokens):
        return None, titled
    if style is not None and len(tokens) == 1:
        name = f"{style} {name}"  # "Pope Francis"
    return name, titled


def _government_words(tokens: list[str]) -> int:
    """How many words at the end name a person's government ("Obama White House": 2), or 0."""
    for words in GOVERNMENT_OF:
        if len(tokens) > len(words) and tuple(t.casefold() for t in tokens[-len(words) :]) == words:
            return len(words)
    return 0


def _without_restatement(tokens: list[str]) -> list[str]:
    """ "Barack Obama Barack Hussein", "Hillary Clinton Hillary Diane Rodham": a name followed, with
    no punctuation between, by the same person's fuller form (hover cards, tag lists run
    together). The first word coming back after two or more words starts a second name for the
    same person; only the first is kept. A name repeating a word once ("Mohammed Ali Mohammed")
    has no second name of two words after it and stays whole."""
    first = tokens[0].casefold() if tokens else ""
    for j in range(2, len(tokens) - 1):
        if tokens[j].casefold() == first:
            return tokens[:j]
    return tokens


# Country names that are also given names or surnames ("Brian Jordan", "Chad Johnson").
_COUNTRY_NAMES_OF_PEOPLE = frozenset({"Jordan", "Chad", "Georgia", "Israel", "India", "Kenya", "Eritrea"})


def _is_place_name(name: str, tokens: list[str]) -> bool:
    """ "Ukraine", "Porto Alegre", "Sri Lankan", "Biman Bangladesh" tagged PERSON."""
    gaz = gazetteer()
    if gaz.knows(name) if len(tokens) > 1 else place_key(name) in gaz.fixed:
        return True
    return is_demonym(name, guess=False) or any(
        gaz.fixed.get(place_key(t)) == Place(t, t) and t not in _COUNTRY_NAMES_OF_PEOPLE for t in tokens
    )


@functools.lru_cache(maxsize=1 << 16)  # asked for the same names many times per article
def name_key(name: str) -> str:
    """What makes two spellings one name: case, dots, diacritics and spacing do not matter."""
    text = unicodedata.normalize("NFKD", name.replace("’", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c)).replace(".", " ").replace("-", " ")
    return " ".join(text.split()).casefold()


def _is_credit(span: RawSpan) -> bool:
    """A photo credit ("AP Photo/Evan Vucci", "Photographer: Name"), not a mention."""
    _, _, before, before2, _ = span
    return (
        before in ("/", "|")
        or before.casefold() in ("photo", "photographer", "credit", "©")
        or (before == ":" and before2.casefold() in ("photo", "photographer", "credit", "photos"))
    )


def person_mentions(spans: Sequence[RawSpan]) -> list[tuple[str, bool]]:
    """(name, had a title) for each person mention of an article's spans, in order."""
    mentions: list[tuple[str, bool]] = []
    joined: list[RawSpan] = []
    for span in spans:
        label, text, before, before2, gap = span
        if label == PERSON and gap == 0 and joined and joined[-1][0] == PERSON:
            # Two PERSON spans that touch are one name the model cut in two.
            previous = joined.pop()
            span = (PERSON, f"{previous[1]} {text}", previous[2], previous[3], previous[4])
        joined.append(span)
    organisations: set[str] = set()  # name keys the article calls an organisation's
    for span in _split_glued(joined):
        label, text, before, _, _ = span
        if _is_credit(span):
            continue
        if label == PERSON and before in ORGANISATION_NOUNS:
            organisations.add(name_key(_POSSESSIVE.sub("", text.strip())))
        elif label == PERSON:
            name, titled = clean_person(text, after_title=_is_title(before))
            if name:  # a team sheet's player is as sure as a titled name
                mentions.append((name, titled or _is_title(before) or span[4] == TEAM_SHEET))
        elif label == "ORG" and (_is_title(before) or _is_title(text.split()[0])):
            # "BGMEA President Rubana Huq" read as one organisation: a person after a title.
            name, titled = clean_person(text, after_title=True)
            if name and (titled or _is_title(before)) and len(name.split()) >= 2:
                mentions.append((name, True))
    mentions = [(name, titled) for name, titled in mentions if name_key(name) not in organisations]
    if not mentions:
        return mentions
    # "Novak Djokovic" read as an organisation in an article that calls "Djokovic" a person:
    # a short name-shaped span that ends with a person's surname is that person.
    surnames = {name.split()[-1] for name, _ in mentions}
    for label, text, before, _, _ in joined:
        if label == "ORG" and 2 <= len(text.split()) <= 4 and text.split()[-1].rstrip("'s’") in surnames:
            name, _ = clean_person(text)
            if name:
                mentions.append((name, False))
    # A single word without a title is not a person when the model calls it something else more
    # often here, or when it is a known place ("Durham", "Banani") that the model does not read
    # as a person again and again: "Obama" (also a Japanese city), named seven times as a person
    # and never as a place, is the president. A place of the article's own country is dropped
    # later all the same (not_places).
    other = Counter(name_key(text) for label, text, _, _, _ in joined if label in OTHER_LABELS)
    person = Counter(name_key(name) for name, _ in mentions)
    gaz = gazetteer()

    def single_person(key: str, name: str) -> bool:
        if other[key] > person[key]:
            return False
        return (other[key] == 0 and person[key] >= _PERSON_READINGS) or not gaz.knows(name)

    return [(name, titled) for name, titled in mentions if titled or " " in name or single_person(name_key(name), name)]


# Readings as a person, with none as anything else, that outweigh a place of the same name.
_PERSON_READINGS = 3


def doubtful_people(
    spans: Iterable[RawSpan], people: Iterable[str], places: Iterable[Place], outlet: str | None = None
) -> tuple[str, ...]:
    """Single name-shaped words the article does not name as a person, though they may be one:
    read as something else ("Trump" as an organisation, "the Reagan Administration", "Hasina" as
    a place) or read as a person but also a city's name ("Obama", a Japanese city, named once).
    They are weak mentions: the corpus-level name map joins them to a full name of their year
    when the corpus says the word is mostly that person's, and drops them otherwise ("Apple",
    "Gartner", "Durham"). A place of the article (not_places) is none of them, nor is a word read
    as a place that is a known city."""
    named = {word for name in people for word in name_key(name).split()}
    gaz = gazetteer()
    found: dict[str, str] = {}
    for label, text, _, _, _ in spans:
        if label == "NORP" or (label != PERSON and label not in OTHER_LABELS):
            continue  # a nationality or a group ("Republicans") is never a person's name
        words = _POSSESSIVE.sub("", text.strip().replace("’", "'")).split()
        # One word, or a government named after a person ("the Reagan Administration").
        if len(words) > 1 and not (label == "ORG" and _government_words(words)):
            continue
        name, _ = clean_person(text)
        if name is None or " " in name or name_key(name) in named:
            continue
        if label in _PLACE_READINGS and gaz.knows(name):
            continue
        found.setdefault(name_key(name), name)
    mentions = [(name, False) for name in found.values()]
    return tuple(name for name, _ in not_places(mentions, places, outlet, cities_decide=False))


_PLACE_READINGS = frozenset({"GPE", "LOC", "FAC"})


def not_places(
    mentions: list[tuple[str, bool]], places: Iterable[Place], outlet: str | None = None, cities_decide: bool = True
) -> list[tuple[str, bool]]:
    """The mentions without single untitled words that are places of this article: ones it names
    as places, and the names of districts, neighbourhoods and cities (no mere towns) in its
    countries or its outlet's. The model calls "Banani" or "Khilkhet" (Dhaka neighbourhoods, too
    small for `knows`) a PERSON in "passed through Khilkhet"; outside such an article a person
    of that name stays one, and so does a word that is only another name of a place there.
    Without `cities_decide` a city's name the article does not place stays (weak mentions, which
    the corpus decides: "the Obama administration" in a story naming Japan, home of Obama city)."""
    gaz = gazetteer()
    placed = {place_key(place.name) for place in places}
    countries = {place.country for place in places if place.country} | ({outlet} if outlet else set())

    def is_place(name: str) -> bool:
        key = place_key(name)
        if key in placed:
            return True
        # The place's own name ("Ray" is no other name of Raytown), not a mere town.
        return any(
            c.own_name
            and c.kind != "town"
            and (cities_decide or c.kind != "city")
            and gaz.country_by_code.get(c.country_code) in countries
            for c in gaz.cities.lookup(key)
        )

    return [(name, titled) for name, titled in mentions if titled or " " in name or not is_place(name)]


def article_people(
    mentions: list[tuple[str, bool]], apart: AbstractSet[tuple[str, str]] = frozenset()
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(people, partial people) of an article: a single word named once, without a title and
    without a fuller form in the article, is too weak alone (measured: mostly companies, clubs,
    places and common words); it is kept apart for the corpus-level name map to join to a full
    name, or to leave out."""
    people = merge_people(mentions, apart)
    uses = Counter(name_key(name) for name, _ in mentions)
    titled = {name_key(name) for name, had_title in mentions if had_title}
    weak = {name for name in people if " " not in name and uses[name_key(name)] < 2 and name_key(name) not in titled}
    return tuple(name for name in people if name not in weak), tuple(name for name in people if name in weak)


def given_people(names: Iterable[str]) -> tuple[str, ...]:
    """People a record gives itself, through the same rules: titles dropped, forms joined.

    A given name is trusted to be a person: it is kept (as written, spaces tidied) even where
    the rules for the model's spans would reject it."""
    return merge_people([(_given_name(given), True) for given in names])


@functools.lru_cache(maxsize=100_000)
def _given_name(given: str) -> str:
    """One given name by the person rules, cached: the records of a corpus name the same people again
    and again (clean_person depends on the text alone)."""
    name, _ = clean_person(given, after_title=True)
    return name or " ".join(given.split())


# Where a PERSON span holds two texts: a possessive ("Robach's Giuffre interview") ends one name;
# a dash ("WEST PALM BEACH, Fla.—President Donald Trump": a dateline glued to the first
# sentence) is never inside a name.
_GLUE = re.compile(r"(?<=\w)['’]s\s+(?=[A-Z])|\s*[—–]\s*")


def _split_glued(spans: list[RawSpan]) -> Iterator[RawSpan]:
    """PERSON spans cut where they hold two texts; each part is a span of its own."""
    for span in spans:
        label, text, before, before2, gap = span
        parts = [part for part in _GLUE.split(text) if part] if label == PERSON else [text]
        if len(parts) <= 1:
            yield span
            continue
        yield (label, parts[0], before, before2, gap)
        for part in parts[1:]:
            yield (label, part, "", parts[0].split()[-1], 0)


def other_names(spans: Iterable[RawSpan]) -> tuple[str, ...]:
    """Name-shaped strings the model calls something other than a person (evidence for the
    corpus-level decision about what is a person), as name keys, once each."""
    found: dict[str, None] = {}
    for label, text, _, _, _ in spans:
        if label in OTHER_LABELS and 1 <= len(text.split()) <= 6 and text[:1].isupper():
            text = text.replace("’", "'")
            text = _POSSESSIVE.sub("", text) if text.endswith(("'s", "'")) else text
            found[name_key(text)] = None
    return tuple(found)


# "Donald Trump Jr" is his son: a name and a generational suffix is another person.
NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


def is_namesake_heir(short: list[str], long: list[str]) -> bool:
    """Whether `long` is `short` with a generational suffix ("donald trump" -> "donald trump jr"),
    as name keys' words: another person, never the full form of the shorter name."""
    return len(long) == len(short) + 1 and long[-1] in NAME_SUFFIXES and long[:-1] == short


def same_ends(short: list[str], long: list[str]) -> bool:
    """Whether a shorter name is a longer one with middle names left out: same first and last
    words, and its own middle words, if any, the longer one's ("John F Kennedy" in "John Fitzgerald
    Kennedy"). "George W Bush" is not "George H W Bush": the initials tell son and father apart."""
    if len(short) < 2 or short[0] != long[0] or short[-1] != long[-1]:
        return False
    middle, long_middle = short[1:-1], long[1:-1]
    if not middle:
        return True
    return len(middle) == len(long_middle) and all(
        word == other or (len(word) == 1 and other.startswith(word)) for word, other in zip(middle, long_middle)
    )


# "Binte Benazir", "bin Salman": the word after these names the father.
_PATRONYMIC = frozenset({"bin", "binte", "bint", "ibn"})


def merge_people(
    mentions: Iterable[tuple[str, bool]], apart: AbstractSet[tuple[str, str]] = frozenset()
) -> tuple[str, ...]:
    """Names in order of first mention, partial mentions joined to the full name the article gives.

    A name that is the end of a longer one ("Shoigu", "Jong Un"), its first word ("Kim", family
    name first; "Khaleda") or its first words ("AMM Nasir") becomes that longer name when only
    one longer name fits. Spellings that differ only in dots or case ("George W. Bush",
    "George W Bush") are one name. A single word that never gets a full name is kept (a
    surname in a match report, a first name); whether it is a person across the corpus is
    decided by the corpus-level name map.
    """
    forms: dict[str, str] = {}  # name key -> first form written
    for name, _ in mentions:
        forms.setdefault(name_key(name), name)
    keys = list(forms)
    split = {key: key.split() for key in keys}

    def fits(short: list[str], long: list[str]) -> bool:
        n = len(short)
        if is_namesake_heir(short, long):
            return False  # "Donald Trump" beside "Donald Trump Jr" is his father, not a partial name
        if n == 1 and len(long) >= 3 and long[-1] == short[0] and long[-2] in _PATRONYMIC:
            return False  # "Benazir" beside "Tahseen Raisa Binte Benazir": her father, not her
        if long[-n:] == short or long[:n] == short:
            return True
        if n == len(long) >= 2 and short[1:] == long[1:] and len(short[0]) >= 3 and long[0].startswith(short[0]):
            return True  # "Steve Gerrard" and "Steven Gerrard": a short form of the same given name
        if n >= 2 and len(short[0]) == 1 and n == len(long) and long[0][0] == short[0] and long[1:] == short[1:]:
            return True  # "C Paterson" in a team sheet, "Chris Paterson" in the report
        if n == 1 and len(long) >= 3 and short[0] in long:
            return True  # "Fakhrul" for Mirza Fakhrul Islam Alamgir: a long name called by its middle
        # "George Bush" in "George W Bush", "Hillary Clinton" in "Hillary Rodham Clinton":
        # first and last kept, middle names left out
        return same_ends(short, long)

    def full_form(key: str) -> str | None:
        parts = split[key]
        longer = [
            other
            for other in keys
            if other != key
            and (key, other) not in apart
            # "Obama-Biden", "Obama-Clinton": a pair of names in one word is no full name of either.
            and (len(parts) > 1 or " " in forms[other])
            and fits(parts, split[other])
            and (len(split[other]) > len(parts) or len(split[other][0]) > len(parts[0]))
        ]
        if not longer:
            return None
        longest = max(len(split[other]) for other in longer)
        # Several longer names that are not forms of one another: ambiguous ("Baker" with
        # "James Baker" and "Howard Baker"), stays apart.
        tops = {other for other in longer if len(split[other]) == longest}
        if len(tops) > 1:
            # One person all the same when the longest are forms of one name ("Gerrard" beside
            # "Steve Gerrard" and "Steven Gerrard").
            tops = {full_form(other) or other for other in tops}
        if len(tops) > 1:
            return None
        (top,) = tops
        if all(other == top or fits(split[other], split[top]) for other in longer):
            return top
        return None

    people: dict[str, None] = {}
    for key in keys:
        full = full_form(key)
        people[forms[full] if full is not None else forms[key]] = None
    return tuple(people)


# --- team sheets -------------------------------------------------------------------------------
# Sport reports end with line-ups ("C Paterson (Scotland), B Cohen (England), ..." or "Cech,
# Paulo Ferreira, Ricardo Carvalho (Drogba 45), Terry, ..."), where the model reads half the
# players as places or organisations. A paragraph that is such a list gives its items as people.
_PARENTHESES = re.compile(r"\([^()]*\)")
_LIST_ITEM = re.compile(r"[^,;]+")
_NAME_ITEM = re.compile(r"(?:[A-Z]\.? )?(?:(?:[A-Z][A-Za-z'’-]+|de|van|von|da|di|le|la) ){0,3}[A-Z][A-Za-z'’-]+")
_INITIAL_ITEM = re.compile(r"[A-Z]\.? [A-Z]")
_MIN_LINE_UP = 6


def line_up_names(paragraph: str, person_items: int, place_items: int = 0) -> list[tuple[int, int]]:
    """Character ranges of the players' names when the paragraph is a team sheet, else [].

    A team sheet: at least six comma- or semicolon-separated items, nearly all of them names,
    and either most written "Initial Surname", or some already read as people by the model
    (`person_items`) and fewer as places (`place_items`): a list of towns is neither."""
    text = _PARENTHESES.sub(lambda m: " " * len(m.group()), paragraph)
    label_end = text.find(":")
    if 0 <= label_end < 40:  # "Chelsea: Cech, ..." or "Subs Not Used: ..."
        text = " " * (label_end + 1) + text[label_end + 1 :]
    items = []
    for match in _LIST_ITEM.finditer(text):
        item = match.group().strip(" .")
        if item:
            start = text.index(item, match.start())
            items.append((item, start, start + len(item)))
    if len(items) < _MIN_LINE_UP:
        return []
    names = [(start, end, item) for item, start, end in items if _NAME_ITEM.fullmatch(item)]
    if len(names) < 0.8 * len(items):
        return []
    initials = sum(1 for _, _, item in names if _INITIAL_ITEM.match(item))
    if initials < 0.6 * len(names) and (person_items < 2 or place_items >= person_items):
        return []
    return [
        (start, end)
        for start, end, item in names
        if item.split()[-1].casefold() not in NOT_NAME_WORDS and not _is_place_name(item, item.split())
    ]


# --- title-case headlines ---------------------------------------------------------------------
# In a headline written in Title Case the model often runs a name on into the words after or
# before it ("Obama Asks", "Donald Trump Rips 'Far-Left", "Claims Obama"); the same article's
# prose, written in sentence case, shows where the name ends. A PERSON span found only in such
# headlines is cut to the longest part of it that the prose names as a person, when the words cut
# off are no capitalised words of the prose (so no given name the prose uses is lost); words before
# the name go only where the prose writes them in lower case ("Claims Obama": "claims"), so
# "Elizabeth Warren" stays whole beside "Warren", and "K Morgan" beside "Jennifer Morgan".
_HEADLINE_MAX_WORDS = 25
_LONG_WORD = re.compile(r"[^\W\d_][\w'’-]{3,}")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def is_title_case(line: str) -> bool:
    if line.count(" ") >= _HEADLINE_MAX_WORDS:
        return False
    words = _LONG_WORD.findall(line)
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def headline_people(spans: Sequence[RawSpan], text: str) -> list[RawSpan]:
    """The spans with PERSON spans of title-case headlines cut to the name the prose gives."""
    if not any(span[0] == PERSON and " " in span[1] for span in spans):
        return list(spans)
    lines = text.split("\n")
    headline_flags = [is_title_case(line) for line in lines]
    if not any(headline_flags) or all(headline_flags):
        return list(spans)
    headlines = [line for line, flag in zip(lines, headline_flags) if flag]
    prose = "\n".join(line for line, flag in zip(lines, headline_flags) if not flag)
    candidates = [
        i
        for i, (label, span_text, _, _, _) in enumerate(spans)
        if label == PERSON and " " in span_text and span_text not in prose and any(span_text in h for h in headlines)
    ]
    if not candidates:
        return list(spans)
    names = {name_key(span[1]) for span in spans if span[0] == PERSON and span[1] in prose}
    known = names | {key.split()[-1] for key in names if " " in key}  # and the surnames of full names
    prose_words = set(_WORD.findall(prose))
    result = list(spans)
    for index in candidates:
        label, span_text, before, before2, gap = spans[index]
        words = span_text.split()
        cut = _name_in_headline_span(words, known, prose_words)
        if cut is not None:
            start, end = cut
            result[index] = _cut(spans[index], start, end)
    return result


def _cut(span: RawSpan, start: int, end: int) -> RawSpan:
    """A span cut to its words[start:end], the words before it (and the gap) told again."""
    label, text, before, before2, gap = span
    words = text.split()
    return (
        label,
        " ".join(words[start:end]),
        before if start == 0 else words[start - 1],
        before2 if start == 0 else (words[start - 2] if start > 1 else before),
        gap if start == 0 else 1,
    )


def _name_in_headline_span(words: list[str], known: set[str], prose_words: set[str]) -> tuple[int, int] | None:
    """(start, end) of the longest run of words that the prose names as a person, or None."""
    if name_key(_POSSESSIVE.sub("", " ".join(words).replace("’", "'"))) in known:
        return None  # the whole name with a possessive ("Susan Rice's"): nothing to cut
    for size in range(len(words) - 1, 0, -1):
        for start in range(len(words) - size + 1):
            key = name_key(_POSSESSIVE.sub("", " ".join(words[start : start + size]).replace("’", "'")))
            if key not in known:
                continue
            dropped = [
                _POSSESSIVE.sub("", word.replace("’", "'").strip("'\".,:;!?"))
                for word in words[:start] + words[start + size :]
            ]
            # A word the prose writes in lower case is an ordinary word ("Claims", "Will", "Asks"),
            # unless it is a particle of names ("De Marigny").
            ordinary = [word.lower() in prose_words and word.lower() not in NAME_PARTICLES for word in dropped]
            if any(word in prose_words and not plain for word, plain in zip(dropped, ordinary)):
                return None  # a capitalised word the prose uses: maybe a given name, keep the span
            if start > 0 and not all(ordinary[:start]):
                return None  # "Elizabeth Warren" where the prose says only "Warren"; "K Morgan"
            return start, start + size
    return None


# --- names run on into English words ---------------------------------------------------------
# The model runs a name on into the words around it, in headlines and prose alike ("GOP Slams
# Obama", "Comey Denies Obama", "Presidents Obama and Clinton", "Obama Chief of Staff", "Obama To
# Iranians"), and the run would then be the article's full name of "Obama". English tells: a
# name never begins with an inflected verb form, a function word or a plural title, so the words
# up to such a word before a name the article gives alone go ("Slams", "Top", "Presidents"; not
# "Will Smith", "Bill Clinton", "Mark Warner", "Chuck Schumer", "Drew Hammill": base forms and
# nouns may be given names). A name the article writes with a title ("Mr. Obama", "President
# Obama") is a surname, so the words after it go when the first is an English word that the
# article also writes in lower case ("Chief", "Pride", "To"): not "Kim Jong Un" beside "Mr. Kim",
# "Khaleda Zia" beside "Begum Khaleda", nor "Jeb Bush" beside "Governor Jeb" (no "bush" in it).


def run_on_people(spans: Sequence[RawSpan], text: str) -> list[RawSpan]:
    """The spans with PERSON spans cut where a name runs on into English words."""
    alone: set[str] = set()  # single names the article gives as a person
    surnames: set[str] = set()  # and those it gives with a title
    for label, span_text, before, _, _ in spans:
        if label == PERSON and " " not in span_text.strip():
            name, titled = clean_person(span_text, after_title=_is_title(before))
            if name and " " not in name:
                alone.add(name_key(name))
                if titled or _is_title(before):
                    surnames.add(name_key(name))
    if not alone:
        return list(spans)
    lower_case: set[str] | None = None  # the article's words written in lower case, when needed
    result: list[RawSpan] = []
    carry = 0  # words cut off the end of the previous span: the next one no longer touches it
    for span in spans:
        label, span_text, before, before2, gap = span
        if carry and gap == 0:
            span = (label, span_text, before, before2, carry)
        carry = 0
        words = span_text.split()
        if label != PERSON or len(words) < 2:
            result.append(span)
            continue
        plain = [_POSSESSIVE.sub("", word.replace("’", "'").strip("'\".,:;!?")) for word in words]
        keys = [name_key(word) for word in plain]
        start, end = 0, len(words)
        surname_at = next((i for i, key in enumerate(keys[:-1]) if key in surnames), None)
        if surname_at is not None and is_english_word(plain[surname_at + 1]):
            if lower_case is None:
                lower_case = {word for word in _WORD.findall(text) if word.islower()}
            if plain[surname_at + 1].lower() in lower_case:
                end = surname_at + 1
        named = [i for i, key in enumerate(keys[:end]) if key in alone and i > 0]
        if named:
            start = next((k + 1 for k in range(named[-1] - 1, -1, -1) if _never_starts_a_name(plain[k])), 0)
        if (start, end) == (0, len(words)):
            result.append(span)
            continue
        carry = len(words) - end
        result.append(_cut(span, start, end))
    return result


def _never_starts_a_name(word: str) -> bool:
    """An inflected verb form ("Slams"), a function word ("Top", "Between"; no initial "A"), a
    plural title ("Presidents") or an English word in capitals ("JUST WATCH Obama"; "AMM Nasir"
    keeps its initials)."""
    folded = word.casefold().rstrip(".")
    if len(folded) < 2:
        return False
    return (
        is_inflected_verb(folded)
        or is_function_word(folded)
        or (folded.endswith("s") and folded[:-1] in TITLE_WORDS)
        or (len(word) > 2 and word.isupper() and is_english_word(word))
    )


# --- names the model gave no span -------------------------------------------------------------
# The model tags nothing at all in some plain mentions of well-known people ("the deposed Sheikh
# Hasina government", "the Sheikh Hasina-led government"). A run of two to four capitalised words
# that no span of the article covers, cleaned like a PERSON span (titles dropped, organisation and
# place words refused), is kept as a weak mention: the corpus-level name map shows it only where
# the same name is named as a person in many articles of its year (search.entities.name_map), so
# "Election Commission" or "Awami League", never a person elsewhere, is dropped there.
_CAPITALISED_RUN = re.compile(r"(?<![\w'’.-])(?<![A-Z][a-z] )[A-Z][a-z]+(?: [A-Z][a-z]+){1,3}(?![\w])(?! [A-Z])")
MAX_UNLABELLED = 20
_OPENING_WORDS = frozenset(STOP_WORDS) | frozenset(
    "he she his her they their we our but however after before while when although since though yet"
    " monday tuesday wednesday thursday friday saturday sunday january february march april may june july"
    " august september october november december".split()
)  # weak mentions kept per article: storage stays bounded on any text


def unlabelled_names(spans: Iterable[RawSpan], text: str, known: Iterable[str] = ()) -> tuple[str, ...]:
    """Name-shaped runs of capitalised words in `text` that no span covers and that are not
    already among `known` names of the article."""
    span_texts = {span[1] for span in spans}
    joined = "\n".join(span_texts)  # one substring search finds a run inside any span
    seen = {name_key(name) for name in known}
    found: list[str] = []
    for run in dict.fromkeys(_CAPITALISED_RUN.findall(text)):
        words = run.split()
        if run in joined or any(
            " ".join(words[i:j]) in span_texts for i in range(len(words)) for j in range(i + 1, len(words) + 1)
        ):
            continue  # the model read it, or a part of it, as something
        while words and words[0].casefold() in _OPENING_WORDS:
            words.pop(0)  # "The", "In", "But": a sentence or a title begins, no name
        if len(words) < 2:
            continue
        name, _ = clean_person(" ".join(words))
        if name is None or " " not in name or name_key(name) in seen:
            continue
        seen.add(name_key(name))
        found.append(name)
        if len(found) >= MAX_UNLABELLED:
            break
    return tuple(found)


# --- a man and a woman of one surname ---------------------------------------------------------
# "Mr. Obama" in an article that names "First lady Michelle Obama": the surname a man's title is
# given is not her name, whatever else the article says ("President Obama" alone would join the
# only full name the article gives). Titles that tell a man from a woman, in English news.
MALE_TITLES = frozenset({"mr", "mister"})
FEMALE_TITLES = frozenset({"mrs", "ms", "miss", "lady", "madam", "dame"})


def different_people(spans: Iterable[RawSpan]) -> frozenset[tuple[str, str]]:
    """(surname key, full name key) pairs that are not one person: the surname follows a man's
    title, the full name a woman's title, somewhere in the article."""
    male: set[str] = set()
    female: set[str] = set()
    for label, text, before, _, _ in spans:
        if label != PERSON:
            continue
        title = before.rstrip(".").casefold()
        words = name_key(_POSSESSIVE.sub("", text.replace("’", "'"))).split()
        if not words:
            continue
        if title in MALE_TITLES and len(words) == 1:
            male.add(words[0])
        elif title in FEMALE_TITLES and len(words) >= 2:
            female.add(" ".join(words))
    return frozenset((word, name) for name in female for word in male if name.split()[-1] == word)
