import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.people import PASSWORD
from tests.windows import fresh_window

BAD_CREDENTIALS = {
    "code": "wrong_credentials",
    "detail": "Unable to log in with provided credentials.",
}


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.mark.django_db
class TestSignup:
    def test_creates_the_account_and_returns_a_working_token(self, anonymous):
        response = anonymous.post(
            "/api/auth/signup", {"username": "grace", "password": PASSWORD}, format="json"
        )
        assert response.status_code == 201
        body = response.json()
        assert body["username"] == "grace"
        assert Token.objects.get(user__username="grace").key == body["token"]
        assert User.objects.get(username="grace").check_password(PASSWORD)
        anonymous.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
        assert anonymous.get("/api/me").json()["username"] == "grace"

    @pytest.mark.parametrize(
        "password, message",
        [
            ("short1!", "This password is too short. It must contain at least 8 characters."),
            ("password", "This password is too common."),
            ("8472910365", "This password is entirely numeric."),
            ("grace-hopper", "The password is too similar to the username."),
        ],
    )
    def test_password_validators_apply(self, anonymous, password, message):
        response = anonymous.post(
            "/api/auth/signup", {"username": "grace-hopper", "password": password}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert message in response.json()["fields"]["password"]
        assert not User.objects.filter(username="grace-hopper").exists()

    def test_a_taken_username_is_refused(self, anonymous, ada):
        response = anonymous.post(
            "/api/auth/signup", {"username": "ada", "password": PASSWORD}, format="json"
        )
        assert response.status_code == 400
        assert response.json() == {
            "code": "invalid",
            "detail": "username: A user with that username already exists.",
            "fields": {"username": ["A user with that username already exists."]},
        }
        assert User.objects.filter(username="ada").count() == 1

    @pytest.mark.parametrize(
        "body, field",
        [
            ({}, "username"),
            ({"username": "grace"}, "password"),
            ({"username": "no spaces", "password": PASSWORD}, "username"),
            ({"username": "x" * 151, "password": PASSWORD}, "username"),
            ({"username": "", "password": PASSWORD}, "username"),
            ({"username": 12345, "password": PASSWORD}, "username"),
            ({"username": "grace", "password": 1234567890123}, "password"),
        ],
    )
    def test_missing_or_invalid_fields_get_field_errors(self, anonymous, body, field):
        response = anonymous.post("/api/auth/signup", body, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert isinstance(response.json()["fields"][field], list)
        assert not User.objects.exists()

    def test_a_stale_token_header_does_not_get_in_the_way(self, anonymous):
        anonymous.credentials(HTTP_AUTHORIZATION="Token stale-from-another-server")
        response = anonymous.post(
            "/api/auth/signup", {"username": "grace", "password": PASSWORD}, format="json"
        )
        assert response.status_code == 201

    def test_only_json_is_accepted(self, anonymous):
        response = anonymous.post("/api/auth/signup", {"username": "grace", "password": PASSWORD})
        assert response.status_code == 415
        assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.django_db
class TestToken:
    def test_the_right_password_gets_the_users_token(self, anonymous, ada):
        response = anonymous.post(
            "/api/auth/token", {"username": "ada", "password": PASSWORD}, format="json"
        )
        assert response.status_code == 200
        assert response.json() == {"token": Token.objects.get(user=ada).key}
        again = anonymous.post(
            "/api/auth/token", {"username": "ada", "password": PASSWORD}, format="json"
        )
        assert again.json() == response.json()

    @pytest.mark.parametrize(
        "username, password", [("ada", "wrong-password"), ("nobody", PASSWORD)]
    )
    def test_wrong_credentials_get_one_message(self, anonymous, ada, username, password):
        response = anonymous.post(
            "/api/auth/token", {"username": username, "password": password}, format="json"
        )
        assert response.status_code == 400
        assert response.json() == BAD_CREDENTIALS
        assert not Token.objects.exists()

    def test_a_number_for_a_name_or_password_is_a_field_error(self, anonymous, ada):
        response = anonymous.post(
            "/api/auth/token", {"username": 7, "password": 8}, format="json"
        )
        assert response.status_code == 400
        assert response.json() == {
            "code": "invalid",
            "detail": "username: Not a valid string.; password: Not a valid string.",
            "fields": {"username": ["Not a valid string."], "password": ["Not a valid string."]},
        }

    def test_an_inactive_user_gets_no_token(self, anonymous, ada):
        ada.is_active = False
        ada.save()
        response = anonymous.post(
            "/api/auth/token", {"username": "ada", "password": PASSWORD}, format="json"
        )
        assert response.json() == BAD_CREDENTIALS

    def test_missing_fields_get_field_errors(self, anonymous):
        response = anonymous.post("/api/auth/token", {}, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert set(response.json()["fields"]) == {"username", "password"}

    def test_delete_revokes_the_token(self, api, ada):
        client = api(ada)
        assert client.delete("/api/auth/token").status_code == 204
        assert not Token.objects.filter(user=ada).exists()
        response = client.get("/api/me")
        assert response.status_code == 401
        assert response.json() == {"code": "unauthenticated", "detail": "Invalid token."}

    def test_delete_without_credentials_is_401_with_the_token_challenge(self, anonymous):
        response = anonymous.delete("/api/auth/token")
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert response.json() == {
            "code": "unauthenticated",
            "detail": "Authentication credentials were not provided.",
        }

    def test_a_session_delete_needs_the_csrf_token(self, ada):
        Token.objects.create(user=ada)
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(ada)
        response = client.delete("/api/auth/token")
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
        assert "CSRF" in response.json()["detail"]
        assert Token.objects.filter(user=ada).exists()


@pytest.mark.django_db
class TestAuthThrottle:
    def test_signup_and_token_requests_share_a_per_address_limit(self, settings, anonymous, ada):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                "auth": "3/minute", "login": "100/minute", "write": "100/minute"
            },
        }
        fresh_window()
        body = {"username": "ada", "password": PASSWORD}
        for _ in range(2):
            assert anonymous.post("/api/auth/token", body, format="json").status_code == 200
        signup = {"username": "grace", "password": PASSWORD}
        assert anonymous.post("/api/auth/signup", signup, format="json").status_code == 201
        response = anonymous.post("/api/auth/token", body, format="json")
        assert response.status_code == 429
        wait = int(response["Retry-After"])
        assert 0 < wait <= 60
        assert response.json() == {
            "code": "throttled",
            "detail": f"Request was throttled. Expected available in {wait} second"
            + ("." if wait == 1 else "s."),
        }
        # Claiming another address in X-Forwarded-For changes nothing.
        response = anonymous.post(
            "/api/auth/token", body, format="json", HTTP_X_FORWARDED_FOR="203.0.113.9"
        )
        assert response.status_code == 429
        # Revoking a token is not limited.
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=ada).key}")
        assert client.delete("/api/auth/token").status_code == 204
