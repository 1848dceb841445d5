"""
The steps of `retro deploy heroku` that ship the code: git push (Heroku builds it), the release
phase, /healthz answering, and the app saved as a server of `retro server list`.
"""

from __future__ import annotations

import time

from cli.deploy.heroku_cli import REMOTE, HerokuCLI, Target
from cli.deploy.steps import Step


class ReleaseSteps:
    """The last commit is built, released and answering, and `retro` knows the app."""

    def __init__(self, cli: HerokuCLI, target: Target):
        self.cli = cli
        self.target = target

    def push(self, step: Step | None) -> None:
        head = self.cli.git("rev-parse", "HEAD", note="the commit to deploy")
        there = self.cli.git("ls-remote", REMOTE, "refs/heads/main", note="what Heroku has")
        if head is not None and there is not None and there.ok:
            commit = head.stdout.strip()
            if there.stdout.split() and there.stdout.split()[0] == commit:
                step.done_before = True
                step.detail = f"Heroku has {commit[:7]}"
                return
        result = self.cli.git(
            "push",
            REMOTE,
            "HEAD:main",
            stream=True,
            note="builds the app: installs requirements.txt, runs collectstatic",
        )
        if result is None:
            return
        if not result.ok:
            raise self.cli.fail(
                f"the push failed: {result.message()}",
                fix="fix what the build says above and commit",
            )
        step.detail = f"pushed {head.stdout.strip()[:7]}"

    def release(self, step: Step | None) -> None:
        deadline = time.monotonic() + self.target.timeout
        while True:
            releases = self.cli.heroku_json(
                "releases",
                "--app",
                self.target.app,
                "--json",
                "--num",
                "1",
                what="cannot read the releases",
            )
            if releases is None:
                self.cli.steps.say("      … again every 3 s while its status is pending")
                return
            if not releases:
                raise self.cli.fail("the app has no release yet")
            latest = releases[0]
            status = latest.get("status")
            if status == "succeeded":
                step.detail = f"v{latest.get('version')} {status}"
                return
            if status != "pending":
                raise self.cli.fail(
                    f"release v{latest.get('version')} {status}: "
                    f"{latest.get('description', '')}".strip(),
                    fix=f"see why: heroku releases:output --app {self.target.app}",
                )
            if time.monotonic() > deadline:
                waited = f"{self.target.timeout:.0f} s"
                raise self.cli.fail(
                    f"release v{latest.get('version')} still pending after {waited}"
                )
            step.update(f"v{latest.get('version')} pending")
            time.sleep(3)

    def healthz(self, step: Step | None) -> None:
        url = self.target.web_url.rstrip("/") + "/healthz"
        if self.target.dry_run:
            self.cli.steps.say(f"      GET {url}    # until it answers 200")
            return
        from cli.net import NotAnswering, wait_until_answering

        def waiting(last: str, seconds: float) -> None:
            step.update(f"waiting for {url} — {last}")

        try:
            wait_until_answering(
                url,
                timeout=self.target.timeout,
                interval=2,
                on_wait=waiting,
                request_timeout=10,
                follow_redirects=True,
            )
        except NotAnswering as error:
            raise self.cli.fail(
                f"{url} did not answer 200 within {self.target.timeout:.0f} s (last: {error.last})",
                fix=f"see the logs: retro deploy logs --app {self.target.app}",
            ) from None
        step.detail = f"{url} answers 200"

    def remember(self, step: Step | None) -> None:
        if self.target.dry_run:
            self.cli.steps.say(
                f"      remember {self.target.web_url} as {self.target.server_name!r}"
            )
            return
        from cli.config import add_server

        url = add_server(self.target.server_name, self.target.web_url)
        step.detail = f"retro --server {self.target.server_name} … talks to {url}"
