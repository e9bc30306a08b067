"""Text clean-up shared by every reader: decoding bytes, repairing mojibake, tidying spaces."""

from __future__ import annotations

import re
import unicodedata

import ftfy

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
# Invisible characters that carry nothing inside a word.
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


def repair_text(text: str) -> str:
    """Mojibake repaired, spacing left alone (for text that is split into paragraphs after)."""
    return text if text.isascii() else ftfy.fix_text(text, _FTFY)


def clean_text(text: str) -> str:
    """One line of article text: mojibake repaired, NFC, spaces tidied and collapsed."""
    if not text:
        return ""
    if not text.isascii():
        text = ftfy.fix_text(text, _FTFY).translate(_INVISIBLE)
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
