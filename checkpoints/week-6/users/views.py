from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import redirect, render

from retrosocial import limits
from users.services import user_create

# The form's names for what user_create calls "username" and "password".
FORM_FIELDS = {"username": "username", "password": "password2"}


def refused(form_class, post, wait: int, **kwargs):
    """A fresh form, unchecked (checking a login would cost a password hash), that says how
    long to wait; its page goes out as a 429 with Retry-After."""
    form = form_class(initial={"username": post.get("username", "")}, **kwargs)
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
            form = refused(UserCreationForm, request.POST, wait)
            return too_many(render(request, "registration/signup.html", {"form": form}), wait)
        form = UserCreationForm(request.POST)
        if form.is_valid():
            try:
                user = user_create(
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password1"],
                )
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    form.add_error(FORM_FIELDS.get(field), messages)
            else:
                login(request, user)
                return redirect("home")
    else:
        form = UserCreationForm()
    return render(request, "registration/signup.html", {"form": form})


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
