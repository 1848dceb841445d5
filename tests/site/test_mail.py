"""
Mail through the worker (retrosocial/mail.py): every message becomes a `deliver` task, which
the worker sends with MAIL_DELIVERY_BACKEND; a message that cannot be queued is sent at once.
The settings read from the environment (EMAIL_*, ADMINS), and /healthz's task backlog.

pytest-django swaps in the locmem backend for every test: these tests put the site's own
backend back and deliver through locmem, so mail.outbox shows what the worker sent.
"""

import json
import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from retrosocial.mail import deliver
from retrosocial.settings import not_healthz
from tests.live import production_env
from tests.site.test_settings import run_python

TASK_TABLE = DBTaskResult._meta.db_table


@pytest.fixture
def through_tasks(settings):
    settings.EMAIL_BACKEND = "retrosocial.mail.TaskEmailBackend"
    settings.MAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def a_message() -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject="Reset your password",
        body="Follow the link: https://example.com/reset/abc",
        from_email="RetroSocial <noreply@example.com>",
        to=["ada@example.com"],
        cc=["bob@example.com"],
        bcc=["eve@example.com"],
        reply_to=["help@example.com"],
        headers={"X-Retro": "1"},
    )
    message.attach_alternative("<p>Follow <a href='https://example.com/reset/abc'>it</a></p>",
                               "text/html")  # fmt: skip
    return message


def assert_same(sent: EmailMessage, original: EmailMultiAlternatives) -> None:
    for field in ("subject", "body", "from_email", "to", "cc", "bcc", "reply_to", "extra_headers"):
        assert getattr(sent, field) == getattr(original, field), field
    assert [tuple(pair) for pair in sent.alternatives] == [tuple(original.alternatives[0])]


def drop_the_task_table() -> None:
    """Inside the test's transaction, rolled back after it: as if it were never migrated."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {connection.ops.quote_name(TASK_TABLE)}")


@pytest.mark.usefixtures("through_tasks")
@pytest.mark.django_db
class TestAMessageBecomesATask:
    def test_sending_queues_one_task_with_the_messages_fields_and_sends_nothing(self):
        assert a_message().send() == 1
        [task] = DBTaskResult.objects.all()
        assert task.task_path == "retrosocial.mail.deliver"
        assert task.status == "READY"
        [[data]] = task.args_kwargs["args"]
        assert data["subject"] == "Reset your password"
        assert data["to"] == ["ada@example.com"]
        assert data["cc"] == ["bob@example.com"] and data["bcc"] == ["eve@example.com"]
        assert data["reply_to"] == ["help@example.com"] and data["headers"] == {"X-Retro": "1"}
        assert data["alternatives"][0][1] == "text/html"
        assert mail.outbox == []

    def test_running_the_task_delivers_exactly_the_message(self):
        original = a_message()
        original.send()
        task = DBTaskResult.objects.get()
        assert task.task.call(*task.args_kwargs["args"]) == 1
        [sent] = mail.outbox
        assert_same(sent, original)

    def test_send_mail_with_several_messages_queues_them_in_one_task(self):
        with mail.get_connection() as connection_:
            connection_.send_messages(
                [EmailMessage("One", "1", to=["ada@example.com"]),
                 EmailMessage("Two", "2", to=["bob@example.com"])]
            )  # fmt: skip
        [task] = DBTaskResult.objects.all()
        assert [m["subject"] for m in task.args_kwargs["args"][0]] == ["One", "Two"]

    def test_a_message_with_an_attachment_is_sent_at_once(self):
        message = EmailMessage("Export", "Attached.", to=["ada@example.com"])
        message.attach("posts.csv", "id,text\n1,hello\n", "text/csv")
        message.send()
        assert DBTaskResult.objects.count() == 0
        [sent] = mail.outbox
        assert sent.attachments[0][0] == "posts.csv"


@pytest.mark.usefixtures("through_tasks")
@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_the_queued_message():
    original = a_message()
    original.send()
    assert mail.outbox == []
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    [sent] = mail.outbox
    assert_same(sent, original)
    task = DBTaskResult.objects.get()
    assert task.status == "SUCCESSFUL" and task.return_value == 1


@pytest.mark.usefixtures("through_tasks")
@pytest.mark.django_db
class TestWhenTheEnqueueFails:
    def test_without_the_task_table_the_message_is_sent_at_once(self, caplog):
        drop_the_task_table()
        original = a_message()
        assert original.send() == 1
        [sent] = mail.outbox
        assert_same(sent, original)
        assert "could not enqueue 1 message(s); sending them now" in caplog.text

    @override_settings(TASKS={"default": {"BACKEND": "retrosocial.no_such_module.Backend"}})
    def test_with_a_task_backend_that_cannot_load_the_message_is_sent_at_once(self, caplog):
        original = a_message()
        assert original.send() == 1
        [sent] = mail.outbox
        assert_same(sent, original)
        assert DBTaskResult.objects.count() == 0
        assert "could not enqueue" in caplog.text


# -- the settings, from the environment ---------------------------------------------------------

PRINT_MAIL_SETTINGS = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({name: getattr(settings, name) for name in ("
    "'ADMINS', 'EMAIL_BACKEND', 'MAIL_DELIVERY_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', "
    "'EMAIL_USE_TLS', 'EMAIL_HOST_USER', 'DEFAULT_FROM_EMAIL', 'SERVER_EMAIL', 'LOGGING')}, "
    "default=lambda value: getattr(value, '__qualname__', repr(value))))"
)


def mail_settings(**env: str) -> dict:
    result = run_python(PRINT_MAIL_SETTINGS, production_env("sqlite:///:memory:", **env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


class TestMailSettings:
    def test_admins_are_read_from_the_environment(self):
        admins = mail_settings(ADMINS="Ada <ada@example.com>, bob@example.com")["ADMINS"]
        assert admins == [["Ada", "ada@example.com"], ["", "bob@example.com"]]

    def test_no_admins_when_unset(self):
        assert mail_settings()["ADMINS"] == []

    def test_without_email_host_the_worker_prints_the_mail(self):
        settings = mail_settings()
        assert settings["EMAIL_BACKEND"] == "retrosocial.mail.TaskEmailBackend"
        assert settings["MAIL_DELIVERY_BACKEND"] == "django.core.mail.backends.console.EmailBackend"

    def test_email_host_sends_through_smtp_with_tls_on_port_587(self):
        settings = mail_settings(EMAIL_HOST="smtp.example.com", EMAIL_HOST_USER="apikey")
        assert settings["MAIL_DELIVERY_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
        assert settings["EMAIL_PORT"] == 587 and settings["EMAIL_USE_TLS"] is True
        assert settings["EMAIL_HOST_USER"] == "apikey"

    def test_a_local_debugging_server_without_tls(self):
        settings = mail_settings(EMAIL_HOST="127.0.0.1", EMAIL_PORT="1025", EMAIL_USE_TLS="0")
        assert settings["EMAIL_PORT"] == 1025 and settings["EMAIL_USE_TLS"] is False

    def test_server_errors_are_mailed_to_admins_only_when_debug_is_off(self):
        settings = mail_settings(DEFAULT_FROM_EMAIL="Site <site@example.com>")
        assert settings["SERVER_EMAIL"] == "Site <site@example.com>"
        logging = settings["LOGGING"]
        assert logging["loggers"]["django.request"]["handlers"] == ["mail_admins"]
        handler = logging["handlers"]["mail_admins"]
        assert handler["class"] == "django.utils.log.AdminEmailHandler"
        assert logging["filters"][handler["filters"][0]]["()"] == (
            "django.utils.log.RequireDebugFalse"
        )
        assert logging["filters"][handler["filters"][1]] == {
            "()": "django.utils.log.CallbackFilter",
            "callback": "not_healthz",
        }


class TestHealthzIsNotMailed:
    """/healthz answers 503 on purpose while a part is down; a monitor asking every minute must
    not mail ADMINS every minute. Other server errors still are (test_error_mail.py)."""

    def record(self, path: str) -> logging.LogRecord:
        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "", (), None)
        record.request = RequestFactory().get(path)
        return record

    def test_the_filter_drops_healthz_only(self):
        assert not not_healthz(self.record("/healthz"))
        assert not_healthz(self.record("/"))
        assert not_healthz(self.record("/api/posts"))
        assert not_healthz(logging.LogRecord("django.request", logging.ERROR, "", 1, "", (), None))

    @pytest.mark.django_db
    @override_settings(
        ADMINS=[("Ada", "ada@example.com")],
        CHANNEL_LAYERS={
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [{"address": "redis://127.0.0.1:9/0"}]},  # nothing listens
            }
        },
    )
    def test_a_503_from_healthz_mails_no_one(self, client):
        from channels.layers import channel_layers

        channel_layers.backends.clear()  # the layer of the overridden settings
        try:
            response = client.get("/healthz")
        finally:
            channel_layers.backends.clear()
        assert response.status_code == 503
        assert response.json()["channel_layer"] == "down"
        assert mail.outbox == []


# -- /healthz ----------------------------------------------------------------------------------


@pytest.mark.django_db
class TestHealthzTaskBacklog:
    def test_no_tasks_waiting(self, client):
        report = client.get("/healthz").json()
        assert report["tasks_waiting"] == 0 and report["oldest_task_seconds"] == 0

    def test_two_tasks_waiting(self, client):
        deliver.enqueue([])
        deliver.enqueue([])
        response = client.get("/healthz")
        assert response.status_code == 200
        report = response.json()
        assert report["tasks_waiting"] == 2 and report["oldest_task_seconds"] >= 0

    def test_the_oldest_tasks_age(self, client):
        deliver.enqueue([])
        deliver.enqueue([])
        DBTaskResult.objects.filter(pk=DBTaskResult.objects.first().pk).update(
            enqueued_at=timezone.now() - timedelta(seconds=90)
        )
        assert client.get("/healthz").json()["oldest_task_seconds"] >= 90

    def test_finished_tasks_do_not_count(self, client):
        deliver.enqueue([])
        DBTaskResult.objects.update(status="SUCCESSFUL")
        assert client.get("/healthz").json()["tasks_waiting"] == 0

    def test_503_when_the_task_table_is_missing(self, client):
        drop_the_task_table()
        response = client.get("/healthz")
        assert response.status_code == 503
        report = response.json()
        assert report["tasks"] == "down" and report["status"] == "error"
        assert TASK_TABLE not in response.text  # which part, never why
