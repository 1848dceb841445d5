"""Week 7, growing up: a cache for what every visit reads, renewed by the code that writes, and
a site that still answers when Redis (its cache) is down; background tasks and their worker, mail
that the worker sends (to a real SMTP server the checks start), error reports to ADMINS, and a
password reset by mail whose link works once."""

from __future__ import annotations

import email
import email.policy
import re
import secrets
import threading
import time
from urllib.parse import urlsplit

from cli.checks import CheckFailed, check
from cli.checks.page import Form, Page
from cli.checks.session import Session, SessionError, free_port, procfile, tail
from cli.checks.web import Visitor, describe, find_login, login
from cli.checks.week2 import author, post
from cli.checks.week4 import REDIS_EXAMPLE, UNREACHABLE_REDIS

CACHE_BACKEND = """
import json
from django.conf import settings
print("RETRO:" + json.dumps(settings.CACHES.get("default", {}).get("BACKEND", "")))
"""

# GET / twice as a visitor, counting the database queries of each (Django's test client, in the
# project's own shell, with its development settings).
HOME_QUERIES = """
import json
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client(HTTP_HOST="localhost")
seen = []
for _ in range(2):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    seen.append([response.status_code, len(queries.captured_queries)])
print("RETRO:" + json.dumps(seen))
"""


def ahead(session: Session) -> None:
    """What the project's cache is when REDIS_URL is set."""
    session.manage_ahead("shell", "-c", CACHE_BACKEND, env=session.dev_env(REDIS_URL=REDIS_EXAMPLE))


@check(
    7,
    "cache-setting",
    "the cache is Redis when REDIS_URL is set, local memory otherwise",
    (7, "cache you already have"),
    needs=["w1.system-check"],
)
def cache_setting(session: Session):
    with_redis = session.shell(CACHE_BACKEND, env=session.dev_env(REDIS_URL=REDIS_EXAMPLE))
    without = session.shell(CACHE_BACKEND)
    hint = (
        "in settings.py: CACHES with django.core.cache.backends.redis.RedisCache and LOCATION "
        "REDIS_URL when REDIS_URL is set, else django.core.cache.backends.locmem.LocMemCache"
    )
    if "redis" not in with_redis.lower():
        raise CheckFailed(
            "with REDIS_URL set, CACHES['default'] to be a Redis cache",
            f"BACKEND {with_redis or 'not set'!r}",
            hint,
        )
    if "redis" in without.lower() or "dummy" in without.lower():
        raise CheckFailed(
            "without REDIS_URL, a cache of the process's own (LocMemCache)",
            f"BACKEND {without or 'not set'!r}",
            hint,
        )
    return [f"{with_redis} with REDIS_URL, {without} without"]


@check(
    7,
    "feed-cached",
    "the home page's rows come from the cache",
    (7, "first page of the feed"),
    needs=["w1.home"],
)
def feed_cached(session: Session):
    session.migrated()
    (first, first_queries), (second, second_queries) = session.shell(HOME_QUERIES)
    if first != 200 or second != 200:
        raise CheckFailed("GET / to answer 200 twice", f"HTTP {first}, then HTTP {second}")
    if second_queries >= first_queries:
        raise CheckFailed(
            "a second visit to the home page to make fewer database queries than the first "
            "(its posts and people read from the cache)",
            f"{first_queries} queries, then {second_queries} again",
            "read the feed's first page and the people list through the cache (lesson steps 4 "
            "and 6): cache.get, and on a miss the database and cache.set",
        )
    return [f"GET / made {first_queries} queries, then {second_queries}"]


@check(
    7,
    "fresh-post",
    "a new post shows at once on the home page",
    (7, "Renew the copy"),
    needs=["w2.post", "w7.feed-cached"],
)
def fresh_post(session: Session):
    visitor, home, _ = author(session)
    visitor.page("/", "the home page")  # the first page is in the cache now
    text = f"fresh from the oven {secrets.token_hex(4)}"
    response = post(visitor, home, text)
    if response.is_redirect:
        visitor.follow(response)
    page = visitor.page("/", "the home page")
    if text not in page.text:
        raise CheckFailed(
            "the post on the home page the author is sent back to",
            f"the home page does not show it (it says: {page.text[:160]!r})",
            "renew the cached rows in post_create, with transaction.on_commit, so the next "
            "visit reads the database",
        )


@check(
    7,
    "redis-down",
    "with Redis down, pages still answer and show the newest post",
    (7, "Redis goes down"),
    needs=["w2.post"],
)
def pages_without_redis(session: Session):
    session.migrated()
    port = free_port()
    env = session.dev_env(REDIS_URL=UNREACHABLE_REDIS)
    argv = [session.python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    server = session.start("cache-down", argv, env, port)
    try:
        visitor = Visitor(server)
        first = visitor.get("/")
        if first.status_code != 200:
            raise CheckFailed(
                "GET / to answer 200 with Redis unreachable (pages read the database instead)",
                describe(first),
                "catch the cache's errors (they are the redis package's ConnectionError), log a "
                "warning and read the database",
            )
        home = login(session, visitor, session.create_user("user"))
        text = f"while the cache is down {secrets.token_hex(4)}"
        started = time.monotonic()
        response = post(visitor, home, text)
        took = time.monotonic() - started
        page = visitor.get("/")
        if response.status_code >= 500 or page.status_code != 200 or text not in page.text:
            seen = f"posting: HTTP {response.status_code}; then GET /: {describe(page)}"
            if "\nthe server's log says:" not in seen:
                seen += "\n" + tail(server.output(), 6)
            raise CheckFailed(
                "the post saved and shown on the home page, with Redis unreachable",
                seen,
                "every cache call of the site goes through one helper that catches the error",
            )
    finally:
        server.stop()
    return [f"the pages answered with Redis unreachable; posting took {took:.1f} s"]


# -- background tasks and mail ------------------------------------------------------------------

TASK_SETTINGS = """
import json
from django.conf import settings
print("RETRO:" + json.dumps({
    "apps": list(settings.INSTALLED_APPS),
    "tasks": {
        name: value.get("BACKEND", "") for name, value in getattr(settings, "TASKS", {}).items()
    },
}))
"""

# send_mail in the project's shell: what it returns, or the error it raises.
SEND_MAIL = """
import json
from django.core.mail import send_mail
try:
    sent = send_mail({subject!r}, "Sent by retro check.", None, [{to!r}])
    print("RETRO:" + json.dumps({{"sent": sent}}))
except Exception as error:
    print("RETRO:" + json.dumps({{"error": type(error).__name__ + ": " + str(error)}}))
"""

# A server error as Django logs it (the django.request logger, with its traceback).
LOG_ERROR = """
import json, logging
from django.conf import settings
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("django.request").error({message!r}, exc_info=True)
print("RETRO:" + json.dumps({{"admins": [list(pair) for pair in settings.ADMINS]}}))
"""

WORKER = ("db_worker", "--batch", "--no-startup-delay", "--no-reload")
WORKER_LINE = "python manage.py " + " ".join(WORKER)
MAIL_WAIT = 5.0


class MailCatcher:
    """A real SMTP server (aiosmtpd) on a free port of this machine, keeping every message it
    receives; `env()` points the project's mail settings at it."""

    def __init__(self):
        try:
            from aiosmtpd.controller import Controller
        except ImportError:
            raise SessionError(
                "the mail checks need the aiosmtpd package in retro's own environment",
                seen="install it there: python -m pip install aiosmtpd",
            ) from None
        self.messages: list[email.message.EmailMessage] = []
        self.arrived = threading.Condition()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.messages.append(message)
            self.arrived.notify_all()
        return "250 OK"

    def env(self) -> dict[str, str]:
        return {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(self.port), "EMAIL_USE_TLS": "0"}

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address in str(m.get("To", ""))]

    def wait_for(self, address: str, timeout: float = MAIL_WAIT):
        """The first message to `address`, waiting up to `timeout` seconds (None if none)."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while not self.to(address):
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.arrived.wait(left)
            return self.to(address)[0]

    def stop(self) -> None:
        self.controller.stop()


def body_of(message) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


def run_worker(session: Session, env: dict[str, str]) -> str:
    """Run the worker until the queue is empty; what it printed (CheckFailed if it failed)."""
    done = session.manage(*WORKER, env=env, timeout=60)
    output = (done.stdout or "") + (done.stderr or "")
    if done.returncode != 0:
        raise CheckFailed(
            f"`{WORKER_LINE}` to run the queued tasks and exit",
            f"exit {done.returncode}:\n" + session.explain(output),
            "django_tasks and django_tasks_db in INSTALLED_APPS, TASKS with "
            "django_tasks_db.DatabaseBackend, and python manage.py migrate",
        )
    return output


@check(
    7,
    "tasks",
    "background tasks in the database, and a worker in the Procfile",
    (7, "Background tasks"),
    needs=["w1.system-check"],
)
def tasks(session: Session):
    found = session.shell(TASK_SETTINGS)
    missing = [app for app in ("django_tasks", "django_tasks_db") if app not in found["apps"]]
    backend = found["tasks"].get("default", "")
    worker = procfile(session.dir).get("worker", "")
    problems = []
    if missing:
        problems.append(f"INSTALLED_APPS has no {' and no '.join(missing)}")
    if "django_tasks_db" not in backend:
        problems.append(f"TASKS['default'] is {backend or 'not set'!r}")
    if "db_worker" not in worker:
        problems.append(f"the Procfile's worker: is {worker or 'missing'!r}")
    if problems:
        raise CheckFailed(
            "django_tasks and django_tasks_db installed, TASKS with their DatabaseBackend, and "
            "a `worker: python manage.py db_worker` line in the Procfile",
            "\n".join(problems),
            "requirements.txt, settings.py and the Procfile as in the lesson",
        )
    return [f"TASKS: {backend}; worker: {worker}"]


@check(
    7,
    "mail-task",
    "mail goes through a task, and the worker sends it by SMTP",
    (7, "Mail, sent by the worker"),
    needs=["w7.tasks"],
)
def mail_task(session: Session):
    session.migrated()
    smtp = MailCatcher()
    try:
        env = session.dev_env(**smtp.env())
        to = f"mail-{secrets.token_hex(4)}@example.com"
        subject = f"retro check {secrets.token_hex(4)}"
        sent = session.shell(SEND_MAIL.format(subject=subject, to=to), env=env)
        if "error" in sent:
            raise CheckFailed(
                "send_mail in the project's shell to hand the mail to a task and return",
                f"send_mail raised {sent['error']}",
                "EMAIL_BACKEND = 'retrosocial.mail.TaskEmailBackend'",
            )
        if smtp.wait_for(to, timeout=0.5) is not None:
            raise CheckFailed(
                "send_mail to leave the mail to the worker",
                "the mail reached the SMTP server while send_mail ran, before any worker",
                "EMAIL_BACKEND is the task backend, TaskEmailBackend; the worker sends with "
                "MAIL_DELIVERY_BACKEND",
            )
        output = run_worker(session, env)
        message = smtp.wait_for(to)
        if message is None or message["Subject"] != subject:
            raise CheckFailed(
                f"`{WORKER_LINE}`, with EMAIL_HOST, EMAIL_PORT and EMAIL_USE_TLS=0 set, to send "
                "the mail to the SMTP server they name",
                "no mail arrived; the worker printed:\n" + tail(output, 8),
                "MAIL_DELIVERY_BACKEND is Django's SMTP backend when EMAIL_HOST is set, and "
                "EMAIL_PORT and EMAIL_USE_TLS come from the environment",
            )
    finally:
        smtp.stop()
    return [f"send_mail queued a task; the worker sent it to an SMTP server on port {smtp.port}"]


@check(
    7,
    "error-mail",
    "with DEBUG off, a server error mails its traceback to ADMINS",
    (7, "Error reports"),
    needs=["w7.mail-task"],
)
def error_mail(session: Session):
    smtp = MailCatcher()
    try:
        admin = f"admin-{secrets.token_hex(4)}@example.com"
        env = session.dev_env(
            DEBUG="",
            SECRET_KEY=session.secret_key,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            ADMINS=f"Retro Check <{admin}>",
            **smtp.env(),
        )
        message_text = f"Internal Server Error: /retro-check-{secrets.token_hex(4)}"
        found = session.shell(LOG_ERROR.format(message=message_text), env=env)
        if [admin] != [pair[1] for pair in found["admins"]]:
            raise CheckFailed(
                f'ADMINS from the environment: ADMINS="Retro Check <{admin}>" to give '
                f"[('Retro Check', '{admin}')]",
                f"settings.ADMINS is {found['admins']!r}",
                "ADMINS = the pairs of email.utils.getaddresses([os.environ.get('ADMINS', '')])",
            )
        output = run_worker(session, env)
        message = smtp.wait_for(admin)
        if message is None or "ZeroDivisionError" not in body_of(message):
            raise CheckFailed(
                "an error logged by django.request, with DEBUG off, to reach ADMINS by mail with "
                "its traceback (through the worker)",
                "no such mail arrived; the worker printed:\n" + tail(output, 8),
                "LOGGING: a mail_admins handler (django.utils.log.AdminEmailHandler, level ERROR, "
                "filter RequireDebugFalse) on the django.request logger",
            )
    finally:
        smtp.stop()
    return [f"the error's traceback reached {admin}"]


# -- password reset ------------------------------------------------------------------------------

RESET_WORDS = r"forgot|reset"
RESET_PATHS = ("/password-reset", "/password_reset/", "/accounts/password_reset/")
NEW_PASSWORD = "retro-check-N3w-passphrase!"


def email_form(page: Page) -> Form | None:
    for form in page.forms:
        if form.method == "post" and not form.passwords:
            for f in form.text_fields:
                if f.type == "email" or "email" in f.name.lower():
                    return form
    return None


def email_field(form: Form) -> str:
    return next(f.name for f in form.text_fields if f.type == "email" or "email" in f.name.lower())


def new_password_form(page: Page) -> Form | None:
    return next((f for f in page.forms if f.method == "post" and len(f.passwords) == 2), None)


def find_reset_page(session: Session, visitor: Visitor) -> tuple[str, Form]:
    url, login_page, _ = find_login(session, visitor)
    tried = []
    for link in [*(x.href for x in login_page.links_like(RESET_WORDS)), *RESET_PATHS]:
        if not link.startswith("/") or link in tried:
            continue
        tried.append(link)
        response = visitor.follow(visitor.get(link))
        if response.status_code == 200:
            form = email_form(Page(response.text))
            if form is not None:
                return urlsplit(str(response.url)).path, form
    raise CheckFailed(
        "a “Forgot your password?” page: a form with an email address field, linked from the "
        f"log-in page ({url})",
        f"none at {', '.join(tried)}",
        "Django's PasswordResetView and its friends in users/urls.py, and a link on the log-in "
        "page",
    )


@check(
    7,
    "password-reset",
    "a password reset by mail: the link sets a new password, once",
    (7, "Forgot your password"),
    needs=["w2.login", "w7.mail-task"],
)
def password_reset(session: Session):
    server = session.dev_server()
    username = session.create_user("user")
    address = f"{username}@example.com"  # the address the session's users have
    smtp = MailCatcher()
    try:
        visitor = Visitor(server)
        path, form = find_reset_page(session, visitor)
        response = visitor.submit(form, path, {email_field(form): address})
        if response.status_code >= 400:
            raise CheckFailed(f"asking for a reset for {address} to succeed", describe(response))
        output = run_worker(session, session.dev_env(**smtp.env()))
        message = smtp.wait_for(address)
        if message is None:
            raise CheckFailed(
                f"a mail to {address} once the worker ran",
                "none arrived; the worker printed:\n" + tail(output, 8),
                "the reset page sends through EMAIL_BACKEND, the task backend",
            )
        host = urlsplit(server.base_url).netloc
        links = re.findall(rf"https?://{re.escape(host)}(/\S+)", body_of(message))
        if not links:
            raise CheckFailed(
                f"the mail to hold a link to the site ({server.base_url}/…)",
                f"its text: {body_of(message)[:300]!r}",
                "{{ protocol }}://{{ domain }}{% url 'password_reset_confirm' uidb64=uid "
                "token=token %} in password_reset_email.html",
            )
        link = links[0]
        reader = Visitor(server)
        landed = reader.follow(reader.get(link))
        form = new_password_form(Page(landed.text)) if landed.status_code == 200 else None
        if form is None:
            raise CheckFailed(
                "the mail's link to open a page with a form for the new password (twice)",
                f"GET {link}: {describe(landed)}",
            )
        done = reader.submit(
            form,
            urlsplit(str(landed.url)).path,
            {field.name: NEW_PASSWORD for field in form.passwords},
        )
        if not done.is_redirect:
            raise CheckFailed("the new password to be accepted (a redirect)", describe(done))
        login(session, Visitor(server), username, NEW_PASSWORD)
        again = Visitor(server)
        second = again.follow(again.get(link))
        if second.status_code == 200 and new_password_form(Page(second.text)) is not None:
            raise CheckFailed(
                "the link to work once: opened again, no form for a new password",
                f"GET {link} again still offers the form",
                "Django's PasswordResetConfirmView and default_token_generator: the token "
                "depends on the password, so it ends when the password changes",
            )
    finally:
        smtp.stop()
    return ["the mail arrived, its link set a new password, and it did not work twice"]
