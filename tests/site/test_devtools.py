"""The development tools of requirements-local.txt (django-debug-toolbar, django-extensions):
loaded with DEBUG on where they are installed, never with DEBUG off, never in the test suite.
Each case loads the settings in a fresh process, as tests/site/test_settings.py does, without
PYTEST_VERSION in its environment, so only DEBUG (or a missing package) tells the cases apart."""

import json
import subprocess
import sys
from importlib.util import find_spec

from django.conf import settings

from tests.live import ROOT, production_env

TOOLS = ("debug_toolbar", "django_extensions")
TOOLBAR_MIDDLEWARE = "debug_toolbar.middleware.DebugToolbarMiddleware"
# What the settings load, and what the site (on a fresh in-memory database) answers at the
# toolbar's own address and at /people.
PRINT_TOOLS = """
import json, django
from django.conf import settings
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
client = Client(HTTP_HOST="127.0.0.1")
people = client.get("/people")
print(json.dumps({
    "apps": settings.INSTALLED_APPS,
    "middleware": settings.MIDDLEWARE,
    "internal_ips": getattr(settings, "INTERNAL_IPS", None),
    "debug": settings.DEBUG,
    "toolbar_page": client.get(
        "/__debug__/render_panel/?request_id=gone&panel_id=SQLPanel"
    ).status_code,
    "people": [people.status_code, "djDebugToolbar" in people.text],
}))
"""
# The same, in a process where the two packages cannot be imported, as on a machine that
# installed requirements.txt alone.
WITHOUT_THE_TOOLS = "import sys\nsys.modules.update(debug_toolbar=None, django_extensions=None)\n"


def environment(debug: bool) -> dict[str, str]:
    env = production_env("sqlite:///:memory:", DEBUG="1" if debug else "0")
    env.pop("PYTEST_VERSION", None)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def load(debug: bool, code: str = PRINT_TOOLS) -> dict:
    result = run(["-c", code], environment(debug))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_this_environment_has_the_tools_installed():
    """requirements-dev.txt includes requirements-local.txt: without the packages the cases
    below would prove nothing."""
    assert all(find_spec(tool) is not None for tool in TOOLS)
    local = (ROOT / "requirements-local.txt").read_text()
    assert "-r requirements.txt" in local
    assert "django-debug-toolbar==" in local and "django-extensions==" in local
    assert "-r requirements-local.txt" in (ROOT / "requirements-dev.txt").read_text()
    assert "debug-toolbar" not in (ROOT / "requirements.txt").read_text()
    assert "django-extensions" not in (ROOT / "requirements.txt").read_text()


class TestProduction:
    def test_debug_off_loads_neither_tool_and_the_toolbar_has_no_pages(self):
        loaded = load(debug=False)
        assert loaded["debug"] is False
        assert not set(TOOLS) & set(loaded["apps"])
        assert TOOLBAR_MIDDLEWARE not in loaded["middleware"]
        assert loaded["internal_ips"] == []
        assert loaded["toolbar_page"] == 404
        assert loaded["people"] == [200, False]

    def test_show_urls_is_not_a_command_with_debug_off(self):
        result = run(["manage.py", "show_urls"], environment(debug=False))
        assert result.returncode != 0
        assert "Unknown command: 'show_urls'" in result.stderr


class TestDevelopment:
    def test_debug_on_loads_both_tools_and_the_toolbar_answers(self):
        loaded = load(debug=True)
        assert loaded["debug"] is True
        assert loaded["apps"][-2:] == ["django_extensions", "debug_toolbar"]
        assert loaded["middleware"].count(TOOLBAR_MIDDLEWARE) == 1
        # Inside WhiteNoise (static files go out untouched), outside the site's own middleware.
        whitenoise = loaded["middleware"].index("whitenoise.middleware.WhiteNoiseMiddleware")
        assert loaded["middleware"].index(TOOLBAR_MIDDLEWARE) == whitenoise + 1
        assert loaded["internal_ips"] == ["127.0.0.1", "::1"]
        # Its page answers (that panel's data is gone) instead of the site's 404, and the
        # people page comes with the toolbar.
        assert loaded["toolbar_page"] == 200
        assert loaded["people"] == [200, True]

    def test_manage_py_check_is_clean(self):
        result = run(
            ["manage.py", "check", "--fail-level", "WARNING"], environment(debug=True)
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues (0 silenced)." in result.stdout

    def test_show_urls_lists_the_people_page_and_the_toolbars_pages(self):
        result = run(["manage.py", "show_urls"], environment(debug=True))
        assert result.returncode == 0, result.stderr
        rows = {line.split("\t")[0]: line.split("\t")[1:] for line in result.stdout.splitlines()}
        assert rows["/people"] == ["users.views.people", "people"]
        assert rows["/__debug__/render_panel/"][1] == "djdt:render_panel"

    def test_without_the_packages_debug_on_still_runs(self):
        loaded = load(debug=True, code=WITHOUT_THE_TOOLS + PRINT_TOOLS)
        assert not set(TOOLS) & set(loaded["apps"])
        assert TOOLBAR_MIDDLEWARE not in loaded["middleware"]
        assert loaded["toolbar_page"] == 404
        assert loaded["people"] == [200, False]


class TestTheTestSuite:
    def test_this_run_loaded_neither_tool_though_debug_is_set(self):
        """pytest sets DEBUG=1 in the environment (pyproject.toml); PYTEST_VERSION keeps the
        tools out, so these tests run the apps production runs."""
        assert not set(TOOLS) & set(settings.INSTALLED_APPS)
        assert TOOLBAR_MIDDLEWARE not in settings.MIDDLEWARE

    def test_a_test_run_with_debug_on_loads_neither_tool(self):
        env = environment(debug=True)
        env["PYTEST_VERSION"] = "9"
        result = run(["-c", PRINT_TOOLS], env)
        assert result.returncode == 0, result.stderr
        loaded = json.loads(result.stdout.strip().splitlines()[-1])
        assert not set(TOOLS) & set(loaded["apps"])
        assert loaded["toolbar_page"] == 404
        assert loaded["people"] == [200, False]
