"""
`retro check` notices the settings the lessons set when a missing one breaks the site for a
user, and shows the cause of a server error instead of guessing at it.

Each setting's check passes on the week's checkpoint and fails, with the setting named in its
hint, on a copy of the checkpoint without it (the variants of test_check_variants.py are made
the same way): LOGIN_REDIRECT_URL (logging in lands on /accounts/profile/, a 404),
LOGOUT_REDIRECT_URL (logging out shows the admin's "Logged out" page), LOGIN_URL (someone sent
to log in lands on /accounts/login/, a 404), STATIC_ROOT (no page renders, collectstatic fails).
A page or a websocket handshake that fails with a 500 shows the server's own error lines, from
its log, naming the student's file; a page that fails only with DEBUG off too.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cli import checks
from tests.checkpoints import copy_checkpoint
from tests.course.test_check_variants import edit

POSTGRES_SOCKET = "postgres:///postgres?user=postgres"  # the lesson's form: no host, the socket


def without(setting: str):
    def make(root: Path) -> Path:
        copy_checkpoint(2, root)
        text = (root / "retrosocial/settings.py").read_text()
        lines = [line for line in text.splitlines() if not line.startswith(f"{setting} =")]
        assert len(lines) == len(text.splitlines()) - 1, f"{setting} is set once"
        (root / "retrosocial/settings.py").write_text("\n".join(lines) + "\n")
        return root

    return make


def without_static_root(root: Path) -> Path:
    copy_checkpoint(3, root)
    edit(
        root,
        "retrosocial/settings.py",
        'STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")\n',
        "",
    )
    return root


def home_template_misnamed(root: Path) -> Path:
    """Week 1 with the home view rendering a template that does not exist: a 500."""
    copy_checkpoint(1, root)
    edit(root, "posts/views.py", '"posts/home.html"', '"posts/homepage.html"')
    return root


def stylesheet_not_collected(root: Path) -> Path:
    """Week 3 linking a stylesheet that is not in static/: fine with DEBUG on, a 500 with DEBUG
    off (the manifest storage has no entry for it), as the lesson's "If it broke" warns."""
    copy_checkpoint(3, root)
    edit(
        root,
        "templates/base.html",
        """<link rel="stylesheet" href="{% static 'css/site.css' %}">""",
        """<link rel="stylesheet" href="{% static 'css/site.css' %}">
  <link rel="stylesheet" href="{% static 'css/print.css' %}">""",
    )
    return root


def consumer_typo(root: Path) -> Path:
    """Week 4 with a consumer that fails as it connects: the handshake answers 500."""
    copy_checkpoint(4, root)
    edit(
        root,
        "posts/consumers.py",
        "await self.channel_layer.group_add(FEED_GROUP, self.channel_name)",
        "await self.channel_layer.group_add(FEED_GROUP, self.channel)",
    )
    return root


def web_process_misnamed(root: Path) -> Path:
    """Week 3 whose Procfile names an application its asgi.py does not have: daphne stops as
    it starts."""
    copy_checkpoint(3, root)
    edit(root, "Procfile", "retrosocial.asgi:application", "retrosocial.asgi:app")
    return root


def checkpoint(number: int):
    return lambda root: copy_checkpoint(number, root)


# name: (how to make it, the weeks checked, PostgreSQL for the checks)
PROJECTS = {
    "week 2": (checkpoint(2), [2], ""),
    "week 3, --postgres through the socket": (checkpoint(3), [3], POSTGRES_SOCKET),
    "no LOGIN_REDIRECT_URL": (without("LOGIN_REDIRECT_URL"), [2], ""),
    "no LOGOUT_REDIRECT_URL": (without("LOGOUT_REDIRECT_URL"), [2], ""),
    "no LOGIN_URL": (without("LOGIN_URL"), [2], ""),
    "no STATIC_ROOT": (without_static_root, [3], ""),
    "a misnamed template": (home_template_misnamed, [1], ""),
    "a stylesheet not collected": (stylesheet_not_collected, [3], ""),
    "a consumer that fails": (consumer_typo, [4], ""),
    "a web process that stops": (web_process_misnamed, [3], ""),
}


@pytest.fixture(scope="module")
def results(student_python, services, tmp_path_factory):
    """{project: {check id: Result}}, the projects checked two at a time."""
    root = tmp_path_factory.mktemp("settings")

    def run(name: str) -> dict:
        make, weeks, postgres = PROJECTS[name]
        if postgres and not services["postgres"]:
            return {}
        folder = make(root / name.replace(" ", "-").replace(",", ""))
        found = checks.run(
            folder, weeks, student_python, timeout=240, services={"postgres": postgres}
        )
        return {result.check.id: result for result in found}

    workers = int(os.environ.get("RETRO_COURSE_WORKERS", "2"))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(run, name) for name in PROJECTS}
        return {name: future.result() for name, future in futures.items()}


def failures(found: dict) -> str:
    return "\n".join(
        f"{r.check.id}: {r.status}: {r.expected} | {r.seen} | {r.hint}"
        for r in found.values()
        if not r.passed
    )


def only_failure(found: dict, check_id: str):
    """The result of `check_id`, which failed, when every other check passed."""
    assert found, "not run"
    others = {key: r for key, r in found.items() if key != check_id}
    assert all(r.passed for r in others.values()), failures(others)
    assert found[check_id].status == "fail", failures(found)
    return found[check_id]


class TestTheCheckpointsPass:
    def test_week_2_lands_on_the_home_page_after_logging_in_and_out(self, results):
        found = results["week 2"]
        assert all(r.passed for r in found.values()), failures(found)
        assert found["w2.login-lands"].notes == ["logging in at /login lands on /"]
        assert found["w2.login-url"].notes == [
            "a post to / when logged out redirects to /login?next=/: the log-in form"
        ]

    def test_week_3_migrates_on_postgres_through_the_local_socket(self, results, services):
        if not services["postgres"]:
            pytest.skip("no PostgreSQL here")
        found = results["week 3, --postgres through the socket"]
        assert all(r.passed for r in found.values()), failures(found)
        (note,) = found["w3.database-url"].notes
        assert note.startswith("migrated a fresh PostgreSQL database retro_check_")
        assert "on the local socket" in note


class TestAMissingSettingFails:
    def test_login_redirect_url(self, results):
        failed = only_failure(results["no LOGIN_REDIRECT_URL"], "w2.login-lands")

        assert "land on the home page (/)" in failed.expected
        assert failed.seen.startswith("landed on /accounts/profile/: HTTP 404")
        assert "LOGIN_REDIRECT_URL = 'home'" in failed.hint

    def test_logout_redirect_url(self, results):
        failed = only_failure(results["no LOGOUT_REDIRECT_URL"], "w2.logout")

        assert failed.expected == "logging out to redirect (to the home page)"
        assert failed.seen.startswith("HTTP 200 “Logged out")  # the admin's own page
        assert "LOGOUT_REDIRECT_URL = 'home'" in failed.hint

    def test_login_url(self, results):
        failed = only_failure(results["no LOGIN_URL"], "w2.login-url")

        assert failed.seen.startswith(
            "a post to / when logged out redirects to /accounts/login/?next=/: HTTP 404"
        )
        assert "LOGIN_URL = 'login'" in failed.hint

    def test_static_root(self, results):
        found = results["no STATIC_ROOT"]
        production = found["w3.production"]

        assert production.status == "fail"
        assert "collectstatic --noinput` failed with DEBUG off" in production.seen
        assert "STATIC_ROOT setting to a filesystem path" in production.seen
        # With the manifest storage, no page renders without STATIC_ROOT, DEBUG on or off.
        assert "STATIC_ROOT setting to a filesystem path" in found["w3.signup"].seen
        assert "Traceback" not in production.seen + found["w3.signup"].seen


class TestAServerErrorShowsItsCause:
    def test_a_page_shows_the_servers_traceback_not_a_404_hint(self, results):
        failed = only_failure_or_blocked(results["a misnamed template"], "w1.home")

        lines = failed.seen.splitlines()
        assert lines[0] == "HTTP 500 “TemplateDoesNotExist at /”: posts/homepage.html"
        assert lines[1] == "the server's log says:"
        assert lines[-1] == "django.template.exceptions.TemplateDoesNotExist: posts/homepage.html"
        # The student's own file, not the check's copy of it.
        assert any(line.strip().startswith('File "') and "posts/views.py" in line for line in lines)
        assert "retro-check-" not in failed.seen
        assert "404" not in failed.hint and "the server failed" in failed.hint

    def test_a_page_failing_only_with_debug_off(self, results):
        failed = only_failure(results["a stylesheet not collected"], "w3.production")

        assert failed.seen.startswith("HTTP 500")
        assert "the server's log says:" in failed.seen
        assert failed.seen.splitlines()[-1] == (
            "ValueError: Missing staticfiles manifest entry for 'css/print.css'"
        )
        assert "the server failed" in failed.hint

    def test_a_websocket_handshake_shows_the_servers_traceback(self, results):
        failed = only_failure_or_blocked(results["a consumer that fails"], "w4.socket")

        lines = failed.seen.splitlines()
        assert lines[0] == "the handshake was refused with HTTP 500"
        assert "Exception inside application" in failed.seen
        assert lines[-1] == "AttributeError: 'FeedConsumer' object has no attribute 'channel'"
        assert any("posts/consumers.py" in line for line in lines)
        assert "daphne" not in failed.hint  # not the 404's hint
        assert "the server failed while opening the socket" in failed.hint

    def test_a_server_that_stops_as_it_starts_shows_why(self, results):
        failed = only_failure(results["a web process that stops"], "w3.production")

        lines = failed.seen.splitlines()
        assert lines[0] == "the server stopped as it started (exit status 1)"
        assert lines[-1] == "AttributeError: module 'retrosocial.asgi' has no attribute 'app'"
        assert any(line.strip().startswith('File "') for line in lines)
        assert not any(line.strip().strip("^") == "" for line in lines)  # no ^^^ lines


def only_failure_or_blocked(found: dict, check_id: str):
    """The failed result of `check_id` when the other checks passed or only waited for it."""
    assert found, "not run"
    for key, result in found.items():
        if key != check_id:
            assert result.passed or result.status == "blocked", failures(found)
    assert found[check_id].status == "fail", failures(found)
    return found[check_id]
