"""
No 500 from crafted input, and JSON only under /api/: cursors whose position is a non-ASCII
digit, bodies nested thousands of levels deep (even on the unauthenticated sign-up), bodies
over the size limit, and the last-resort answers.
"""

import base64
import json
from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from api.parsers import MAX_JSON_DEPTH
from messaging.services import message_create
from posts.services import post_create

pytestmark = pytest.mark.django_db


def cursor(position: str) -> str:
    """A cursor as DRF encodes one (base64 of a query string), with a position of our own."""
    return base64.b64encode(f"p={quote(position)}&r=0&o=0".encode()).decode()


def nested(levels: int) -> str:
    return '{"text": ' + "[" * levels + "]" * levels + "}"


class TestCursors:
    @pytest.mark.parametrize("position", ["\u00b2", "\u0663", "\uff11", "1\u00b2"])
    @pytest.mark.parametrize("path", ["/api/posts", "/api/messages", "/api/messages/bob"])
    def test_a_position_of_non_ascii_digits_is_a_json_404(self, api, ada, bob, path, position):
        post_create(author=ada, text="a post to page past")
        message_create(sender=bob, recipient=ada, text="a message to page past")
        response = api(ada).get(path, {"cursor": cursor(position)})
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"code": "not_found", "detail": "Invalid cursor"}

    def test_an_ascii_position_still_pages(self, api, ada):
        first = post_create(author=ada, text="first")
        post_create(author=ada, text="second")
        response = api(ada).get("/api/posts", {"cursor": cursor(str(first.id + 1))})
        assert response.status_code == 200
        assert [post["text"] for post in response.json()["results"]] == ["first"]


class TestDeepBodies:
    @pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 5_000, 100_000])
    def test_a_deep_body_on_the_anonymous_signup_is_a_json_400(self, levels):
        response = APIClient().post(
            "/api/auth/signup", nested(levels), content_type="application/json"
        )
        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == "malformed"
        assert response.json()["detail"].startswith("JSON parse error - nested")

    def test_a_deep_body_on_posts_is_a_json_400_and_nothing_saved(self, api, ada):
        response = api(ada).post("/api/posts", nested(5_000), content_type="application/json")
        assert response.status_code == 400
        assert "nested" in response.json()["detail"]
        assert not ada.posts.exists()

    def test_a_body_within_the_depth_limit_is_read(self, api, ada):
        response = api(ada).post(
            "/api/posts", nested(MAX_JSON_DEPTH - 1), content_type="application/json"
        )
        assert response.status_code == 400
        assert response.json()["fields"] == {"text": ["Not a valid string."]}


class TestJsonOnly:
    def test_a_body_over_the_limit_is_a_json_413(self, api, ada, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
        body = json.dumps({"text": "x" * 2000})
        response = api(ada).post("/api/posts", body, content_type="application/json")
        assert response.status_code == 413
        assert response.json() == {"code": "too_large", "detail": "The request body is too large."}
        assert not ada.posts.exists()

    def test_an_unknown_path_under_api_is_a_json_404(self, client):
        response = client.get("/api/nothing/here")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"code": "not_found", "detail": "Not found."}

    def test_a_method_the_schema_view_does_not_take_is_json(self, client):
        response = client.post("/api/schema/")
        assert response.status_code in (403, 405)
        assert response["Content-Type"].startswith("application/json")
