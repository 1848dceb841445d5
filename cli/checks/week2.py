"""Week 2, data: logging in and out, a model for posts, its migration, posting from the page."""

from __future__ import annotations

import uuid
from urllib.parse import urljoin

import httpx

from cli.checks import CheckFailed, check
from cli.checks.page import Page
from cli.checks.session import PASSWORD, Session, tail
from cli.checks.web import (
    Visitor,
    describe,
    find_login,
    is_login_form,
    logged_in,
    login,
    path_of,
    server_error_hint,
    user_field,
)

LOGIN_REDIRECT_HINT = (
    "set LOGIN_REDIRECT_URL = 'home' in settings.py: without it Django sends everyone who logs "
    "in to /accounts/profile/, a page this site does not have"
)
LOGOUT_REDIRECT_HINT = (
    "set LOGOUT_REDIRECT_URL = 'home' in settings.py: without it Django's LogoutView shows a "
    "“Logged out” page of its own (the admin's) instead of sending people home"
)
LOGIN_URL_HINT = (
    "set LOGIN_URL = 'login' in settings.py (the name of your log-in URL): without it Django "
    "sends whoever must log in to /accounts/login/"
)


def post_model(session: Session) -> dict:
    models = session.facts()["post_models"]
    if not models:
        raise CheckFailed(
            "a model in one of your apps with a ForeignKey to the user model and a text field",
            "no such model",
        )
    return models[0]


def post_count(session: Session) -> int:
    label = post_model(session)["label"]
    code = (
        "import json\nfrom django.apps import apps\n"
        f"print('RETRO:' + json.dumps(apps.get_model({label!r}).objects.count()))\n"
    )
    return session.shell(code)


def author(session: Session, fresh: bool = False) -> tuple[Visitor, Page, str]:
    """A user logged in through the site's own form: (their browser, their home page, name).
    The same one for every check unless `fresh` (a check that logs out needs its own)."""
    if not fresh and "author" in session.cache:
        visitor, username = session.cache["author"]
        return visitor, visitor.page("/", "the home page"), username
    username = session.create_user("user")
    visitor = Visitor(session.dev_server())
    home = login(session, visitor, username)
    if not fresh:
        session.cache["author"] = (visitor, username)
    return visitor, home, username


def post(visitor: Visitor, home: Page, text: str):
    form = home.post_form()
    if form is None:
        raise CheckFailed(
            "a form on the home page, for a logged-in user, with a text field to post",
            f"forms on the page: {[(f.method, f.action) for f in home.forms] or 'none'}",
        )
    return visitor.submit(form, "/", {form.text_fields[0].name: text})


@check(2, "login", "you can log in with the site's own form", (2, "Log in"), needs=["w1.home"])
def can_log_in(session: Session):
    visitor = Visitor(session.dev_server())
    home = visitor.page("/", "the home page")
    if logged_in(home):
        raise CheckFailed("a visitor who is not logged in to see no log-out button", "one")
    author(session)


@check(2, "logout", "logging out is a POST form, and it works", (2, "log out"), needs=["w2.login"])
def logout_is_post(session: Session):
    visitor, home, _ = author(session, fresh=True)
    form = home.logout_form()
    if form is None or form.method != "post":
        link = home.logout_link()
        raise CheckFailed(
            'a <form method="post"> with a log-out button (Django 5 logs out only on POST)',
            f"a link to {link.href}" if link else "no log-out form",
        )
    action = visitor.local(form.action or "/")
    response = visitor.get(action)
    if logged_in(visitor.page("/", "the home page")) is False:
        raise CheckFailed(
            f"GET {action} not to log you out (a link or an image on another site could)",
            f"GET {action} logged the user out ({describe(response)})",
        )
    response = visitor.submit(form, "/", {})
    if not response.is_redirect:
        hint = server_error_hint(response)
        if response.status_code == 200:
            hint = LOGOUT_REDIRECT_HINT
        raise CheckFailed("logging out to redirect (to the home page)", describe(response), hint)
    landing = visitor.follow(response)
    if logged_in(visitor.page("/", "the home page")):
        raise CheckFailed("the home page to show the visitor logged out", "still logged in")
    home = visitor.home_path()
    if landing.status_code != 200 or path_of(landing) != home:
        raise CheckFailed(
            f"logging out to land on the home page ({home})",
            f"landed on {path_of(landing)}: {describe(landing)}",
            LOGOUT_REDIRECT_HINT,
        )


@check(
    2,
    "login-lands",
    "after logging in you land on the home page",
    (2, "An app for accounts"),
    needs=["w2.login"],
)
def login_lands_home(session: Session):
    """Log in the way someone who opens the log-in page by itself does (no ?next=): Django
    sends them to LOGIN_REDIRECT_URL."""
    username = session.create_user("user")
    visitor = Visitor(session.dev_server())
    found, _, _ = find_login(session, visitor)
    url = found.split("?")[0]
    response = visitor.get(url)
    form = next((f for f in Page(response.text).forms if len(f.passwords) == 1), None)
    if response.status_code != 200 or form is None:
        raise CheckFailed(f"the log-in form at {url}", describe(response))
    values = {user_field(form): username, form.passwords[0].name: PASSWORD, "next": ""}
    response = visitor.submit(form, url, values)
    if not response.is_redirect:
        raise CheckFailed(
            f"logging in as {username} to redirect (to the home page)",
            describe(response),
            server_error_hint(response),
        )
    landing = visitor.follow(response)
    home = visitor.home_path()
    if landing.status_code != 200 or path_of(landing) != home:
        raise CheckFailed(
            f"after logging in at {url}, to land on the home page ({home})",
            f"landed on {path_of(landing)}: {describe(landing)}",
            LOGIN_REDIRECT_HINT,
        )
    return [f"logging in at {url} lands on {home}"]


def anonymous_post(session: Session) -> tuple[str, httpx.Response]:
    """Post from the home page's form without being logged in (as someone whose session ran
    out would): (the form's action, the answer)."""
    _, home, _ = author(session)
    form = home.post_form()
    if form is None:
        raise CheckFailed("the post form of a logged-in user", "none on the home page")
    stranger = Visitor(session.dev_server())
    login_path, _, login_form = find_login(session, stranger)
    token = login_form.hidden.get("csrfmiddlewaretoken", "")
    action = stranger.local(urljoin(stranger.server.base_url + "/", form.action or "/"))
    response = stranger.post(
        action,
        data={"csrfmiddlewaretoken": token, form.text_fields[0].name: "anonymous post"},
        headers={"Referer": stranger.server.base_url + login_path},
    )
    return action, response


@check(
    2,
    "model",
    "a model for posts: an author and a text",
    (2, "Post model"),
    needs=["w1.system-check"],
)
def has_post_model(session: Session):
    found = post_model(session)
    return [f"{found['label']} ({', '.join(found['user_fields'] + found['text_fields'])})"]


def ahead(session: Session) -> None:
    """The check of migrations reads the database's migration history: after `migrate`."""
    migrated = session.manage_ahead("migrate", "--noinput")
    session.manage_ahead("makemigrations", "--check", "--dry-run", after=migrated)


@check(
    2,
    "migrations",
    "every model change has its migration",
    (2, "migration"),
    needs=["w1.system-check"],
)
def migrations_written(session: Session):
    result = session.manage("makemigrations", "--check", "--dry-run")
    if result.returncode != 0:
        raise CheckFailed(
            "`python manage.py makemigrations --check` to say “No changes detected”",
            tail(result.stdout + result.stderr),
            "run `python manage.py makemigrations`, then `python manage.py migrate`",
        )


@check(
    2,
    "post",
    "a logged-in user posts from the home page",
    (2, "Posting from the home page"),
    needs=["w2.login", "w2.model"],
)
def can_post(session: Session):
    visitor, home, username = author(session)
    text = f"Hello from the checks {uuid.uuid4().hex[:8]}"
    response = post(visitor, home, text)
    if not response.is_redirect:
        raise CheckFailed(
            "a redirect after a successful post (so that reloading does not post it twice)",
            describe(response),
        )
    page = visitor.page("/", "the home page")
    if text not in page.text:
        raise CheckFailed("the new post on the home page", f"{text!r} is not on the page")
    before = page.text.split(text)[0][-200:]
    if username not in before + page.text.split(text)[1][:200]:
        raise CheckFailed(f"the post shown with its author, {username}", "no author next to it")


@check(2, "newest-first", "the newest post comes first", (2, "Post model"), needs=["w2.post"])
def newest_first(session: Session):
    visitor, home, _ = author(session)
    first, second = (f"order check {uuid.uuid4().hex[:8]}" for _ in range(2))
    post(visitor, home, first)
    post(visitor, visitor.page("/"), second)
    text = visitor.page("/", "the home page").text
    if text.find(second) == -1 or text.find(second) > text.find(first):
        raise CheckFailed(
            "the latest post above the earlier ones", "the earlier post is shown first"
        )


@check(
    2,
    "empty-post",
    "an empty post is refused, with the form shown again",
    (2, "model form"),
    needs=["w2.post"],
)
def empty_post(session: Session):
    visitor, home, _ = author(session)
    count = post_count(session)
    response = post(visitor, home, "")
    if response.status_code != 200 or post_count(session) != count:
        raise CheckFailed(
            "the form again with an error (status 200), and no post saved",
            describe(response, also=f", {post_count(session) - count} post(s) saved"),
            server_error_hint(response),
        )


@check(
    2,
    "anonymous",
    "a visitor who is not logged in cannot post",
    (2, "Posting from the home page"),
    needs=["w2.post"],
)
def anonymous_cannot_post(session: Session):
    count = post_count(session)
    action, response = anonymous_post(session)
    if response.status_code == 403 and "CSRF" in response.text:
        raise CheckFailed(
            "a form post with a valid CSRF token to reach the view",
            "refused by the CSRF check, so the view was never tried",
        )
    if post_count(session) != count:
        raise CheckFailed(
            "a post from someone not logged in to be refused (or sent to log in)",
            describe(response, also=": it was saved"),
        )
    if response.status_code >= 500:
        raise CheckFailed(
            "a post from someone not logged in to be refused (or sent to log in), not a server "
            "error",
            describe(response),
            server_error_hint(response),
        )
    return [f"POST {action} when logged out: {describe(response)}"]


@check(
    2,
    "login-url",
    "someone who must log in is sent to the log-in page",
    (2, "An app for accounts"),
    needs=["w2.post"],
)
def sent_to_login(session: Session):
    """Where the site sends a visitor who must log in: the answer to a post made without
    being logged in when it is a redirect, else where LOGIN_URL points (what @login_required
    and redirect_to_login use)."""
    action, response = anonymous_post(session)
    if response.status_code >= 500:
        raise CheckFailed(
            f"a post from someone not logged in sent to log in (or refused), at {action}",
            describe(response),
            server_error_hint(response),
        )
    visitor = Visitor(session.dev_server())
    if response.is_redirect:
        target = visitor.local(urljoin(str(response.url), response.headers.get("location", "/")))
        how = f"a post to {action} when logged out redirects to {target}"
    else:
        target = str(session.facts().get("login_url") or "")
        how = f"LOGIN_URL is {target}"
        if not target.startswith("/"):
            raise CheckFailed("LOGIN_URL to name your log-in page", target, LOGIN_URL_HINT)
    landing = visitor.follow(visitor.get(target))
    if landing.status_code != 200 or not is_login_form(Page(landing.text)):
        raise CheckFailed(
            "someone who must log in sent to your log-in page",
            f"{how}: {describe(landing)}",
            LOGIN_URL_HINT,
        )
    return [f"{how}: the log-in form"]


@check(
    2, "admin", "posts can be managed in the admin", (2, "admin"), needs=["w2.model", "w1.admin"]
)
def posts_in_admin(session: Session):
    app, model = post_model(session)["label"].lower().split(".")
    username = session.superuser()
    visitor = Visitor(session.dev_server())
    response = visitor.follow(visitor.get("/admin/login/"))
    form = next((f for f in Page(response.text).forms if f.passwords), None)
    if form is None:
        raise CheckFailed("the admin's log-in form", describe(response))
    visitor.submit(form, "/admin/login/", {"username": username, "password": PASSWORD})
    response = visitor.get(f"/admin/{app}/{model}/")
    if response.status_code != 200:
        raise CheckFailed(
            f"/admin/{app}/{model}/ to list the posts (the model registered in admin.py)",
            describe(response),
        )
