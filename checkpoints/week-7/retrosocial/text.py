"""
The rules for what people write (posts and messages), in one place:

- trimmed of whitespace at both ends, then 1 to `max_length` characters;
- not only blank characters: whitespace, and characters that print as nothing — zero-width
  spaces and joiners, format and control characters, Hangul fillers, the braille blank (in the
  Basic Multilingual Plane: the schema's regular expressions cannot name characters beyond it
  in a way every reader of the schema understands, so the few format controls up there, such
  as emoji tag characters, count as visible);
- no NUL character;
- no bidirectional embedding, override or isolate controls (U+202A–U+202E, U+2066–U+2069).
  They are refused rather than stripped or isolated on the page: an override reverses
  everything shown after it, on our pages, in Swagger UI and in a terminal running
  `retro feed` alike, and only refusing protects every reader. Right-to-left text needs none
  of them; the marks U+200E, U+200F and U+061C, which reverse nothing, are allowed.

`clean_text` applies the rules. For the API's schema the same rules are two regular expressions
(searched for anywhere in the text, as JSON Schema's `pattern` is): the text must contain a
match of `visible_pattern()` and no match of REFUSED_PATTERN. So what the schema allows and
what the site accepts are one thing.
"""

import functools
import unicodedata

from django.core.exceptions import ValidationError

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters and symbols that render as nothing, though Unicode does not call them spaces.
BLANK_LOOKALIKES = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0\u2800")
BLANK_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})

# NUL and the bidirectional controls, as a regular expression character class.
REFUSED_PATTERN = "[\\u0000\\u202a-\\u202e\\u2066-\\u2069]"

BIDI_ERROR = "Text cannot contain bidirectional override or isolate characters."
NUL_ERROR = "Null characters are not allowed."


def is_blank(char: str) -> bool:
    return char <= "\uffff" and (
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
    return f"\\u{code:04x}"


@functools.cache
def visible_pattern() -> str:
    """A regular expression that matches one character that is not blank."""
    blank = [code for code in range(0x10000) if is_blank(chr(code))]
    return f"[^{_char_class(blank)}]"
