"""
The rules for what people write (posts and messages), in one place:

- trimmed of whitespace at both ends, then 1 to `max_length` characters;
- not only blank characters: whitespace, and characters that print as nothing — zero-width
  spaces and joiners, format and control characters, Hangul fillers, the braille blank;
- no NUL character;
- no bidirectional embedding, override or isolate controls (U+202A–U+202E, U+2066–U+2069).
  They are refused rather than stripped or isolated on the page: an override reverses
  everything shown after it, on our pages, in Swagger UI and in a terminal running
  `retro feed` alike, and only refusing protects every reader. Right-to-left text needs none
  of them; the marks U+200E, U+200F and U+061C, which reverse nothing, are allowed.

`clean_text` applies the rules; `text_pattern` is the same rule as a regular expression, for
the API's schema, so what the schema allows and what the site accepts are one thing.
"""

import functools
import sys
import unicodedata

from django.core.exceptions import ValidationError

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters and symbols that render as nothing, though Unicode does not call them spaces.
BLANK_LOOKALIKES = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0\u2800")
BLANK_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})

BIDI_ERROR = "Text cannot contain bidirectional override or isolate characters."
NUL_ERROR = "Null characters are not allowed."


def is_blank(char: str) -> bool:
    return (
        char.isspace()
        or char in BLANK_LOOKALIKES
        or unicodedata.category(char) in BLANK_CATEGORIES
    )


def clean_text(text: str, *, max_length: int, what: str = "Text") -> str:
    """The text as it is saved (trimmed), or a ValidationError saying what is wrong."""
    if "\x00" in text:
        raise ValidationError(NUL_ERROR, code="null_characters_not_allowed")
    if BIDI_CONTROLS.intersection(text):
        raise ValidationError(BIDI_ERROR, code="bidi")
    text = text.strip()
    if all(is_blank(char) for char in text):
        raise ValidationError(
            f"{what} cannot be empty or only invisible characters.", code="blank"
        )
    if len(text) > max_length:
        raise ValidationError(
            f"{what} can be at most {max_length} characters (it has {len(text)}).",
            code="max_length",
        )
    return text


def _char_class(codes: list[int]) -> str:
    """A regex character class body for these code points, as ranges."""
    parts, start = [], None
    for index, code in enumerate(codes):
        if start is None:
            start = code
        if index + 1 < len(codes) and codes[index + 1] == code + 1:
            continue
        parts.append(_escape(start) if start == code else f"{_escape(start)}-{_escape(code)}")
        start = None
    return "".join(parts)


def _escape(code: int) -> str:
    return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)


@functools.cache
def text_pattern() -> str:
    """The rules above, without the lengths, as one regular expression (for the schema)."""
    blank = [code for code in range(sys.maxunicode + 1) if is_blank(chr(code))]
    refused = _char_class(sorted({0, *(ord(char) for char in BIDI_CONTROLS)}))
    return f"^[^{refused}]*[^{_char_class(blank)}][^{refused}]*$"
