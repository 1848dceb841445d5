"""The email address and password reset through the API: sign-up takes an optional "email",
GET /api/me shows it, PATCH /api/me changes it, and POST /api/auth/password-reset mails a link
to the site's page, answering the same whether or not an account has the address."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from drf_spectacular.generators import SchemaGenerator

from api.views import PASSWORD_RESET_SENT
from tests.people import PASSWORD
from tests.windows import fresh_window

RESET = "/api/auth/password-reset"
NEW_PASSWORD = "a-brand-new-phrase-77"
ACCEPTED = {"detail": PASSWORD_RESET_SENT}


@pytest.fixture
def anonymous(api):
    client = api(None)
    client.default_format = "json"
    return client


@pytest.fixture
def ada_with_email(ada):
    ada.email = "ada@example.com"
    ada.save()
    return ada


@pytest.mark.django_db
class TestEmailOnTheAccount:
    def test_sign_up_with_an_email_and_me_shows_it(self, anonymous):
        response = anonymous.post(
            "/api/auth/signup",
            {"username": "grace", "password": PASSWORD, "email": "grace@Example.com"},
        )
        assert response.status_code == 201
        assert set(response.json()) == {"username", "token"}
        anonymous.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
        assert anonymous.get("/api/me").json()["email"] == "grace@example.com"

    @pytest.mark.parametrize("email", ["grace", "grace@", "", 12, None, ["a@b.example"]])
    def test_sign_up_refuses_what_is_not_an_address(self, anonymous, email):
        response = anonymous.post(
            "/api/auth/signup", {"username": "grace", "password": PASSWORD, "email": email}
        )
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid" and list(body["fields"]) == ["email"]
        assert not User.objects.filter(username="grace").exists()

    def test_patch_me_changes_the_address_and_null_removes_it(self, api, ada):
        client = api(ada)
        response = client.patch("/api/me", {"email": "ada@lovelace.example"}, format="json")
        assert response.status_code == 200
        assert response.json()["email"] == "ada@lovelace.example"
        assert response.json() == client.get("/api/me").json()
        ada.refresh_from_db()
        assert ada.email == "ada@lovelace.example"

        response = client.patch("/api/me", {"email": None}, format="json")
        assert response.status_code == 200 and response.json()["email"] is None
        ada.refresh_from_db()
        assert ada.email == ""

    def test_patch_me_without_the_email_changes_nothing(self, api, ada_with_email):
        response = api(ada_with_email).patch("/api/me", {}, format="json")
        assert response.status_code == 200 and response.json()["email"] == "ada@example.com"

    def test_patch_me_refuses_what_is_not_an_address(self, api, ada_with_email):
        response = api(ada_with_email).patch("/api/me", {"email": "nope"}, format="json")
        assert response.status_code == 400
        assert response.json() == {
            "code": "invalid",
            "detail": "email: Enter a valid email address.",
            "fields": {"email": ["Enter a valid email address."]},
        }
        ada_with_email.refresh_from_db()
        assert ada_with_email.email == "ada@example.com"

    def test_patch_me_needs_credentials(self, api):
        response = api(None).patch("/api/me", {"email": "a@b.example"}, format="json")
        assert response.status_code == 401

    def test_a_session_patch_needs_its_csrf_token(self, ada):
        from rest_framework.test import APIClient

        client = APIClient(enforce_csrf_checks=True)
        client.force_login(ada)
        response = client.patch("/api/me", {"email": "a@b.example"}, format="json")
        assert response.status_code == 403 and response.json()["code"] == "forbidden"


@pytest.mark.django_db
class TestPasswordReset:
    def test_a_known_address_gets_a_link_to_the_site_that_works_once(
        self, anonymous, client, ada_with_email, settings
    ):
        settings.ALLOWED_HOSTS = ["testserver", "social.example"]
        response = anonymous.post(RESET, {"email": "ada@example.com"}, HTTP_HOST="social.example")
        assert response.status_code == 202
        assert response.json() == ACCEPTED
        (message,) = mail.outbox
        assert message.to == ["ada@example.com"]
        match = re.search(r"http://social\.example(/reset/[^/\s]+/[^/\s]+/)", message.body)
        assert match, message.body
        link = match.group(1)

        opened = client.get(link)
        assert opened.status_code == 302
        new = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        done = client.post(opened.url, new)
        assert done.status_code == 302
        token = anonymous.post("/api/auth/token", {"username": "ada", "password": NEW_PASSWORD})
        assert token.status_code == 200
        assert "This link does not work" in client.get(link, follow=True).content.decode()

    def test_a_secure_request_gets_an_https_link(self, anonymous, ada_with_email):
        anonymous.post(
            RESET,
            {"email": "ada@example.com"},
            HTTP_HOST="testserver",
            HTTP_X_FORWARDED_PROTO="https",  # as Heroku's router says (SECURE_PROXY_SSL_HEADER)
        )
        assert "https://testserver/reset/" in mail.outbox[0].body

    def test_an_unknown_address_gets_the_same_answer_and_no_mail(self, anonymous, ada_with_email):
        known = anonymous.post(RESET, {"email": "ada@example.com"})
        unknown = anonymous.post(RESET, {"email": "nobody@example.com"})
        assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())
        assert (unknown.status_code, unknown.json()) == (202, ACCEPTED)
        assert len(mail.outbox) == 1

    @pytest.mark.parametrize(
        "body", [{}, {"email": ""}, {"email": "ada"}, {"email": 5}, {"email": None}]
    )
    def test_what_is_not_an_address_is_refused(self, anonymous, body):
        response = anonymous.post(RESET, body)
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert list(response.json()["fields"]) == ["email"]
        assert mail.outbox == []

    def test_it_needs_no_credentials_and_ignores_a_bad_token(self, api, ada_with_email):
        client = api(None)
        client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
        response = client.post(RESET, {"email": "ada@example.com"}, format="json")
        assert response.status_code == 202

    def test_it_counts_in_the_per_address_limit(self, anonymous, settings, ada_with_email):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                "auth": "2/minute",
            },
        }
        fresh_window()
        assert anonymous.post(RESET, {"email": "ada@example.com"}).status_code == 202
        assert anonymous.post(RESET, {"email": "ada@example.com"}).status_code == 202
        refused = anonymous.post(RESET, {"email": "ada@example.com"})
        assert refused.status_code == 429
        assert refused.json()["code"] == "throttled"
        assert 0 < int(refused["Retry-After"]) <= 60
        assert len(mail.outbox) == 2
        # Logging in from the same address is refused too: one limit.
        token = anonymous.post("/api/auth/token", {"username": "ada", "password": PASSWORD})
        assert token.status_code == 429


class TestSchema:
    def test_the_operations_are_documented(self):
        schema = SchemaGenerator().get_schema(request=None, public=True)
        reset = schema["paths"]["/api/auth/password-reset"]["post"]
        assert reset["operationId"] == "password_reset"
        assert set(reset["responses"]) == {"202", "400", "429"}
        signup = schema["paths"]["/api/auth/signup"]["post"]
        assert "security" not in reset and "security" not in signup  # no credentials needed
        update = schema["paths"]["/api/me"]["patch"]
        assert update["operationId"] == "me_update"
        assert set(update["responses"]) == {"200", "400", "401", "403"}
        me = schema["components"]["schemas"]["Me"]["properties"]["email"]
        assert me["format"] == "email" and me["nullable"] is True
        signup_request = schema["components"]["schemas"]["SignupRequest"]
        assert "email" in signup_request["properties"]
        assert "email" not in signup_request["required"]
