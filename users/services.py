"""
Accounts. The sign-up page and the API create users through `user_create`, and the admin's
forms check names with `username_clean`: one set of rules for a username wherever it is
chosen.

A username is Django's (letters, digits and @ . + - _, at most 150 characters, NFKC-normalised),
and on top of that:
- unique without regard to case: with `ada` taken, `ADA` is taken too;
- written in one alphabet: `аda` with a Cyrillic `а` looks exactly like `ada`, so letters from
  two scripts (Latin and Cyrillic, Greek, …) in one name are refused. Chinese and Japanese
  characters count as one script, as Japanese names mix them.
"""

import unicodedata

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from retrosocial.cache import cached, forget

USERNAME_TAKEN = "A user with that username already exists."
MIXED_SCRIPTS = "A username cannot mix letters of different alphabets (such as Latin and {})."
# Scripts that are written together: Japanese mixes kanji, hiragana and katakana.
SCRIPT_FAMILIES = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "IDEOGRAPHIC": "CJK"}
USERS_SHOWN = 100


def letter_script(char: str) -> str:
    """The script a letter belongs to, from its Unicode name: LATIN, CYRILLIC, GREEK, …"""
    script = unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
    return SCRIPT_FAMILIES.get(script, script)


def username_clean(username: str, *, instance=None) -> str:
    """The username as it will be saved, or a ValidationError saying why it cannot be.
    `instance`: the user being renamed, who may keep their own name."""
    User = get_user_model()
    username = User.normalize_username(username)
    field = User._meta.get_field(User.USERNAME_FIELD)
    field.clean(username, instance)  # required, at most 150 characters, the allowed characters
    scripts = sorted({letter_script(char) for char in username if char.isalpha()})
    if len(scripts) > 1:
        other = next((s for s in scripts if s != "LATIN"), scripts[-1])
        raise ValidationError(MIXED_SCRIPTS.format(other.capitalize()), code="mixed_scripts")
    taken = User.objects.filter(**{f"{User.USERNAME_FIELD}__iexact": username})
    if instance is not None and instance.pk is not None:
        taken = taken.exclude(pk=instance.pk)
    if taken.exists():
        raise ValidationError(USERNAME_TAKEN, code="unique")
    return username


def user_create(*, username: str, password: str, email: str | None = None):
    """Create an account. Raises ValidationError ({"username": [...], "password": [...]}),
    saving nothing, when the username breaks the rules above or the password Django's
    password validators (AUTH_PASSWORD_VALIDATORS)."""
    User = get_user_model()
    errors = {}
    try:
        username = username_clean(username)
    except ValidationError as error:
        errors["username"] = error.error_list
    try:
        validate_password(password, user=User(username=username, email=email or ""))
    except ValidationError as error:
        errors["password"] = error.error_list
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email or "", password=password)
    except IntegrityError as error:  # the same name, taken between the check and the insert
        raise ValidationError({"username": [USERNAME_TAKEN]}) from error
    forget("people")  # the home page's list changes, once the account is committed
    return user


def people() -> list[dict]:
    """The first USERS_SHOWN people by name, as rows: the home page's list. From the cache;
    user_create renews it."""
    User = get_user_model()
    return cached(
        "people",
        lambda: list(User.objects.order_by("username").values("id", "username")[:USERS_SHOWN]),
    )
