"""
A forgotten password, end to end through real processes: daphne with the production settings
(DEBUG off), the task worker (`manage.py db_worker`) and a real SMTP server (aiosmtpd), all
configured from the environment as on Heroku. The reset is asked through the API, the mail
arrives on the SMTP server by way of the worker, the new password is chosen on the page its
link opens (as a browser without JavaScript does, with the CSRF token), logging in with it
through the API works, and the link is refused the second time.
"""

from __future__ import annotations

import os
import re

import httpx
import pytest

from tests.live import CSRF_INPUT, PASSWORD, LiveDatabase, LiveServer, unique
from tests.smtp import MailServer, Worker, smtp_server  # noqa: F401

pytestmark = pytest.mark.live

NEW_PASSWORD = "a-brand-new-phrase-77"


@pytest.fixture
def site(smtp_server):  # noqa: F811
    """daphne and the worker on a database of their own (the worker sends every task it finds
    there; no other test's mail), both sending through `smtp_server`."""
    database = LiveDatabase(os.environ.get("DATABASE_URL"))
    server = LiveServer(database, **smtp_server.env()).start()
    worker = Worker(server.env).start().wait_until_running()
    yield server, worker
    worker.stop()
    server.stop()
    database.drop()


def test_a_reset_asked_through_the_api_arrives_by_smtp_and_its_link_works_once(
    site, smtp_server  # noqa: F811
):
    server, worker = site
    api = httpx.Client(base_url=server.url, timeout=10)
    username, address = unique("forgetful"), f"{unique('forgetful')}@example.com"
    signed_up = api.post(
        "/api/auth/signup", json={"username": username, "password": PASSWORD, "email": address}
    )
    assert signed_up.status_code == 201, signed_up.text

    asked = api.post("/api/auth/password-reset", json={"email": address})
    assert asked.status_code == 202, asked.text
    unknown = api.post("/api/auth/password-reset", json={"email": "nobody@example.com"})
    assert (unknown.status_code, unknown.json()) == (asked.status_code, asked.json())

    [mail] = smtp_server.wait_for(1, timeout=60)
    assert mail.to == [address], worker.output()
    assert mail.subject == f"Choose a new password for RetroSocial (127.0.0.1:{server.port})"
    assert f"Hello {username}," in mail.text
    match = re.search(rf"{re.escape(server.url)}(/reset/[^/\s]+/[^/\s]+/)", mail.text)
    assert match, mail.text
    link = match.group(1)

    browser = httpx.Client(base_url=server.url, timeout=10)
    opened = browser.get(link)
    assert opened.status_code == 302, opened.text
    form_url = opened.headers["Location"]
    assert form_url.endswith("/set-password/") and "/reset/" in form_url
    page = browser.get(form_url)
    assert page.status_code == 200 and "Choose a new password" in page.text
    csrf = CSRF_INPUT.search(page.text)
    assert csrf, page.text
    changed = browser.post(
        form_url,
        data={
            "csrfmiddlewaretoken": csrf.group(1),
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 302, changed.text
    assert changed.headers["Location"] == "/reset/done"
    assert "Your new password is set." in browser.get("/reset/done").text

    new_login = api.post("/api/auth/token", json={"username": username, "password": NEW_PASSWORD})
    assert new_login.status_code == 200, new_login.text
    old_login = api.post("/api/auth/token", json={"username": username, "password": PASSWORD})
    assert old_login.status_code == 400 and old_login.json()["code"] == "wrong_credentials"

    for someone in (browser, httpx.Client(base_url=server.url, timeout=10)):
        again = someone.get(link, follow_redirects=True)
        assert again.status_code == 200
        assert "This link does not work" in again.text
        assert "new_password1" not in again.text

    # Only the one mail went out: none for the address no account has.
    assert [received.to for received in smtp_server.received] == [[address]]
