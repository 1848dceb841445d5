"""The account forms of the site: sign-up with an optional email address, and the account
page that changes it. users.services checks and saves what they gather."""

from django import forms
from django.contrib.auth.forms import UserCreationForm

EMAIL_HELP = "Optional. Only used to send you a link if you forget your password."
EMAIL_MAX_LENGTH = 254  # the User model's email field


class SignupForm(UserCreationForm):
    """Django's sign-up form (a username and the password twice) with an email address, which
    may be left empty."""

    email = forms.EmailField(
        label="Email address",
        required=False,
        max_length=EMAIL_MAX_LENGTH,
        help_text=EMAIL_HELP,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")


class AccountForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        required=False,
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="Where a link to choose a new password is sent if you forget yours. "
        "Leave it empty to remove it.",
    )
