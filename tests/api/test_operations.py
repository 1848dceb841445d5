"""One view per operation: a URL that serves two operations routes each method to its own
view (api/dispatch.py), which carries its own rules and its own place in the schema."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from api import views
from api.dispatch import MethodDispatcher

SHARED_URLS = {
    "/api/posts": {"GET": "posts_list", "POST": "posts_create"},
    "/api/auth/token": {"POST": "token_create", "DELETE": "token_revoke"},
    "/api/messages/{username}": {"GET": "conversation_read", "POST": "message_send"},
    "/api/me": {"GET": "me", "PATCH": "me_update"},
}


@pytest.mark.django_db
class TestMethodDispatcher:
    @pytest.mark.parametrize(
        "path, allow",
        [
            ("/api/posts", "GET, POST, HEAD, OPTIONS"),
            ("/api/auth/token", "POST, DELETE, OPTIONS"),
            ("/api/messages/bob", "GET, POST, HEAD, OPTIONS"),
            ("/api/me", "GET, PATCH, HEAD, OPTIONS"),
        ],
    )
    def test_a_method_no_operation_serves_is_a_json_405_naming_the_urls_methods(
        self, api, ada, bob, path, allow
    ):
        response = api(ada).put(path, {"text": "x"}, format="json")
        assert response.status_code == 405
        assert response["Allow"] == allow
        assert response["Content-Type"] == "application/json"
        assert response.json()["detail"] == 'Method "PUT" not allowed.'

    def test_options_describes_the_url(self, api, ada):
        response = api(ada).options("/api/posts")
        assert response.status_code == 200
        assert response["Allow"] == "GET, POST, HEAD, OPTIONS"
        assert response.json()["name"] == "Post List / Post Create"

    def test_each_method_gets_its_own_views_rules(self, api):
        anonymous = api(None)
        assert anonymous.get("/api/posts").status_code == 200  # PostListView: AllowAny
        refused = anonymous.post("/api/posts", {"text": "hi"}, format="json")
        assert refused.status_code == 401  # PostCreateView: IsAuthenticated
        assert refused["Allow"] == "GET, POST, HEAD, OPTIONS"  # the URL's methods
        assert anonymous.delete("/api/auth/token").status_code == 401  # TokenRevokeView
        asked = anonymous.post("/api/auth/token", {"username": "x", "password": "y"}, format="json")
        assert asked.status_code == 400  # TokenCreateView: no credentials needed to ask

    def test_head_goes_to_the_get_view(self, api):
        response = api(None).head("/api/posts")
        assert response.status_code == 200
        assert response.content == b""


class TestSchema:
    def test_every_operation_is_documented_once_by_the_view_that_serves_it(self):
        schema = SchemaGenerator().get_schema(request=None, public=True)
        ids = [
            operation["operationId"]
            for item in schema["paths"].values()
            for operation in item.values()
        ]
        assert len(ids) == len(set(ids)) == 13
        for path, operations in SHARED_URLS.items():
            documented = {
                method.upper(): operation["operationId"]
                for method, operation in schema["paths"][path].items()
            }
            assert documented == operations

    def test_no_view_serves_two_operations(self):
        methods = ("get", "post", "put", "patch", "delete")
        for name in dir(views):
            view = getattr(views, name)
            if (
                isinstance(view, type)
                and name.endswith("View")
                and view.__module__ == views.__name__
            ):
                served = [method for method in methods if hasattr(view, method)]
                assert len(served) == 1, (name, served)
                assert not issubclass(view, MethodDispatcher)
