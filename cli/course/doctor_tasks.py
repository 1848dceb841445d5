"""
`retro doctor`'s lines on background tasks and mail, for a project with django_tasks in
INSTALLED_APPS (– for one without):

- the task worker: the Procfile's `worker:` line, and the task table with its backlog, read in
  the project's own Python. Tasks that have waited more than a minute mean no worker runs.
- mail: where the worker sends it (an SMTP host and port, which must answer, or printed by the
  worker when EMAIL_HOST is unset), and whether ADMINS is set to receive server errors.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

from cli.course.doctor import OK, PROBLEM, SKIP, Line, read_settings

STALE_SECONDS = 60
WORKER_COMMAND = "python manage.py db_worker"
ADMINS_FIX = "export ADMINS='Your Name <you@example.com>' (on Heroku: heroku config:set ADMINS=…)"

PROBE = r"""
import json
from django.conf import settings
delivery = getattr(settings, "MAIL_DELIVERY_BACKEND", "")
if not settings.EMAIL_BACKEND.endswith("TaskEmailBackend") or not delivery:
    delivery = settings.EMAIL_BACKEND
admins = [a[1] if isinstance(a, (list, tuple)) else str(a) for a in settings.ADMINS]
tasks = (getattr(settings, "TASKS", None) or {}).get("default") or {}
result = {"delivery": delivery, "host": settings.EMAIL_HOST, "port": settings.EMAIL_PORT,
          "admins": admins, "tasks_backend": tasks.get("BACKEND", ""),
          "waiting": None, "oldest": None, "tasks_error": None}
try:
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult
    waiting = DBTaskResult.objects.ready()
    oldest = waiting.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    result["waiting"] = waiting.count()
    result["oldest"] = (timezone.now() - oldest).total_seconds() if oldest else 0
except Exception as error:
    text = str(error).strip()
    result["tasks_error"] = text.splitlines()[0] if text else type(error).__name__
print("RETRO:" + json.dumps(result, default=str))
"""


def task_lines(
    python: str, root: Path, facts: dict, env: dict[str, str] | None, note: str
) -> list[Line]:
    """The worker's line and the mail's, from the settings' facts `doctor` has read already
    (`env` and `note`: how it read them)."""
    if "django_tasks" not in facts["apps"]:
        why = "this project has no background tasks (django_tasks is not in INSTALLED_APPS)"
        return [Line(SKIP, "the task worker", why), Line(SKIP, "mail", why)]
    probe = read_settings(python, root, env, PROBE)
    if probe is None:
        return [
            Line(
                PROBLEM,
                "the task worker",
                "manage.py shell could not read the task settings",
                "fix what python manage.py check says first",
            )
        ]
    return [
        worker_line(root, probe, facts["database_error"], note),
        mail_line(probe, note),
    ]


def procfile_worker(root: Path) -> str | None:
    """The command of the Procfile's `worker:` line, or None."""
    procfile = root / "Procfile"
    if not procfile.is_file():
        return None
    for text in procfile.read_text(errors="replace").splitlines():
        match = re.match(r"\s*worker\s*:\s*(.+)", text)
        if match:
            return match.group(1).strip()
    return None


def age(seconds: float) -> str:
    if seconds < 120:
        return f"{int(seconds)}s"
    if seconds < 2 * 3600:
        return f"{int(seconds // 60)} min"
    return f"{int(seconds // 3600)} h"


def worker_line(root: Path, probe: dict, database_error: str | None, note: str) -> Line:
    what = "the task worker"
    if not probe["tasks_backend"].startswith("django_tasks_db"):
        backend = probe["tasks_backend"] or "django_tasks' default"
        return Line(SKIP, what, f"TASKS uses {backend}, which needs no worker{note}")
    command = procfile_worker(root)
    if command is None:
        return Line(
            PROBLEM,
            what,
            "the Procfile has no `worker:` line: deployed, no worker would run the tasks "
            "(nor send the mail)",
            f"add the line `worker: {WORKER_COMMAND}` to the Procfile",
        )
    if database_error:
        return Line(SKIP, what, f"Procfile: {command}; the backlog not read: the database "
                                f"does not answer{note}")  # fmt: skip
    if probe["tasks_error"]:
        return Line(
            PROBLEM,
            what,
            f"the task table cannot be read: {probe['tasks_error'][:120]}{note}",
            "python manage.py migrate",
        )
    waiting, oldest = probe["waiting"], probe["oldest"] or 0
    if waiting and oldest > STALE_SECONDS:
        return Line(
            PROBLEM,
            what,
            f"{waiting} task(s) waiting, the oldest for {age(oldest)}: no worker is running{note}",
            f"{WORKER_COMMAND} (make run starts it beside the server)",
        )
    backlog = "no tasks waiting"
    if waiting:
        backlog = f"{waiting} task(s) waiting, the oldest for {age(oldest)}"
    return Line(OK, what, f"Procfile: {command}; {backlog}{note}")


def answers(host: str, port: int, timeout: float = 3) -> str:
    """Why a TCP connection to host:port does not open ("" when it does)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return ""
    except OSError as error:
        return error.strerror or str(error) or type(error).__name__


def mail_line(probe: dict, note: str) -> Line:
    what = "mail"
    delivery = probe["delivery"]
    host, port = probe["host"], probe["port"]
    admins = (
        f"server errors go to {', '.join(probe['admins'])}"
        if probe["admins"]
        else "ADMINS is unset: server errors are mailed to no one"
    )
    if delivery.endswith("smtp.EmailBackend"):
        why = answers(host, int(port))
        if why:
            return Line(
                PROBLEM,
                what,
                f"SMTP {host}:{port} does not answer ({why}){note}",
                "check EMAIL_HOST and EMAIL_PORT, or start a local debugging server: "
                "python -m aiosmtpd -n -l 127.0.0.1:1025 (with EMAIL_HOST=127.0.0.1 "
                "EMAIL_PORT=1025 EMAIL_USE_TLS=0)",
            )
        where = f"SMTP {host}:{port} answers"
    elif delivery.endswith("console.EmailBackend"):
        where = "printed by the worker (EMAIL_HOST is unset)"
    else:
        where = f"sent by {delivery}"
    if not probe["admins"]:
        return Line(SKIP, what, f"{where}; {admins}{note}", ADMINS_FIX)
    return Line(OK, what, f"{where}; {admins}{note}")
