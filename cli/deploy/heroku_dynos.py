"""
The step of `retro deploy heroku` for the Procfile's `worker:` process. Heroku starts one web
dyno by itself, but a process type other than web runs only once it is scaled up: without this
step, background tasks would wait in the queue for ever.
"""

from __future__ import annotations

from cli.deploy.heroku_cli import HerokuCLI, Target
from cli.deploy.steps import Step

WORKER = "worker"
# What a worker dyno costs (Heroku's prices as of 2026): said before it is started.
WORKER_COST = (
    "a worker dyno is billed like the web one: $7 a month on Basic; on Eco it shares the "
    "1,000 dyno hours a month of the $5 plan with your other Eco dynos"
)


class DynoSteps:
    """The worker process type runs one dyno."""

    def __init__(self, cli: HerokuCLI, target: Target):
        self.cli = cli
        self.target = target

    def worker(self, step: Step | None) -> None:
        dynos = self.cli.heroku_json(
            "ps", "--app", self.target.app, "--json", what="cannot read the app's dynos"
        )
        if dynos is not None:
            running = [d for d in dynos if isinstance(d, dict) and d.get("type") == WORKER]
            if running:
                step.done_before = True
                step.detail = ", ".join(f"{d.get('name')} {d.get('state')}" for d in running)
                return
            self.cli.steps.say(f"      Note: {WORKER_COST}.", style="yellow")
        result = self.cli.heroku(
            "ps:scale", f"{WORKER}=1", "--app", self.target.app, note=WORKER_COST
        )
        if result is None:
            return
        if not result.ok:
            raise self.cli.fail(
                f"cannot start the worker dyno: {result.message()}",
                fix=f"see: heroku ps --app {self.target.app}",
            )
        step.detail = f"{WORKER}=1: one worker dyno runs the Procfile's {WORKER} process"
