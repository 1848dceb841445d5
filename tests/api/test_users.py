import base64

import pytest
from django.contrib.auth.models import User

from tests.people import make_user


@pytest.mark.django_db
class TestMe:
    def test_returns_who_the_token_belongs_to(self, api, ada):
        response = api(ada).get("/api/me")
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"id", "username", "email", "date_joined"}
        assert body["email"] is None  # ada has no address
        assert (body["id"], body["username"]) == (ada.id, "ada")

    def test_anonymous_is_401_with_the_token_challenge(self, api):
        response = api(None).get("/api/me")
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"

    def test_session_authentication_works_too(self, client, ada):
        client.force_login(ada)
        assert client.get("/api/me").json()["username"] == "ada"


@pytest.mark.django_db
class TestUsers:
    def test_lists_active_users_by_username_in_the_envelope(self, api, ada):
        for name in ("zed", "bob", "mia"):
            make_user(name)
        User.objects.filter(username="mia").update(is_active=False)
        body = api(None).get("/api/users").json()
        assert set(body) == {"next", "previous", "results"}
        assert [u["username"] for u in body["results"]] == ["ada", "bob", "zed"]
        assert set(body["results"][0]) == {"username", "date_joined"}

    def test_pages_follow_the_next_links_without_gaps_or_repeats(self, api, ada):
        for n in range(6):
            make_user(f"user{n}")
        client = api(ada)
        url, seen = "/api/users?page_size=4", []
        while url:
            body = client.get(url).json()
            assert len(body["results"]) <= 4
            seen += [u["username"] for u in body["results"]]
            url = body["next"]
        assert seen == sorted(User.objects.values_list("username", flat=True))

    @pytest.mark.parametrize("page_size", ["0", "201", "ten", "-1", ""])
    def test_a_bad_page_size_is_a_400(self, api, page_size):
        response = api(None).get(f"/api/users?page_size={page_size}")
        assert response.status_code == 400
        assert list(response.json()["fields"]) == ["page_size"]

    @pytest.mark.parametrize(
        "cursor",
        ["garbage", base64.b64encode(b"p=%00x").decode(), base64.b64encode(b"o=x").decode()],
    )
    def test_a_bad_cursor_is_a_404(self, api, cursor):
        response = api(None).get("/api/users", {"cursor": cursor})
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": "Invalid cursor"}

    def test_unknown_api_paths_are_json_404s(self, api):
        response = api(None).get("/api/nothing/here")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": "Not found."}
