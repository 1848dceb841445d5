"""
`retro check` accepts any correct solution, not only the checkpoint: other view and URL names,
class-based views, Django's own auth URLs, other field names, an extra app. And it rejects the
mistakes the lessons warn about: a log-out link that works on GET, a missing daphne app.
Each variant is a checkpoint copied into a temporary folder and changed the way a student
might have written it; the variants are checked in parallel.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checkpoints import copy_checkpoint


def write(root: Path, rel: str, text: str) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text)


def edit(root: Path, rel: str, old: str, new: str) -> None:
    text = (root / rel).read_text()
    assert old in text, f"{old!r} not in {rel}"
    (root / rel).write_text(text.replace(old, new))


def class_based_week_2(root: Path) -> Path:
    """Week 2 written differently: the seed course's field names (user, body), a model named
    Entry, class-based views with other names, Django's auth URLs under accounts/ (so the log-in
    page is /accounts/login/), the URL named "index", and an extra app with an about page."""
    copy_checkpoint(2, root)
    for rel in ("posts/migrations/0001_initial.py", "posts/admin.py"):
        (root / rel).unlink()
    write(
        root,
        "posts/models.py",
        """from django.conf import settings
from django.db import models


class Entry(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    body = models.TextField(max_length=280)
    posted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-posted_at", "-pk"]
""",
    )
    write(
        root,
        "posts/admin.py",
        """from django.contrib import admin

from posts.models import Entry

admin.site.register(Entry)
""",
    )
    write(
        root,
        "posts/forms.py",
        """from django import forms

from posts.models import Entry


class EntryForm(forms.ModelForm):
    class Meta:
        model = Entry
        fields = ["body"]
""",
    )
    write(
        root,
        "posts/views.py",
        """from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import reverse_lazy
from django.views.generic import CreateView, ListView

from posts.forms import EntryForm
from posts.models import Entry


class Timeline(ListView):
    model = Entry
    template_name = "posts/timeline.html"
    context_object_name = "entries"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["people"] = get_user_model().objects.all()
        context["form"] = EntryForm() if self.request.user.is_authenticated else None
        return context


class NewEntry(LoginRequiredMixin, CreateView):
    form_class = EntryForm
    template_name = "posts/timeline.html"
    success_url = reverse_lazy("index")

    def form_valid(self, form):
        form.instance.user = self.request.user
        return super().form_valid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["entries"] = Entry.objects.all()
        context["people"] = get_user_model().objects.all()
        return context
""",
    )
    write(
        root,
        "posts/urls.py",
        """from django.urls import path

from posts.views import NewEntry, Timeline

urlpatterns = [
    path("", Timeline.as_view(), name="index"),
    path("entries/new", NewEntry.as_view(), name="new-entry"),
]
""",
    )
    (root / "posts/templates/posts/home.html").unlink()
    write(
        root,
        "posts/templates/posts/timeline.html",
        """{% extends "base.html" %}
{% block content %}
{% if form %}
<form method="post" action="{% url 'new-entry' %}">
  {% csrf_token %}
  {{ form.as_p }}
  <button>Share</button>
</form>
{% endif %}
{% for entry in entries %}<article><b>{{ entry.user }}</b> {{ entry.body }}</article>{% endfor %}
<h2>Members</h2>
<ul>{% for person in people %}<li>{{ person.get_username }}</li>{% endfor %}</ul>
{% endblock %}
""",
    )
    write(
        root,
        "templates/base.html",
        """{% load static %}<!doctype html>
<html><head><title>Retro</title><link rel="stylesheet" href="{% static 'css/site.css' %}"></head>
<body>
<nav>
{% if user.is_authenticated %}
  {{ user.username }}
  <form method="post" action="{% url 'logout' %}">{% csrf_token %}<button>Sign out</button></form>
{% else %}
  <a href="{% url 'login' %}">Sign in</a>
{% endif %}
<a href="{% url 'about' %}">About</a>
</nav>
{% block content %}{% endblock %}
</body></html>
""",
    )
    write(
        root,
        "users/urls.py",
        """from django.urls import include, path

urlpatterns = [path("accounts/", include("django.contrib.auth.urls"))]
""",
    )
    write(
        root,
        "users/templates/registration/login.html",
        """{% extends "base.html" %}
{% block content %}
<form method="post">{% csrf_token %}{{ form.as_p }}<button>Sign in</button></form>
{% endblock %}
""",
    )
    for app in ("pages",):
        write(root, f"{app}/__init__.py", "")
        write(
            root,
            f"{app}/apps.py",
            f'''from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "{app}"
''',
        )
        write(
            root,
            f"{app}/views.py",
            """from django.http import HttpResponse


def about(request):
    return HttpResponse("<!doctype html><html><title>About</title><body>About us</body></html>")
""",
        )
    edit(
        root,
        "retrosocial/urls.py",
        '    path("", include("posts.urls")),',
        '    path("", include("posts.urls")),\n    path("about", about, name="about"),',
    )
    edit(
        root,
        "retrosocial/urls.py",
        "from django.urls import include, path",
        "from django.urls import include, path\n\nfrom pages.views import about",
    )
    edit(root, "retrosocial/settings.py", "    'users',\n", "    'users',\n    'pages',\n")
    edit(root, "retrosocial/settings.py", "LOGIN_URL = 'login'\n", "")
    edit(
        root,
        "retrosocial/settings.py",
        "LOGIN_REDIRECT_URL = 'home'",
        "LOGIN_REDIRECT_URL = 'index'",
    )
    edit(
        root, "retrosocial/settings.py", "LOGOUT_REDIRECT_URL = 'home'", "LOGOUT_REDIRECT_URL = '/'"
    )
    return root


def migrations(root: Path, python: str) -> None:
    import subprocess

    subprocess.run(
        [python, "manage.py", "makemigrations", "posts", "-v0"], cwd=root, check=True, timeout=120
    )


def logout_by_get(root: Path) -> Path:
    """Week 2 with the mistake the lesson warns about: logging out through a plain link."""
    copy_checkpoint(2, root)
    write(
        root,
        "users/views.py",
        """from django.contrib.auth import logout
from django.shortcuts import redirect


def sign_out(request):
    logout(request)
    return redirect("home")
""",
    )
    edit(
        root,
        "users/urls.py",
        "from django.urls import path",
        "from django.urls import path\n\nfrom users.views import sign_out",
    )
    edit(
        root,
        "users/urls.py",
        '    path("logout", auth_views.LogoutView.as_view(), name="logout"),',
        '    path("logout", sign_out, name="logout"),',
    )
    edit(
        root,
        "templates/base.html",
        """        <form method="post" action="{% url 'logout' %}" class="inline">
          {% csrf_token %}
          <button type="submit" class="link">Log out</button>
        </form>""",
        """        <a href="{% url 'logout' %}">Log out</a>""",
    )
    return root


def without_daphne(root: Path) -> Path:
    copy_checkpoint(4, root)
    edit(root, "retrosocial/settings.py", '    "daphne",\n', "")
    return root


def signup_elsewhere(root: Path) -> Path:
    """Week 3 with a class-based sign-up view at /accounts/register/, linked as "Join"."""
    copy_checkpoint(3, root)
    write(
        root,
        "users/views.py",
        """from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.urls import reverse_lazy
from django.views.generic import CreateView


class Register(CreateView):
    form_class = UserCreationForm
    template_name = "registration/signup.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        login(self.request, self.object)
        return response
""",
    )
    edit(
        root,
        "users/urls.py",
        'path("signup", views.signup, name="signup")',
        'path("accounts/register/", views.Register.as_view(), name="signup")',
    )
    edit(root, "templates/base.html", 'class="button">Sign up</a>', 'class="button">Join</a>')
    return root


VARIANTS = {
    "class-based week 2": (class_based_week_2, [1, 2]),
    "log out by GET": (logout_by_get, [2]),
    "no daphne": (without_daphne, [4]),
    "sign-up elsewhere": (signup_elsewhere, [3]),
}


def build_variant(name: str, root: Path, python: str) -> tuple[Path, list[int]]:
    make, weeks = VARIANTS[name]
    folder = make(root / name.replace(" ", "-"))
    if name == "class-based week 2":
        migrations(folder, python)
    return folder, weeks


@pytest.fixture(scope="module")
def variant_results(check_runs):
    """Run with the checkpoints' checks, in the shared pool of conftest.check_runs."""
    return {key: results for (kind, key), results in check_runs.items() if kind == "variant"}


def failures(results) -> str:
    return "\n".join(
        f"{r.check.id}: {r.expected} | {r.seen}" for r in results.values() if not r.passed
    )


def test_class_based_views_other_names_and_an_extra_app_pass(variant_results):
    results = variant_results["class-based week 2"]
    assert all(r.passed for r in results.values()), failures(results)
    assert any("pages" in note for note in results["w1.app"].notes)


def test_a_class_based_sign_up_at_another_url_passes(variant_results):
    results = variant_results["sign-up elsewhere"]
    assert all(r.passed for r in results.values()), failures(results)


def test_logging_out_by_get_fails_with_the_reason(variant_results):
    results = variant_results["log out by GET"]
    assert not results["w2.logout"].passed
    assert "POST" in results["w2.logout"].expected
    others = {k: r for k, r in results.items() if k != "w2.logout"}
    assert all(r.passed for r in others.values()), failures(others)


def test_without_daphne_the_socket_404s_and_the_hint_says_why(variant_results):
    results = variant_results["no daphne"]
    assert not results["w4.daphne"].passed
    assert not results["w4.socket"].passed
    assert "404" in results["w4.socket"].seen
    assert "daphne" in results["w4.socket"].hint
