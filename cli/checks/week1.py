"""Week 1, serving HTML: the project runs, has an app of its own, the admin, a home page."""

from __future__ import annotations

from cli.checks import CheckFailed, check
from cli.checks.page import Page
from cli.checks.session import PASSWORD, Session, tail
from cli.checks.web import Visitor, describe, server_error_hint


def ahead(session: Session) -> None:
    """`manage.py check`, then `migrate` on the session's database (and the week 2 check of
    migrations after it, in that order), and what the project says about itself."""
    session.manage_ahead("check")
    session.manage_ahead("migrate", "--noinput")
    session.facts_ahead()


@check(1, "system-check", "python manage.py check finds no problems", (1, "Start the project"))
def system_check(session: Session):
    result = session.manage("check")
    if result.returncode != 0 or "System check identified" not in result.stdout + result.stderr:
        raise CheckFailed(
            "“System check identified no issues”",
            tail(result.stderr or result.stdout),
            "read the first error line: it names the setting or file to fix",
        )


@check(1, "migrate", "migrate builds an empty database", (1, "database"), needs=["w1.system-check"])
def migrate(session: Session):
    session.migrated()


@check(
    1, "app", "an app of your own is installed", (1, "app of your own"), needs=["w1.system-check"]
)
def own_app(session: Session):
    apps = session.facts()["own_apps"]
    if not apps:
        raise CheckFailed(
            "an app made with `python manage.py startapp`, listed in INSTALLED_APPS",
            "INSTALLED_APPS has no app from your project folder",
        )
    return [f"your apps: {', '.join(apps)}"]


def site_users(session: Session) -> list[str]:
    """Two people of the site, made once per session before its development server first
    serves the home page: a site that keeps its people list in a cache (week 7) renews it when
    its own code signs someone up, not when a check writes them straight into the database."""
    names = getattr(session, "week1_users", None)
    if names is None:
        names = session.week1_users = [session.create_user("ada"), session.create_user("grace")]
    return names


@check(1, "home", "the home page answers", (1, "URL"), needs=["w1.migrate"])
def home(session: Session):
    site_users(session)
    visitor = Visitor(session.dev_server())
    response = visitor.get("/")
    if response.status_code != 200:
        hint = server_error_hint(response)
        if response.status_code == 404:
            hint = (
                "a 404 lists the URL patterns Django tried: is your app's urls.py included at ''?"
            )
        raise CheckFailed("GET / to answer 200 with your home page", describe(response), hint)
    if "html" not in response.headers.get("content-type", ""):
        raise CheckFailed("an HTML page at /", response.headers.get("content-type", "?"))


@check(
    1,
    "template",
    "the home page is a whole HTML page from a template",
    (1, "template"),
    needs=["w1.home"],
)
def template(session: Session):
    page = Visitor(session.dev_server()).page("/", "the home page")
    html = page.html.lower()
    if "<html" not in html or "</html>" not in html or not page.title.strip():
        raise CheckFailed(
            "a whole page: <html>, a <title> and a body, rendered from a template",
            f"{len(page.html)} characters, title {page.title.strip()!r}",
        )


@check(1, "users", "the home page lists the site's users", (1, "A view"), needs=["w1.home"])
def lists_users(session: Session):
    names = site_users(session)
    text = Visitor(session.dev_server()).page("/", "the home page").text
    missing = [name for name in names if name not in text]
    if missing:
        raise CheckFailed(
            "the usernames of the site's users on the home page",
            f"{', '.join(missing)} not on the page (it says: {text[:160]!r})",
        )


@check(1, "stylesheet", "the page's stylesheet is served", (1, "stylesheet"), needs=["w1.home"])
def stylesheet(session: Session):
    visitor = Visitor(session.dev_server())
    page = visitor.page("/", "the home page")
    if not page.stylesheets:
        raise CheckFailed('a <link rel="stylesheet"> in the page', "no stylesheet link")
    for href in page.stylesheets:
        response = visitor.get(visitor.local(href))
        if response.status_code != 200:
            raise CheckFailed(
                f"{href} to be served", describe(response), server_error_hint(response)
            )


@check(
    1,
    "admin",
    "an administrator can log in to the admin",
    (1, "admin"),
    needs=["w1.migrate", "w1.home"],
)
def admin(session: Session):
    username = session.superuser()
    visitor = Visitor(session.dev_server())
    response = visitor.follow(visitor.get("/admin/"))
    page = Page(response.text)
    form = next((form for form in page.forms if form.passwords), None)
    if response.status_code != 200 or form is None:
        raise CheckFailed(
            "/admin/ to show the admin's log-in form",
            describe(response),
            "is path('admin/', admin.site.urls) still in retrosocial/urls.py?",
        )
    response = visitor.submit(
        form, visitor.local(str(response.url)), {"username": username, "password": PASSWORD}
    )
    landing = visitor.follow(response)
    if "Site administration" not in landing.text and "Log out" not in landing.text:
        raise CheckFailed("a superuser to reach “Site administration”", describe(landing))
