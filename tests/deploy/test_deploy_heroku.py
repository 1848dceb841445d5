"""
`retro deploy heroku` against the fake Heroku CLI on PATH (Heroku's servers cannot be reached
from here): the commands it runs and their order, what a second run skips, how each failure
reads, and that a dry run runs nothing. Pushes go to a bare repository in the test's folder,
and the app's web URL is a real RetroSocial started by the suite, so /healthz is real.
"""

from __future__ import annotations

import json
import re

from cli.errors import ExitCode
from tests.deploy.conftest import git, run_retro

APP = "retro-demo"
FIRST_DEPLOY = [
    "heroku auth:whoami",
    f"heroku apps:info --app {APP} --json",
    f"heroku apps:create {APP} --json",
    f"heroku addons --app {APP} --json",
    f"heroku addons:create heroku-postgresql:essential-0 --app {APP} --wait",
    f"heroku addons:create heroku-redis:mini --app {APP} --wait",
    f"heroku config --app {APP} --json",
    # then config:set (its SECRET_KEY is random; checked on its own), the push, and:
    f"heroku releases --app {APP} --json --num 1",
    # The Procfile has a worker (week 7's background tasks): one worker dyno.
    f"heroku ps --app {APP} --json",
    f"heroku ps:scale worker=1 --app {APP}",
]
STEP_TITLES = [
    "The Heroku CLI is installed and logged in",
    "The app exists",
    "The heroku-postgresql and heroku-redis add-ons are attached",
    "Config vars are set",
    "The code is pushed (git push heroku HEAD:main)",
    "The release phase finished",
    "/healthz answers on the app's URL",
    "The worker dyno runs",
    "The app is saved as server 'heroku'",
]


def deploy(fake, project, *args: str, input: str = ""):
    return run_retro("deploy", "heroku", *args, cwd=project, env=fake.env(), input=input)


def without_config_set(calls: list[str]) -> list[str]:
    return [call for call in calls if not call.startswith("heroku config:set ")]


class TestFirstDeploy:
    def test_runs_each_step_in_order_and_saves_the_app_as_a_server(
        self, fake_heroku, project, live_server
    ):
        run = deploy(fake_heroku, project, "--app", APP, "--yes")

        assert run.returncode == 0, str(run)
        calls = fake_heroku.calls()
        assert without_config_set(calls) == FIRST_DEPLOY
        # config:set comes right after reading the config, before the push and the release.
        config_set = calls[FIRST_DEPLOY.index(f"heroku config --app {APP} --json") + 1]
        assert re.fullmatch(
            rf"heroku config:set ALLOWED_HOSTS=127\.0\.0\.1 "
            rf"CSRF_TRUSTED_ORIGINS=https://127\.0\.0\.1 DEBUG=0 SECRET_KEY=\S{{50,}} "
            rf"TRUSTED_PROXY_COUNT=1 --app {APP}",
            config_set,
        ), config_set
        # Each step is listed with ✓, in the order the issue gives.
        done = [line for line in run.stdout.splitlines() if line.strip().startswith("✓")]
        assert len(done) == len(STEP_TITLES), run.stdout
        for line, title in zip(done, STEP_TITLES, strict=True):
            assert title in line, line
        # The commit reached the app's repository, and a release followed it.
        assert fake_heroku.pushed(APP) == git("rev-parse", "HEAD", cwd=project)
        app = fake_heroku.app(APP)
        assert app["releases"][-1]["status"] == "succeeded"
        assert app["releases"][-1]["description"].startswith("Deploy ")
        assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"} <= app["config"].keys()
        assert app["config"]["DEBUG"] == "0"
        # `retro --server heroku …` now reaches the app.
        servers = json.loads((fake_heroku.config_dir / "servers.json").read_text())
        assert servers["servers"]["heroku"] == live_server.url
        assert f"Deployed: {live_server.url}/" in run.stdout

    def test_without_app_heroku_picks_the_name_and_the_next_run_finds_it_by_the_git_remote(
        self, fake_heroku, project
    ):
        first = deploy(fake_heroku, project, "--yes")
        assert first.returncode == 0, str(first)
        created = next(call for call in fake_heroku.calls() if "apps:create" in call)
        assert created == "heroku apps:create --json"
        (name,) = fake_heroku.state()["apps"]
        assert git("remote", "get-url", "heroku", cwd=project).endswith(f"/{name}.git")

        fake_heroku.clear_calls()
        second = deploy(fake_heroku, project, "--yes")
        assert second.returncode == 0, str(second)
        assert f"heroku apps:info --app {name} --json" in fake_heroku.calls()
        assert list(fake_heroku.state()["apps"]) == [name]


class TestSecondRun:
    def test_skips_everything_that_is_done(self, fake_heroku, project):
        assert deploy(fake_heroku, project, "--app", APP, "--yes").returncode == 0
        before = fake_heroku.app(APP)
        fake_heroku.clear_calls()

        run = deploy(fake_heroku, project, "--app", APP, "--yes")

        assert run.returncode == 0, str(run)
        # Only questions: no create, no add-on, no config:set (so no restart), no push.
        assert fake_heroku.calls() == [
            "heroku auth:whoami",
            f"heroku apps:info --app {APP} --json",
            f"heroku addons --app {APP} --json",
            f"heroku config --app {APP} --json",
            f"heroku releases --app {APP} --json --num 1",
            f"heroku ps --app {APP} --json",  # the worker runs: not scaled again
        ]
        after = fake_heroku.app(APP)
        assert after["releases"] == before["releases"]  # nothing pushed, nothing restarted
        assert after["config"]["SECRET_KEY"] == before["config"]["SECRET_KEY"]
        assert run.stdout.count("already done") == 5, run.stdout  # the worker's step too
        assert "worker.1 up" in run.stdout

    def test_a_new_commit_is_pushed_and_nothing_else_repeated(self, fake_heroku, project):
        assert deploy(fake_heroku, project, "--app", APP, "--yes").returncode == 0
        (project / "NOTES.md").write_text("a change\n")
        git("add", "NOTES.md", cwd=project)
        git("-c", "user.name=Ada", "-c", "user.email=ada@example.com", "commit", "-q", "-m",
            "Notes", cwd=project)
        fake_heroku.clear_calls()

        run = deploy(fake_heroku, project, "--app", APP, "--yes")

        assert run.returncode == 0, str(run)
        assert fake_heroku.pushed(APP) == git("rev-parse", "HEAD", cwd=project)
        assert not [c for c in fake_heroku.calls() if re.search(r"create|config:set", c)]


    def test_a_host_added_by_hand_stays_allowed(self, fake_heroku, project):
        assert deploy(fake_heroku, project, "--app", APP, "--yes").returncode == 0
        fake_heroku.admin("config:set", "ALLOWED_HOSTS=www.example.com", "--app", APP)
        fake_heroku.clear_calls()

        run = deploy(fake_heroku, project, "--app", APP, "--yes")

        assert run.returncode == 0, str(run)
        assert f"heroku config:set ALLOWED_HOSTS=www.example.com,127.0.0.1 --app {APP}" in (
            fake_heroku.calls()
        )
        assert fake_heroku.app(APP)["config"]["ALLOWED_HOSTS"] == "www.example.com,127.0.0.1"


class TestFailures:
    def test_not_logged_in_stops_at_the_first_step(self, fake_heroku, project):
        fake_heroku.logout()

        run = deploy(fake_heroku, project, "--app", APP, "--yes")

        assert run.returncode == ExitCode.AUTH
        assert fake_heroku.calls() == ["heroku auth:whoami"]
        assert "✗ The Heroku CLI is installed and logged in" in run.stdout
        assert run.stderr.strip() == (
            "retro: error: the Heroku CLI is not logged in (heroku auth:whoami: not logged in) "
            f"(log in with: heroku login; then resume with: retro deploy heroku --app {APP})"
        )

    def test_an_app_name_taken_by_another_account(self, fake_heroku, project):
        fake_heroku.foreign_app("taken-name")

        run = deploy(fake_heroku, project, "--app", "taken-name", "--yes")

        assert run.returncode == ExitCode.DEPLOY_FAILED
        assert fake_heroku.calls()[-1] == "heroku apps:create taken-name --json"
        assert "✗ The app exists" in run.stdout
        assert "the app name 'taken-name' is taken by another Heroku account: " \
               "Name is already taken" in run.stderr
        assert "retro deploy heroku --app ANOTHER-NAME" in run.stderr
        assert "taken-name" not in fake_heroku.state()["apps"]

    def test_a_failed_push_shows_herokus_message_and_resumes_where_it_stopped(
        self, fake_heroku, project
    ):
        fake_heroku.fail = "push"

        run = deploy(fake_heroku, project, "--app", APP, "--yes")

        assert run.returncode == ExitCode.DEPLOY_FAILED
        assert "✗ The code is pushed" in run.stdout
        assert "Push rejected, failed to compile Python app." in run.stdout  # the build log
        assert run.stderr.strip() == (
            "retro: error: the push failed: Push rejected, failed to compile Python app. "
            "(fix what the build says above and commit; "
            f"then resume with: retro deploy heroku --app {APP})"
        )
        assert fake_heroku.pushed(APP) is None
        assert not [call for call in fake_heroku.calls() if "releases" in call]

        # The command it gives resumes: only the push (and what follows) happens now.
        fake_heroku.fail = ""
        fake_heroku.clear_calls()
        resumed = deploy(fake_heroku, project, "--app", APP, "--yes")
        assert resumed.returncode == 0, str(resumed)
        assert fake_heroku.pushed(APP) == git("rev-parse", "HEAD", cwd=project)
        assert not [c for c in fake_heroku.calls() if re.search(r"create|config:set", c)]

    def test_a_failed_release_phase_points_at_its_output(self, fake_heroku, project):
        fake_heroku.fail = "release"

        run = deploy(fake_heroku, project, "--app", APP, "--yes")

        assert run.returncode == ExitCode.DEPLOY_FAILED
        assert "✗ The release phase finished" in run.stdout
        assert "release v5 failed" in run.stderr
        assert f"heroku releases:output --app {APP}" in run.stderr

    def test_a_heroku_error_is_reported_in_herokus_words(self, fake_heroku, project):
        fake_heroku.fail = "addons:create"

        run = deploy(fake_heroku, project, "--app", APP, "--yes")

        assert run.returncode == ExitCode.DEPLOY_FAILED
        assert "✗ The heroku-postgresql and heroku-redis add-ons are attached" in run.stdout
        assert (
            "cannot attach heroku-postgresql:essential-0: addons:create failed: "
            "Heroku is having trouble (FAKE_HEROKU_FAIL)"
        ) in run.stderr
        assert fake_heroku.calls()[-1].startswith("heroku addons:create heroku-postgresql")

    def test_without_the_heroku_cli(self, fake_heroku, project):
        env = fake_heroku.env()
        env["PATH"] = "/usr/bin:/bin"  # git, but no heroku

        run = run_retro("deploy", "heroku", "--yes", cwd=project, env=env)

        assert run.returncode == ExitCode.DEPLOY_FAILED
        assert "the Heroku CLI is not installed" in run.stderr
        assert "npm install -g heroku" in run.stderr


class TestConfirmation:
    def test_no_is_the_default_and_changes_nothing(self, fake_heroku, project):
        run = deploy(fake_heroku, project, "--app", APP, input="\n")

        assert run.returncode == ExitCode.CANCELLED == 130
        assert "bills your Heroku account" in run.stdout
        assert "not confirmed; nothing was changed" in run.stderr
        assert fake_heroku.calls() == []

    def test_yes_at_the_prompt_deploys(self, fake_heroku, project):
        run = deploy(fake_heroku, project, "--app", APP, input="y\n")

        assert run.returncode == 0, str(run)
        assert fake_heroku.pushed(APP) == git("rev-parse", "HEAD", cwd=project)


class TestDryRun:
    def test_prints_every_command_in_order_and_runs_none(self, fake_heroku, project):
        run = deploy(fake_heroku, project, "--app", APP, "--dry-run")

        assert run.returncode == 0, str(run)
        assert not fake_heroku.log.exists()  # the fake heroku never ran
        assert fake_heroku.state()["apps"] == {}
        assert "heroku" not in git("remote", cwd=project).split()
        commands = [line.strip()[2:].split("    #")[0] for line in run.stdout.splitlines()
                    if line.strip().startswith("$ ")]
        assert commands == [
            "heroku auth:whoami",
            f"heroku apps:info --app {APP} --json",
            f"heroku apps:create {APP} --json",
            "git remote get-url heroku",
            f"heroku git:remote --app {APP}",
            f"heroku addons --app {APP} --json",
            f"heroku addons:create heroku-postgresql:essential-0 --app {APP} --wait",
            f"heroku addons:create heroku-redis:mini --app {APP} --wait",
            f"heroku config --app {APP} --json",
            f"heroku config:set ALLOWED_HOSTS={APP}-xxxxxxxxxxxx.herokuapp.com "
            f"CSRF_TRUSTED_ORIGINS=https://{APP}-xxxxxxxxxxxx.herokuapp.com DEBUG=0 "
            "SECRET_KEY=\"$(python -c 'import secrets; print(secrets.token_urlsafe(50))')\" "
            f"TRUSTED_PROXY_COUNT=1 --app {APP}",
            "git rev-parse HEAD",
            "git ls-remote heroku refs/heads/main",
            "git push heroku HEAD:main",
            f"heroku releases --app {APP} --json --num 1",
            f"heroku ps --app {APP} --json",
            f"heroku ps:scale worker=1 --app {APP}",
        ]
        assert f"GET https://{APP}-xxxxxxxxxxxx.herokuapp.com/healthz" in run.stdout
        assert not (fake_heroku.config_dir / "servers.json").exists()


def remove_worker(project) -> None:
    """The project's Procfile loses its worker process (as before week 7's background tasks)."""
    procfile = project / "Procfile"
    lines = procfile.read_text().splitlines(keepends=True)
    assert any(line.startswith("worker:") for line in lines)  # the site's Procfile has one
    procfile.write_text("".join(line for line in lines if not line.startswith("worker:")))
    git("-c", "user.name=Ada", "-c", "user.email=ada@example.com", "commit", "-q", "-a",
        "-m", "No worker", cwd=project)


class TestWorker:
    def test_a_procfile_worker_is_scaled_to_one_dyno_once_and_its_cost_said(
        self, fake_heroku, project
    ):
        run = deploy(fake_heroku, project, "--app", APP, "--yes")

        assert run.returncode == 0, str(run)
        scale = f"heroku ps:scale worker=1 --app {APP}"
        calls = fake_heroku.calls()
        # After the release is out and answering, before the app is saved as a server.
        assert calls[-2:] == [f"heroku ps --app {APP} --json", scale]
        assert "✓ The worker dyno runs (heroku ps:scale worker=1)" in run.stdout
        assert "$7 a month on Basic" in run.stdout
        assert fake_heroku.app(APP)["formation"] == {"worker": 1}
        # `retro deploy status` shows it running.
        status = run_retro("deploy", "status", cwd=project, env=fake_heroku.env())
        assert "worker.1: up" in status.stdout, str(status)

        fake_heroku.clear_calls()
        again = deploy(fake_heroku, project, "--app", APP, "--yes")
        assert again.returncode == 0, str(again)
        assert scale not in fake_heroku.calls()  # already running: not scaled twice
        assert "worker.1 up" in again.stdout

    def test_a_failed_scale_says_herokus_words_and_how_to_resume(self, fake_heroku, project):
        fake_heroku.fail = "ps:scale"
        run = deploy(fake_heroku, project, "--app", APP, "--yes")

        assert run.returncode == ExitCode.DEPLOY_FAILED, str(run)
        assert "cannot start the worker dyno: ps:scale failed" in run.stderr
        assert f"retro deploy heroku --app {APP}" in run.stderr

    def test_the_dry_run_shows_the_scale_command_and_its_cost(self, fake_heroku, project):
        run = deploy(fake_heroku, project, "--app", APP, "--dry-run")

        assert run.returncode == 0, str(run)
        assert not fake_heroku.log.exists()
        line = next(line for line in run.stdout.splitlines() if "$ heroku ps:scale" in line)
        assert f"$ heroku ps:scale worker=1 --app {APP}" in line
        assert "$7 a month on Basic" in line

    def test_without_a_worker_nothing_is_scaled(self, fake_heroku, project):
        remove_worker(project)
        assert deploy(fake_heroku, project, "--app", APP, "--yes").returncode == 0
        assert not [call for call in fake_heroku.calls() if call.startswith("heroku ps")]


class TestPassThrough:
    def test_status_is_heroku_ps(self, fake_heroku, project):
        assert deploy(fake_heroku, project, "--app", APP, "--yes").returncode == 0
        fake_heroku.clear_calls()

        run = run_retro("deploy", "status", cwd=project, env=fake_heroku.env())

        assert run.returncode == 0, str(run)
        assert fake_heroku.calls() == [f"heroku ps --app {APP}"]  # the app from the git remote
        assert "web.1: up" in run.stdout

    def test_logs_is_heroku_logs_tail(self, fake_heroku, project):
        fake_heroku.clear_calls()

        run = run_retro("deploy", "logs", "--app", APP, cwd=project, env=fake_heroku.env())

        assert run.returncode == ExitCode.DEPLOY_FAILED  # no such app in the fake yet
        assert fake_heroku.calls() == [f"heroku logs --tail --app {APP}"]
        assert "Couldn't find that app." in run.stdout + run.stderr

    def test_without_an_app_or_a_git_remote_it_asks_which(self, fake_heroku, project):
        run = run_retro("deploy", "logs", cwd=project, env=fake_heroku.env())

        assert run.returncode == ExitCode.USAGE
        assert "pass --app NAME" in run.stderr
        assert fake_heroku.calls() == []
