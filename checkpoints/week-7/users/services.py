"""
Accounts. The sign-up page and the API create users through `user_create`, and the admin's
forms check names with `username_clean`: one set of rules for a username wherever it is
chosen. An account's email address (optional; where a password reset is sent) is checked by
`email_clean` and changed by `user_set_email`, from the account page and the API alike.

A username is Django's (letters, digits and @ . + - _, at most 150 characters, NFKC-normalised),
and on top of that:
- unique without regard to case: with `ada` taken, `ADA` is taken too;
- written in one alphabet: `аda` with a Cyrillic `а` looks exactly like `ada`, so letters from
  two scripts (Latin and Cyrillic, Greek, …) in one name are refused. Chinese and Japanese
  characters count as one script, as Japanese names mix them.
"""

import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
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


def email_clean(email: str | None) -> str:
    """The email address as it will be saved ("" for none), or a ValidationError saying why it
    cannot be: Django's EmailField rules (an address, at most 254 characters). The domain is
    lowercased, as Django's create_user does. Several accounts may share an address: refusing
    one that is taken would tell anyone which addresses have accounts."""
    User = get_user_model()
    email = (email or "").strip()
    if not email:
        return ""
    User._meta.get_field("email").clean(email, None)
    return User.objects.normalize_email(email)


def user_create(*, username: str, password: str, email: str | None = None):
    """Create an account, with an email address or none. Raises ValidationError
    ({"username": [...], "email": [...], "password": [...]}), saving nothing, when the username
    breaks the rules above, the address is not one, or the password breaks Django's password
    validators (AUTH_PASSWORD_VALIDATORS)."""
    User = get_user_model()
    errors = {}
    try:
        username = username_clean(username)
    except ValidationError as error:
        errors["username"] = error.error_list
    try:
        email = email_clean(email)
    except ValidationError as error:
        errors["email"] = error.error_list
        email = ""
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


def user_set_email(*, user, email: str | None) -> str:
    """Change `user`'s email address; "" or None removes it. Returns the address saved, or
    raises ValidationError ({"email": [...]}) saving nothing."""
    try:
        email = email_clean(email)
    except ValidationError as error:
        raise ValidationError({"email": error.error_list}) from error
    if email != user.email:
        user.email = email
        user.save(update_fields=["email"])
    return email


def people() -> list[dict]:
    """The first USERS_SHOWN people by name, as rows: the home page's list. From the cache;
    user_create renews it."""
    User = get_user_model()
    return cached(
        "people",
        lambda: list(User.objects.order_by("username").values("id", "username")[:USERS_SHOWN]),
    )


def password_reset_mail_context() -> dict:
    """What the password reset mail says besides Django's own context: how long its link
    works (settings.PASSWORD_RESET_TIMEOUT, three days unless set)."""
    return {"link_hours": settings.PASSWORD_RESET_TIMEOUT // 3600}


def password_reset_request(*, email: str, request) -> None:
    """Mail a link to choose a new password to every active account with the address `email`
    (there may be none: nothing says so). Django's PasswordResetForm writes the mail, whose link
    leads to the site's page on the host the request came to; EMAIL_BACKEND hands it to a task.
    Raises ValidationError ({"email": [...]}) when `email` is not an address."""
    form = PasswordResetForm({"email": email})
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    form.save(
        request=request,
        use_https=request.is_secure(),
        extra_email_context=password_reset_mail_context(),
    )
