"""Who published an article (`source`: the outlet or news agency), told apart from who wrote it
(`byline`), from what a format carries: a source field, the URL's site, an agency named in the
byline, or the folder of a corpus whose layout is one outlet's."""

from __future__ import annotations

import re
from pathlib import PurePath
from urllib.parse import urlsplit

# Sites -> the outlet's usual name (the host without "www." otherwise).
SITE_OUTLETS = {
    "bdnews24.com": "bdnews24.com",
    "dhakatribune.com": "Dhaka Tribune",
    "bbc.co.uk": "BBC News",
    "bbc.com": "BBC News",
    "reuters.com": "Reuters",
    "thedailystar.net": "The Daily Star",
    "prothomalo.com": "Prothom Alo",
}
# Corpus folders whose files carry no outlet of their own (the BBC News dataset's plain text,
# bdnews24's CSV exports, Reuters-21578): the folder is the outlet.
FOLDER_OUTLETS = {
    "bbc_news": "BBC News",
    "bbc": "BBC News",
    "bdnews24": "bdnews24.com",
    "dhakatribune": "Dhaka Tribune",
    "reuters21578": "Reuters",
}
# News agencies, as a byline may name them ("Reuters", "AFP, Paris", "bdnews24.com Desk" is not one).
AGENCIES = {
    "reuters": "Reuters",
    "afp": "AFP",
    "agence france-presse": "AFP",
    "ap": "AP",
    "associated press": "AP",
    "bss": "BSS",
    "unb": "UNB",
    "ians": "IANS",
    "pti": "PTI",
    "xinhua": "Xinhua",
    "upi": "UPI",
    "anadolu agency": "Anadolu Agency",
    "bloomberg": "Bloomberg",
}
_AGENCY_PART = re.compile(r"[,/;]|\band\b", re.IGNORECASE)


def outlet_from_url(url: str | None) -> str:
    if not url:
        return ""
    try:
        host = (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""
    host = host.removeprefix("www.")
    for site, outlet in SITE_OUTLETS.items():
        if host == site or host.endswith("." + site):
            return outlet
    return host


def outlet_from_folder(path: str) -> str:
    """The outlet of a corpus folder the file lies in (nearest first), if it is a known one."""
    for part in reversed(PurePath(path).parts[:-1]):
        outlet = FOLDER_OUTLETS.get(part.lower())
        if outlet:
            return outlet
    return ""


def agency_in_byline(byline: str) -> str:
    """The news agency a byline credits ("Reuters", "AFP, Dhaka"), or ""."""
    for part in _AGENCY_PART.split(byline):
        agency = AGENCIES.get(part.strip().casefold())
        if agency:
            return agency
    return ""


def outlet_for(
    *, source: str = "", url: str | None = None, byline: str = "", path: str = "", layout_outlet: str = ""
) -> str:
    """The first that is known: the source as given, an agency in the byline, the URL's site,
    the outlet of the format's layout, the corpus folder."""
    return (
        source.strip() or agency_in_byline(byline) or outlet_from_url(url) or layout_outlet or outlet_from_folder(path)
    )
