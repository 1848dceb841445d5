"""
A server error mails its traceback to ADMINS, end to end through real processes: daphne with
DEBUG off and the production settings, the task worker (`manage.py db_worker`) and a real SMTP
server (aiosmtpd), all configured from the environment as on Heroku.
"""

from __future__ import annotations

import json
import os

import httpx
import pytest

from tests.live import LiveDatabase, LiveServer, manage
from tests.smtp import MailServer, Worker, smtp_server  # noqa: F401

pytestmark = pytest.mark.live

ADMINS = "Ada <ada@example.com>, bob@example.com"

DROP_POSTS = (
    "from django.db import connection\n"
    "cascade = ' CASCADE' if connection.vendor == 'postgresql' else ''\n"
    "connection.cursor().execute('DROP TABLE posts_post' + cascade)\n"
)

TASKS = (
    "import json\n"
    "from django_tasks_db.models import DBTaskResult\n"
    "print('TASKS:' + json.dumps([[t.task_path, t.status, t.args_kwargs['args'][0][0]['to']]\n"
    "                             for t in DBTaskResult.objects.all()]))\n"
)


@pytest.fixture
def database():
    """A database of this test's own: the test breaks it."""
    database = LiveDatabase(os.environ.get("DATABASE_URL"))
    yield database
    database.drop()


@pytest.fixture
def site(database, smtp_server):  # noqa: F811
    server = LiveServer(database, ADMINS=ADMINS, **smtp_server.env()).start()
    worker = Worker(server.env)
    yield server, worker
    worker.stop()
    server.stop()


def tasks(server: LiveServer) -> list[list]:
    """[task path, status, recipients] of every task in the live server's database."""
    printed = manage("shell", "-c", TASKS, env=server.env).stdout
    line = next(line for line in printed.splitlines() if line.startswith("TASKS:"))
    return json.loads(line[len("TASKS:") :])


def database_is_postgres(server: LiveServer) -> bool:
    return server.env["DATABASE_URL"].startswith(("postgres://", "postgresql://"))


def backlog(server: LiveServer) -> dict:
    response = httpx.get(f"{server.url}/healthz", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_server_error_mails_its_traceback_to_the_admins(site, smtp_server):  # noqa: F811
    server, worker = site
    assert backlog(server)["tasks_waiting"] == 0
    manage("shell", "-c", DROP_POSTS, env=server.env)  # the home page reads posts: it fails

    response = httpx.get(f"{server.url}/", timeout=10)
    assert response.status_code == 500
    assert "Traceback" not in response.text  # DEBUG is off: the visitor sees no traceback

    # The request did not wait on SMTP: the report is a task, and nothing is sent until a
    # worker runs.
    assert tasks(server) == [
        ["retrosocial.mail.deliver", "READY", ["ada@example.com", "bob@example.com"]]
    ]
    assert backlog(server)["tasks_waiting"] == 1
    assert smtp_server.received == []

    worker.start().wait_until_running()
    [mail] = smtp_server.wait_for(1, timeout=30)
    assert sorted(mail.to) == ["ada@example.com", "bob@example.com"]
    assert "ada@example.com" in mail.message["To"] and "bob@example.com" in mail.message["To"]
    assert "ERROR" in mail.subject and "Internal Server Error: /" in mail.subject
    body = mail.text
    assert "Traceback (most recent call last)" in body
    error = "ProgrammingError" if database_is_postgres(server) else "OperationalError"
    assert f"{error} at /" in body and "posts_post" in body
    assert "posts/views.py" in body  # the frame of the view that failed

    assert tasks(server)[0][1] == "SUCCESSFUL", worker.output()
    assert backlog(server)["tasks_waiting"] == 0
    assert len(smtp_server.received) == 1  # sent once


def test_without_admins_a_server_error_mails_no_one(database, smtp_server):  # noqa: F811
    server = LiveServer(database, ADMINS="", **smtp_server.env()).start()
    try:
        manage("shell", "-c", DROP_POSTS, env=server.env)
        assert httpx.get(f"{server.url}/", timeout=10).status_code == 500
        assert tasks(server) == []
    finally:
        server.stop()
