"""`retro deploy heroku --frontend-origin ORIGIN` against the fake Heroku CLI: the origin is added
to the app's CORS_ALLOWED_ORIGINS (merged with what is there, like ALLOWED_HOSTS), a second run
sets nothing again, a value that is not an origin is refused before anything runs, and every
deploy ends by saying how to host frontend/ and which origins may use the API."""

from __future__ import annotations

from cli.errors import ExitCode
from tests.deploy.test_deploy_heroku import APP, deploy

PAGES = "https://example.github.io"


def config_sets(fake) -> list[str]:
    return [call for call in fake.calls() if call.startswith("heroku config:set ")]


def assert_hosting_help(stdout: str, api: str, allowed: str) -> None:
    assert "python -m http.server --bind 127.0.0.1 8001 --directory frontend" in stdout
    assert f"http://127.0.0.1:8001/?api={api}" in stdout
    assert "GitHub Pages" in stdout
    assert f"(CORS_ALLOWED_ORIGINS): {allowed}." in stdout


class TestFrontendOrigin:
    def test_the_origin_is_set_with_the_other_config_vars_and_the_hosting_is_said(
        self, fake_heroku, project, live_server
    ):
        run = deploy(fake_heroku, project, "--app", APP, "--yes", "--frontend-origin", PAGES)

        assert run.returncode == 0, str(run)
        (config_set,) = config_sets(fake_heroku)
        assert f" CORS_ALLOWED_ORIGINS={PAGES} " in config_set
        assert fake_heroku.app(APP)["config"]["CORS_ALLOWED_ORIGINS"] == PAGES
        assert "CORS_ALLOWED_ORIGINS)" in run.stdout  # named in the step's title
        assert_hosting_help(run.stdout, live_server.url, PAGES)
        # The help comes last, after the deploy's own summary.
        assert run.stdout.index("Deployed:") < run.stdout.index("The static frontend")

    def test_origins_set_by_hand_stay_and_a_second_run_sets_nothing(self, fake_heroku, project):
        assert deploy(fake_heroku, project, "--app", APP, "--yes").returncode == 0
        fake_heroku.admin("config:set", "CORS_ALLOWED_ORIGINS=https://mine.example", "--app", APP)
        fake_heroku.clear_calls()

        run = deploy(fake_heroku, project, "--app", APP, "--yes", "--frontend-origin", PAGES)

        assert run.returncode == 0, str(run)
        both = f"https://mine.example,{PAGES}"
        assert config_sets(fake_heroku) == [
            f"heroku config:set CORS_ALLOWED_ORIGINS={both} --app {APP}"
        ]
        assert fake_heroku.app(APP)["config"]["CORS_ALLOWED_ORIGINS"] == both
        assert f"(CORS_ALLOWED_ORIGINS): https://mine.example, {PAGES}." in run.stdout

        fake_heroku.clear_calls()
        again = deploy(fake_heroku, project, "--app", APP, "--yes", "--frontend-origin", PAGES)
        assert again.returncode == 0, str(again)
        assert config_sets(fake_heroku) == []
        assert fake_heroku.app(APP)["config"]["CORS_ALLOWED_ORIGINS"] == both

    def test_several_origins_and_a_trailing_slash(self, fake_heroku, project):
        run = deploy(
            fake_heroku, project, "--app", APP, "--yes",
            "--frontend-origin", "https://Example.GitHub.io/",
            "--frontend-origin", "http://127.0.0.1:8001",
        )
        assert run.returncode == 0, str(run)
        config = fake_heroku.app(APP)["config"]
        assert config["CORS_ALLOWED_ORIGINS"] == f"{PAGES},http://127.0.0.1:8001"

    def test_without_the_option_nothing_is_allowed_and_the_help_says_how(
        self, fake_heroku, project, live_server
    ):
        run = deploy(fake_heroku, project, "--app", APP, "--yes")

        assert run.returncode == 0, str(run)
        assert "CORS_ALLOWED_ORIGINS" not in fake_heroku.app(APP)["config"]
        assert_hosting_help(run.stdout, live_server.url, "none yet (no page on another origin may)")
        assert f"retro deploy heroku --app {APP} --frontend-origin https://" in run.stdout

    def test_a_dry_run_shows_the_origin_in_config_set_and_the_help(self, fake_heroku, project):
        run = deploy(fake_heroku, project, "--app", APP, "--dry-run", "--frontend-origin", PAGES)

        assert run.returncode == 0, str(run)
        assert not fake_heroku.log.exists()
        config_set = next(line for line in run.stdout.splitlines() if "config:set" in line)
        assert f"CORS_ALLOWED_ORIGINS={PAGES}" in config_set
        assert_hosting_help(run.stdout, f"https://{APP}-xxxxxxxxxxxx.herokuapp.com", PAGES)


class TestNotAnOrigin:
    def test_a_path_a_scheme_or_no_host_is_refused_before_anything_runs(
        self, fake_heroku, project
    ):
        for value in (
            "https://example.github.io/repo/",
            "example.github.io",
            "ftp://example.github.io",
            "https://example.github.io?x=1",
            "https://example.github.io:99999",
            "https://",
        ):
            run = deploy(fake_heroku, project, "--app", APP, "--yes", "--frontend-origin", value)
            assert run.returncode == ExitCode.USAGE, str(run)
            assert f"--frontend-origin {value!r} is not an origin" in run.stderr, value
            assert "e.g. https://example.github.io" in run.stderr
        assert not fake_heroku.log.exists()  # the fake heroku never ran
