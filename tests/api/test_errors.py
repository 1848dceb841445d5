"""One error shape: every error the API answers is {"code", "detail", "fields"?}, its code one of
api.errors.CODES, documented once in the schema; and the command line reads it."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from api.errors import CODES
from cli.errors import server_code, server_detail
from tests.people import PASSWORD


def assert_one_shape(body: dict) -> None:
    assert set(body) <= {"code", "detail", "fields"}, body
    assert body["code"] in CODES
    assert isinstance(body["detail"], str) and body["detail"]
    for messages in body.get("fields", {}).values():
        assert messages and all(isinstance(message, str) for message in messages)


@pytest.mark.django_db
class TestOneShape:
    @pytest.mark.parametrize(
        "method, path, body, status, code",
        [
            ("post", "/api/posts", {"text": ""}, 400, "invalid"),
            ("post", "/api/messages/ada", {"text": "me"}, 400, "invalid"),
            ("get", "/api/posts?page_size=0", None, 400, "invalid"),
            ("get", "/api/messages/nobody", None, 404, "not_found"),
            ("get", "/api/nothing/here", None, 404, "not_found"),
            ("put", "/api/posts", {}, 405, "method_not_allowed"),
            ("put", "/api/me", {}, 405, "method_not_allowed"),
        ],
    )
    def test_every_error_has_a_code_and_a_sentence(
        self, api, ada, method, path, body, status, code
    ):
        response = getattr(api(ada), method)(path, body, format="json")
        assert response.status_code == status
        assert_one_shape(response.json())
        assert response.json()["code"] == code

    def test_field_errors_come_under_fields_and_in_the_sentence(self, api, ada):
        response = api(ada).post("/api/posts", {"text": ""}, format="json")
        assert response.json() == {
            "code": "invalid",
            "detail": "text: This field may not be blank.",
            "fields": {"text": ["This field may not be blank."]},
        }

    def test_an_error_of_no_field_has_no_fields(self, api, ada):
        response = api(ada).post("/api/messages/ada", {"text": "me"}, format="json")
        assert "fields" not in response.json()

    def test_a_body_that_is_not_json_is_malformed(self, api, ada):
        response = api(ada).post("/api/posts", "{nope", content_type="application/json")
        assert response.status_code == 400
        assert response.json()["code"] == "malformed"


class TestSchema:
    def test_the_error_shape_is_documented_once_with_its_codes(self):
        schema = SchemaGenerator().get_schema(request=None, public=True)
        components = schema["components"]["schemas"]
        assert components["CodeEnum"]["enum"] == list(CODES)
        assert set(components["Error"]["properties"]) == {"code", "detail", "fields"}
        assert components["Error"]["required"] == ["code", "detail"]
        for path in schema["paths"].values():
            for operation in path.values():
                for status, response in operation["responses"].items():
                    if int(status) >= 400:
                        content = response["content"]["application/json"]["schema"]
                        assert content == {"$ref": "#/components/schemas/Error"}, status


@pytest.mark.django_db
class TestTheCommandLineReadsIt:
    def test_a_wrong_password_is_told_by_its_code(self, api, ada):
        body = {"username": "ada", "password": PASSWORD + "-not"}
        answer = api(None).post("/api/auth/token", body, format="json").json()
        assert server_code(answer) == "wrong_credentials"
        assert server_detail(answer) == "Unable to log in with provided credentials."

    def test_a_refused_field_reads_as_one_line(self, api, ada):
        answer = api(ada).post("/api/posts", {"text": "   "}, format="json").json()
        assert server_code(answer) == "invalid"
        assert server_detail(answer) == "text: This field may not be blank."

    def test_anything_else_has_no_code(self):
        assert server_code(["not", "an", "error"]) is None
        assert server_code({"code": 7}) is None
        assert server_detail(None) is None
