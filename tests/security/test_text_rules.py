"""
Property tests (hypothesis) of the text rules in retrosocial/text.py: what clean_text accepts
is exactly what the schema's pattern and lengths allow, and nothing it accepts is blank,
invisible, reversed or longer than the limit.
"""

import re

from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from api.serializers import TextField
from retrosocial.text import (
    BIDI_CONTROLS,
    REFUSED_PATTERN,
    clean_text,
    is_blank,
    visible_pattern,
)

LIMIT = 12
TRICKY = (
    " \t\n\r\x00\x0b\x1c\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u3000"
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\u034f\u115f\u1160\u3164\uffa0\u2800\u180e"
    "\u200e\u200f\u061c" + "".join(sorted(BIDI_CONTROLS)) + "aZ9é\u05d0\u0430\U0001f600"
)
texts = st.text(
    alphabet=st.one_of(st.sampled_from(TRICKY), st.characters(codec="utf-8")), max_size=LIMIT + 4
)
EXAMPLES = settings(max_examples=400, deadline=None, database=None)


class Sample(serializers.Serializer):
    text = TextField(what="A post", max_length=LIMIT)


def accepted(text: str) -> str | None:
    try:
        return clean_text(text, max_length=LIMIT)
    except ValidationError:
        return None


def schema_allows(text: str) -> bool:
    """What the schema says: minLength, maxLength, pattern and not: {pattern}."""
    return (
        1 <= len(text) <= LIMIT
        and re.search(visible_pattern(), text) is not None
        and re.search(REFUSED_PATTERN, text) is None
    )


@EXAMPLES
@given(texts)
def test_what_is_accepted_is_trimmed_visible_and_short_enough(text):
    cleaned = accepted(text)
    if cleaned is None:
        return
    assert cleaned == text.strip()
    assert 1 <= len(cleaned) <= LIMIT
    assert not all(is_blank(char) for char in cleaned)
    assert "\x00" not in cleaned
    assert not BIDI_CONTROLS.intersection(cleaned)


@EXAMPLES
@given(texts)
def test_blank_or_reversing_text_is_always_refused(text):
    if all(is_blank(char) for char in text) or BIDI_CONTROLS.intersection(text):
        assert accepted(text) is None


@EXAMPLES
@given(texts)
def test_the_api_accepts_exactly_what_its_schema_allows(text):
    valid = Sample(data={"text": text}).is_valid()
    assert valid == schema_allows(text), (text, valid)


@EXAMPLES
@given(st.from_regex(visible_pattern()).filter(schema_allows))
def test_every_text_the_schema_generates_is_accepted(text):
    assert Sample(data={"text": text}).is_valid(), repr(text)
