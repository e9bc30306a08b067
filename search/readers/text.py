"""Text clean-up shared by every reader: decoding bytes, repairing mojibake, tidying spaces."""

from __future__ import annotations

import re
import unicodedata

import ftfy
from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES

# Repair mojibake ("Letâ€™s" -> "Let’s") but keep what the publisher wrote: curly quotes,
# full-width characters and HTML-looking text (a reader that needs unescaping does it itself).
_FTFY = ftfy.TextFixerConfig(
    unescape_html=False,
    uncurl_quotes=False,
    fix_character_width=False,
    fix_latin_ligatures=False,
    explain=False,
)

# Characters that act as a space between words: NBSP, the Unicode spaces, and zero-width
# spaces / BOMs (which would otherwise glue two words into one token).
_SPACE_LIKE = re.compile("[\t\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u2060\u3000\ufeff ]+")
# Invisible characters that carry nothing inside a word (clean_text looks for these two before translating).
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e"), None)


def decode_bytes(data: bytes) -> tuple[str, str | None]:
    """Bytes as text: UTF-8 (with or without BOM), else Windows-1252, else Latin-1.

    Returns the text and, when it was not valid UTF-8, a note saying how it was read.
    """
    try:
        return data.decode("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"), None
    except UnicodeDecodeError as error:
        where = f"byte 0x{data[error.start]:02X} at offset {error.start}"
    try:
        return data.decode("cp1252"), f"not valid UTF-8 ({where}); read as Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), f"not valid UTF-8 ({where}); read as Latin-1"


# Characters some ftfy step other than mojibake detection acts on (with our config): C0 controls
# (terminal escapes, control characters; a line break makes several segments), C1 controls, line
# and paragraph separators, surrogates, the invisible formatting and interlinear characters it strips.
_FTFY_ACTS_ON = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u206a-\u206f\ufeff\ufff9-\ufffc\ud800-\udfff]")


# Every alternative of ftfy's mojibake pattern (BADNESS_RE) holds a character of one of its categories
# or a non-ASCII character written in the pattern itself, and no match is longer than BAD_SPAN
# characters (tests/test_text_repair.py checks both against the installed ftfy).
_BAD_ANCHOR = re.compile(
    "["
    + "".join(MOJIBAKE_CATEGORIES.values())
    + "".join(re.escape(c) for c in sorted(set(BADNESS_RE.pattern)) if not c.isascii())
    + "]"
)
BAD_SPAN = 8


def looks_bad(text: str) -> bool:
    """ftfy's `is_bad(text)`, searched only around the characters a match must hold: any match lies
    within BAD_SPAN of one, and a search from a position (not the start) never matches `^` there."""
    start = end = -1
    for anchor in _BAD_ANCHOR.finditer(text):
        at = anchor.start()
        if at - BAD_SPAN > end:  # not next to the last window: search that one, start another
            if end >= 0 and BADNESS_RE.search(text, start, end):
                return True
            start = max(0, at - BAD_SPAN)
        end = at + BAD_SPAN + 1
    return end >= 0 and BADNESS_RE.search(text, start, end) is not None


def _fix_text(text: str) -> str:
    """ftfy.fix_text with our config, skipped where it provably changes nothing: one segment (no line
    break, under its segment length) with none of the characters its other steps act on, in NFC
    already, and not `is_bad` (ftfy's own test before it tries any re-decoding). ftfy then returns
    the text as it is; checking that costs a fraction of running its steps."""
    if (
        len(text) <= _FTFY.max_decode_length
        and not _FTFY_ACTS_ON.search(text)
        and unicodedata.is_normalized("NFC", text)
        and not looks_bad(text)
    ):
        return text
    return ftfy.fix_text(text, _FTFY)


def repair_text(text: str) -> str:
    """Mojibake repaired, spacing left alone (for text that is split into paragraphs after)."""
    return text if text.isascii() else _fix_text(text)


def clean_text(text: str) -> str:
    """One line of article text: mojibake repaired, NFC, spaces tidied and collapsed."""
    if not text:
        return ""
    if not text.isascii():
        text = _fix_text(text)
        if "\u00ad" in text or "\u180e" in text:  # a C search; translate() looks up every character
            text = text.translate(_INVISIBLE)
        text = _SPACE_LIKE.sub(" ", text)
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
    elif "  " in text or "\t" in text or "\n" in text or "\r" in text:
        return " ".join(text.split())
    else:
        return text.strip()
    return " ".join(text.split())


def clean_paragraphs(paragraphs) -> tuple[str, ...]:
    """Cleaned, non-empty paragraphs."""
    out = []
    for paragraph in paragraphs:
        cleaned = clean_text(paragraph)
        if cleaned:
            out.append(cleaned)
    return tuple(out)


_BLANK_LINES = re.compile(r"\n[ \t\u00a0]*\n\s*")


def split_blank_line_paragraphs(text: str) -> list[str]:
    """Paragraphs separated by blank lines; line breaks inside a paragraph become spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    return [p for p in _BLANK_LINES.split(text) if p.strip()]


def looks_hard_wrapped(lines: list[str]) -> bool:
    """Lines broken at a fixed width (one paragraph) rather than one paragraph per line."""
    if len(lines) < 2:
        return False
    widths = [len(line.rstrip()) for line in lines[:-1]]
    return max(widths) <= 100 and min(widths) >= 30 and not any(line.lstrip()[:1] in "-*•·" for line in lines)


def block_paragraphs(block_lines: list[str]) -> list[str]:
    """A block of non-blank lines: one hard-wrapped paragraph, or one paragraph per line."""
    if looks_hard_wrapped(block_lines):
        return [" ".join(line.strip() for line in block_lines)]
    return [line for line in block_lines if line.strip()]
