"""An email address on the account (asked at sign-up, optional, changed on the account page) and
"Forgot your password?": Django's own views with the site's templates, the mail with a link
that works once, the same page whether or not an account has the address, and the per-address
limit that sign-ups and logins count too. pytest-django keeps sent mail in mail.outbox; the
mail's way through a task is checked here too, and through a real worker and SMTP server in
test_password_reset_live.py."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from retrosocial.mail import from_data
from tests.live import PASSWORD
from tests.people import make_user
from tests.windows import fresh_window
from users.views import EMAIL_REMOVED, EMAIL_SAVED

NEW_PASSWORD = "a-brand-new-phrase-77"
LINK = re.compile(r"http://testserver(/reset/[^/\s]+/[^/\s]+/)")
SENT_PAGE = "If an account has that email address, a mail with a link to choose a new password"
DEAD_LINK = "This link does not work"


def sign_up(client, username: str, email: str | None = None):
    data = {"username": username, "password1": PASSWORD, "password2": PASSWORD}
    if email is not None:
        data["email"] = email
    return client.post("/signup", data)


def reset_link(message) -> str:
    """The path of the link in a password reset mail."""
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def choose_password(client, link: str, password: str = NEW_PASSWORD):
    """Open the mail's link and set `password` on the page it leads to; the final answer."""
    opened = client.get(link)
    assert opened.status_code == 302, opened.content.decode()
    form_page = client.get(opened.url)
    assert "Choose a new password" in form_page.content.decode()
    return client.post(opened.url, {"new_password1": password, "new_password2": password})


@pytest.fixture
def ada_with_email(ada):
    ada.email = "ada@example.com"
    ada.save()
    return ada


@pytest.mark.django_db
class TestSignupEmail:
    def test_an_email_given_at_sign_up_is_saved(self, client):
        response = sign_up(client, "grace", "Grace@Example.COM")
        assert response.status_code == 302
        assert User.objects.get(username="grace").email == "Grace@example.com"

    def test_the_email_may_be_left_empty(self, client):
        assert sign_up(client, "grace", "").status_code == 302
        assert sign_up(client, "linus").status_code == 302  # the field not sent at all
        assert User.objects.get(username="grace").email == ""
        assert User.objects.get(username="linus").email == ""

    def test_the_sign_up_page_asks_for_it_as_optional(self, client):
        page = client.get("/signup").content.decode()
        assert 'type="email" name="email"' in page
        assert "Optional. Only used to send you a link if you forget your password." in page

    def test_an_address_that_is_not_one_is_refused_and_nothing_saved(self, client):
        response = sign_up(client, "grace", "grace@")
        assert response.status_code == 200
        assert "Enter a valid email address." in response.content.decode()
        assert not User.objects.filter(username="grace").exists()


@pytest.mark.django_db
class TestAccountPage:
    def test_it_is_for_logged_in_people_only(self, client):
        response = client.get("/account")
        assert response.status_code == 302
        assert response.url == f"{reverse('login')}?next=/account"

    def test_the_header_links_to_it(self, client, ada):
        client.force_login(ada)
        assert f'<a href="{reverse("account")}" id="nav-account">Account</a>' in (
            client.get("/").content.decode()
        )

    def test_it_shows_the_address_and_changes_it(self, client, ada_with_email):
        client.force_login(ada_with_email)
        assert 'value="ada@example.com"' in client.get("/account").content.decode()
        response = client.post("/account", {"email": "ada@lovelace.example"}, follow=True)
        assert response.redirect_chain == [(reverse("account"), 302)]
        page = response.content.decode()
        assert EMAIL_SAVED.format("ada@lovelace.example") in page
        assert 'value="ada@lovelace.example"' in page
        ada_with_email.refresh_from_db()
        assert ada_with_email.email == "ada@lovelace.example"

    def test_an_empty_field_removes_the_address(self, client, ada_with_email):
        client.force_login(ada_with_email)
        response = client.post("/account", {"email": ""}, follow=True)
        assert EMAIL_REMOVED in response.content.decode()
        ada_with_email.refresh_from_db()
        assert ada_with_email.email == ""

    def test_an_address_that_is_not_one_is_refused(self, client, ada_with_email):
        client.force_login(ada_with_email)
        response = client.post("/account", {"email": "not an address"})
        assert response.status_code == 200
        assert "Enter a valid email address." in response.content.decode()
        ada_with_email.refresh_from_db()
        assert ada_with_email.email == "ada@example.com"


@pytest.mark.django_db
class TestPasswordReset:
    def test_the_login_page_links_to_it(self, client):
        page = client.get("/login").content.decode()
        assert f'<a href="{reverse("password_reset")}">Forgot your password?</a>' in page
        assert "Forgot your password?" in client.get(reverse("password_reset")).content.decode()

    def test_the_link_in_the_mail_sets_a_new_password_once(self, client, ada_with_email):
        response = client.post("/password-reset", {"email": "ADA@example.com"})
        assert response.status_code == 302
        assert response.url == reverse("password_reset_done")
        assert SENT_PAGE in client.get(response.url).content.decode()

        (message,) = mail.outbox
        assert message.to == ["ada@example.com"]
        assert message.subject == "Choose a new password for RetroSocial (testserver)"
        assert "Hello ada," in message.body
        assert "The link works once, and for 72 hours at most." in message.body
        link = reset_link(message)

        done = choose_password(client, link)
        assert done.status_code == 302
        assert done.url == reverse("password_reset_complete")
        assert "Your new password is set." in client.get(done.url).content.decode()
        ada_with_email.refresh_from_db()
        assert ada_with_email.check_password(NEW_PASSWORD)
        assert not ada_with_email.check_password(PASSWORD)
        logged_in = client.post("/login", {"username": "ada", "password": NEW_PASSWORD})
        assert logged_in.status_code == 302

        # The second time, on any browser, the link is refused.
        for browser in (client, client.__class__()):
            again = browser.get(link, follow=True)
            assert again.status_code == 200
            assert DEAD_LINK in again.content.decode()
            assert "new_password1" not in again.content.decode()

    def test_a_link_opened_but_not_used_still_works_until_the_password_changes(
        self, client, ada_with_email
    ):
        client.post("/password-reset", {"email": "ada@example.com"})
        link = reset_link(mail.outbox[0])
        assert client.get(link).status_code == 302
        assert choose_password(client, link).url == reverse("password_reset_complete")

    def test_a_new_password_that_breaks_the_rules_is_refused(self, client, ada_with_email):
        client.post("/password-reset", {"email": "ada@example.com"})
        response = choose_password(client, reset_link(mail.outbox[0]), password="12345678")
        assert response.status_code == 200
        assert "This password is too common." in response.content.decode()
        ada_with_email.refresh_from_db()
        assert ada_with_email.check_password(PASSWORD)

    def test_an_unknown_address_gets_the_same_page_and_no_mail(self, client, ada_with_email):
        known = client.post("/password-reset", {"email": "ada@example.com"})
        unknown = client.post("/password-reset", {"email": "nobody@example.com"})
        assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
        assert len(mail.outbox) == 1  # ada's only

    def test_accounts_without_the_address_or_inactive_get_no_mail(self, client, ada):
        make_user("bob")  # no address
        User.objects.create_user("eve", email="eve@example.com", is_active=False)
        empty = client.post("/password-reset", {"email": ""})
        assert empty.status_code == 200
        assert "This field is required." in empty.content.decode()
        assert client.post("/password-reset", {"email": "eve@example.com"}).status_code == 302
        assert mail.outbox == []

    def test_every_account_with_the_address_gets_its_own_link(self, client):
        User.objects.create_user("ada", email="home@example.com", password=PASSWORD)
        User.objects.create_user("bob", email="home@example.com", password=PASSWORD)
        client.post("/password-reset", {"email": "home@example.com"})
        assert sorted(m.body.split(",", 1)[0] for m in mail.outbox) == ["Hello ada", "Hello bob"]
        assert len({reset_link(m) for m in mail.outbox}) == 2

    def test_a_made_up_link_is_refused(self, client, ada_with_email):
        response = client.get("/reset/MQ/abc-0123456789abcdef/", follow=True)
        assert DEAD_LINK in response.content.decode()

    def test_requests_count_in_the_per_address_limit_of_sign_ups_and_logins(
        self, client, settings, ada_with_email
    ):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                "auth": "3/minute",
            },
        }
        fresh_window()
        assert client.post("/login", {"username": "ada", "password": "wrong"}).status_code == 200
        assert client.post("/password-reset", {"email": "ada@example.com"}).status_code == 302
        assert client.post("/password-reset", {"email": "ada@example.com"}).status_code == 302
        refused = client.post("/password-reset", {"email": "ada@example.com"})
        assert refused.status_code == 429
        assert 0 < int(refused["Retry-After"]) <= 60
        page = refused.content.decode()
        assert "Too many attempts. Try again in" in page
        assert 'value="ada@example.com"' in page  # what was typed stays
        assert len(mail.outbox) == 2
        assert client.post("/login", {"username": "ada", "password": PASSWORD}).status_code == 429
        # Another address has its own allowance.
        other = client.post("/password-reset", {"email": "ada@example.com"}, REMOTE_ADDR="10.0.0.9")
        assert other.status_code == 302


@pytest.mark.django_db
def test_the_mail_is_handed_to_a_task(client, settings, ada_with_email):
    """With the site's own EMAIL_BACKEND the request only enqueues `deliver`; the message it
    carries is the reset mail (the worker sends it: test_password_reset_live.py)."""
    settings.EMAIL_BACKEND = "retrosocial.mail.TaskEmailBackend"
    before = list(DBTaskResult.objects.values_list("id", flat=True))
    assert client.post("/password-reset", {"email": "ada@example.com"}).status_code == 302
    assert mail.outbox == []
    (task,) = DBTaskResult.objects.exclude(id__in=before)
    assert task.task_path == "retrosocial.mail.deliver"
    (messages,) = task.args_kwargs["args"]
    (message,) = [from_data(data) for data in messages]
    assert message.to == ["ada@example.com"]
    assert choose_password(client, reset_link(message)).url == reverse("password_reset_complete")
