"""CORS (django-cors-headers): pages on exactly the origins of CORS_ALLOWED_ORIGINS may call
/api/ with a token; no other origin, nothing outside /api/, and never with credentials."""

import json

import pytest

from tests.live import production_env
from tests.site.test_settings import run_python

FRONTEND = "http://127.0.0.1:8001"


@pytest.fixture
def frontend_allowed(settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND]
    return settings


def preflight(client, path: str, origin: str, method: str = "POST"):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key",
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("frontend_allowed")
class TestAListedOrigin:
    def test_the_preflight_allows_a_token_post_with_json_and_an_idempotency_key(self, client):
        response = preflight(client, "/api/posts", FRONTEND)
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == FRONTEND
        allowed = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
        assert {"authorization", "content-type", "idempotency-key"} <= allowed
        assert "POST" in response["Access-Control-Allow-Methods"]
        assert "Access-Control-Allow-Credentials" not in response

    def test_answers_carry_the_origin_and_expose_retry_after(self, api, ada):
        response = api(ada).post(
            "/api/posts", {"text": "from the frontend"}, format="json", HTTP_ORIGIN=FRONTEND
        )
        assert response.status_code == 201
        assert response["Access-Control-Allow-Origin"] == FRONTEND
        exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
        assert "retry-after" in exposed
        assert "origin" in response["Vary"].lower()

    def test_error_answers_carry_it_too_so_the_page_can_read_them(self, client):
        wrong = client.post(
            "/api/auth/token",
            {"username": "nobody", "password": "not it"},
            content_type="application/json",
            HTTP_ORIGIN=FRONTEND,
        )
        assert wrong.status_code == 400
        assert wrong.json()["code"] == "wrong_credentials"
        assert wrong["Access-Control-Allow-Origin"] == FRONTEND
        # An error page that a middleware turned into JSON (no view of ours).
        missing = client.get("/api/no-such-thing", HTTP_ORIGIN=FRONTEND)
        assert missing.status_code == 404
        assert missing.json()["code"] == "not_found"
        assert missing["Access-Control-Allow-Origin"] == FRONTEND


@pytest.mark.django_db
@pytest.mark.usefixtures("frontend_allowed")
class TestEveryoneElse:
    @pytest.mark.parametrize(
        "origin", ["http://evil.example", "http://127.0.0.1:8002", "https://127.0.0.1:8001"]
    )
    def test_another_origin_gets_no_cors_headers(self, client, origin):
        assert "Access-Control-Allow-Origin" not in preflight(client, "/api/posts", origin)
        assert "Access-Control-Allow-Origin" not in client.get("/api/posts", HTTP_ORIGIN=origin)

    def test_the_pages_outside_the_api_get_none_even_for_a_listed_origin(self, client):
        for path in ("/", "/healthz", "/login"):
            response = client.get(path, HTTP_ORIGIN=FRONTEND)
            assert "Access-Control-Allow-Origin" not in response, path

    def test_with_nothing_configured_no_origin_is_allowed(self, client, settings):
        settings.CORS_ALLOWED_ORIGINS = []
        assert "Access-Control-Allow-Origin" not in preflight(client, "/api/posts", FRONTEND)


def test_the_origins_come_from_the_environment():
    """CORS_ALLOWED_ORIGINS is a comma-separated list in the environment, empty by default."""
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps(settings.CORS_ALLOWED_ORIGINS))"
    )
    origins = []
    for value in ("", "https://example.github.io, http://127.0.0.1:8001"):
        env = production_env("sqlite:///:memory:", CORS_ALLOWED_ORIGINS=value)
        result = run_python(code, env)
        assert result.returncode == 0, result.stderr
        origins.append(json.loads(result.stdout))
    assert origins == [[], ["https://example.github.io", "http://127.0.0.1:8001"]]
