import logging

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.shortcuts import redirect, render

from retrosocial import limits
from users.forms import AccountForm, SignupForm
from users.services import password_reset_mail_context, user_create, user_set_email

# The form's names for what user_create calls "username", "email" and "password".
FORM_FIELDS = {"username": "username", "email": "email", "password": "password2"}
# What a refused form keeps of what was typed (never a password).
KEPT_FIELDS = ("username", "email")
EMAIL_SAVED = "Your email address is now {}."
EMAIL_REMOVED = "Your account has no email address now."
PEOPLE_PER_PAGE = 100

logger = logging.getLogger(__name__)


def refused(form_class, post, wait: int, **kwargs):
    """A fresh form, unchecked (checking a login would cost a password hash), that says how
    long to wait; its page goes out as a 429 with Retry-After."""
    form = form_class(initial={name: post.get(name, "") for name in KEPT_FIELDS}, **kwargs)
    form.cleaned_data = {}
    form.add_error(None, limits.TOO_MANY.format(wait))
    return form


def too_many(response, wait: int):
    response.status_code = 429
    response["Retry-After"] = str(wait)
    return response


def signup(request):
    if request.method == "POST":
        wait = limits.hit("auth", limits.client_address(request))
        if wait:
            form = refused(SignupForm, request.POST, wait)
            return too_many(render(request, "registration/signup.html", {"form": form}), wait)
        form = SignupForm(request.POST)
        if form.is_valid():
            try:
                user = user_create(
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password1"],
                    email=form.cleaned_data["email"],
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(FORM_FIELDS.get(field), errors)
            else:
                login(request, user)
                return redirect("home")
    else:
        form = SignupForm()
    return render(request, "registration/signup.html", {"form": form})


@login_required
def account(request):
    """The account page: the email address a password reset is sent to, shown and changed."""
    if request.method == "POST":
        form = AccountForm(request.POST)
        if form.is_valid():
            try:
                email = user_set_email(user=request.user, email=form.cleaned_data["email"])
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field, errors)
            else:
                messages.success(request, EMAIL_SAVED.format(email) if email else EMAIL_REMOVED)
                return redirect("account")
    else:
        form = AccountForm(initial={"email": request.user.email})
    return render(request, "registration/account.html", {"form": form})


class LoginView(auth_views.LoginView):
    """Django's login page with the limits of every login: per address, and per account for
    wrong passwords (retrosocial.limits)."""

    def post(self, request, *args, **kwargs):
        account = limits.account_key(request.POST.get("username", ""))
        wait = limits.hit("auth", limits.client_address(request)) or limits.reached(
            "login", account
        )
        if wait:
            form = refused(self.get_form_class(), request.POST, wait, request=request)
            return too_many(self.render_to_response(self.get_context_data(form=form)), wait)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if form.has_error(NON_FIELD_ERRORS, "invalid_login"):
            limits.hit("login", limits.account_key(self.request.POST.get("username", "")))
        return super().form_invalid(form)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's "Forgot your password?" page. Each request counts against the same
    per-address limit as sign-ups and logins; the page then says the same whether or not an
    account has the address, and the mail goes out through a task (retrosocial.mail)."""

    @property
    def extra_email_context(self):
        return password_reset_mail_context()

    def post(self, request, *args, **kwargs):
        wait = limits.hit("auth", limits.client_address(request))
        if wait:
            form = refused(self.get_form_class(), request.POST, wait)
            return too_many(self.render_to_response(self.get_context_data(form=form)), wait)
        return super().post(request, *args, **kwargs)


def people(request):
    """Who's here: every active account by name, PEOPLE_PER_PAGE to a page, with how many
    posts each wrote and when their latest was, linking to a conversation with them.

    Two queries whatever the number of people: the count for the pages, and one query that
    counts and dates each person's posts in the database (Count and Max, a GROUP BY). The slow
    way, `{{ person.posts.count }}` and `{{ person.posts.first.created }}` in the template,
    made two more queries for every person on the page: 202 for a page of 100."""
    everyone = (
        get_user_model()
        .objects.filter(is_active=True)
        .annotate(post_count=Count("posts"), latest_post=Max("posts__created"))
        .order_by("username")
    )
    page = Paginator(everyone, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    logger.debug(
        "People: page %d of %d, %d people shown",
        page.number, page.paginator.num_pages, len(page.object_list),
    )
    return render(request, "users/people.html", {"page": page})
