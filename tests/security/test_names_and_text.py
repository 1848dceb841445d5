"""
Names and text people can be fooled by: usernames unique without regard to case and written
in one alphabet on every path (sign-up page, API, admin); posts and messages made only of
invisible characters refused like whitespace; bidirectional override and isolate characters
refused, so they cannot reverse what follows them on the page.
"""

import pytest
from django.contrib.auth.models import User

from messaging.models import Message
from posts.models import Post
from tests.live import PASSWORD

pytestmark = pytest.mark.django_db

CYRILLIC_ADA = "\u0430da"  # а (Cyrillic) + "da"
INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200b\u200c\u200d\u2060",  # zero-width space, non-joiner, joiner, word joiner
    "\ufeff",  # zero-width no-break space
    " \u3164 ",  # Hangul filler between spaces
    "\u2800",  # braille blank
    "\u00ad\u034f",  # soft hyphen, combining grapheme joiner
    "\u200e\u200f",  # left-to-right and right-to-left marks
]
BIDI = ["abc\u202edcba", "\u2067hidden\u2069", "x\u202ay\u202c", "\u2066a"]


def signup_page(client, username):
    return client.post(
        "/signup", {"username": username, "password1": PASSWORD, "password2": PASSWORD}
    )


class TestUsernames:
    @pytest.mark.parametrize("taken, wanted", [("ada", "ADA"), ("Ada", "aDA"), ("bob", "BOB")])
    def test_the_api_refuses_a_name_taken_in_another_case(self, api, taken, wanted):
        User.objects.create_user(taken)
        response = api(None).post(
            "/api/auth/signup", {"username": wanted, "password": PASSWORD}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert response.json()["fields"] == {
            "username": ["A user with that username already exists."]
        }
        assert User.objects.count() == 1

    @pytest.mark.parametrize("name", [CYRILLIC_ADA, "p\u0430ypal", "\u03b1lpha", "adа1"])
    def test_the_api_refuses_names_that_mix_alphabets(self, api, name):
        response = api(None).post(
            "/api/auth/signup", {"username": name, "password": PASSWORD}, format="json"
        )
        assert response.status_code == 400
        assert "mix letters of different alphabets" in response.json()["fields"]["username"][0]
        assert not User.objects.exists()

    @pytest.mark.parametrize("name", ["ада", "\u03b1\u03b2\u03b3", "山田たろう", "ada_99", "zoë"])
    def test_names_in_one_alphabet_are_welcome(self, api, name):
        response = api(None).post(
            "/api/auth/signup", {"username": name, "password": PASSWORD}, format="json"
        )
        assert response.status_code == 201, response.json()
        assert User.objects.get().username == name

    def test_the_signup_page_refuses_a_mixed_alphabet_name(self, client):
        response = signup_page(client, CYRILLIC_ADA)
        assert response.status_code == 200
        assert "mix letters of different alphabets" in response.content.decode()
        assert not User.objects.exists()

    def test_the_signup_page_refuses_another_case(self, client):
        User.objects.create_user("ada")
        response = signup_page(client, "ADA")
        assert response.status_code == 200
        assert User.objects.count() == 1

    def test_the_admin_refuses_mixed_alphabets_and_another_case(self, admin_client):
        User.objects.create_user("ada")
        for name in ("ADA", CYRILLIC_ADA):
            response = admin_client.post(
                "/admin/auth/user/add/",
                {"username": name, "password1": PASSWORD, "password2": PASSWORD,
                 "usable_password": "true"},
            )
            assert response.status_code == 200, name
            assert response.context["adminform"].form.errors["username"], name
        assert not User.objects.filter(username__in=["ADA", CYRILLIC_ADA]).exists()

    def test_the_admin_cannot_rename_someone_to_a_taken_name(self, admin_client):
        User.objects.create_user("ada")
        bob = User.objects.create_user("bob")
        response = admin_client.post(
            f"/admin/auth/user/{bob.pk}/change/",
            {"username": "Ada", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"},
        )
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["username"]
        bob.refresh_from_db()
        assert bob.username == "bob"


class TestText:
    @pytest.mark.parametrize("text", INVISIBLE)
    def test_an_invisible_post_is_refused_by_the_api(self, api, ada, text):
        response = api(ada).post("/api/posts", {"text": text}, format="json")
        assert response.status_code == 400
        assert response.json()["fields"] == {
            "text": ["A post cannot be empty or only invisible characters."]
        }
        assert not Post.objects.exists()

    @pytest.mark.parametrize("text", INVISIBLE)
    def test_an_invisible_post_is_refused_by_the_page(self, client, ada, text):
        client.force_login(ada)
        response = client.post("/", {"text": text})
        assert response.status_code == 200
        assert not Post.objects.exists()

    @pytest.mark.parametrize("text", INVISIBLE)
    def test_an_invisible_message_is_refused_by_the_api_and_the_page(
        self, api, client, ada, bob, text
    ):
        response = api(ada).post("/api/messages/bob", {"text": text}, format="json")
        assert response.status_code == 400
        client.force_login(ada)
        assert client.post("/messages/bob", {"text": text}).status_code == 200
        assert not Message.objects.exists()

    @pytest.mark.parametrize("text", BIDI)
    def test_bidirectional_overrides_are_refused_everywhere(self, api, client, ada, bob, text):
        expected = ["Text cannot contain bidirectional override or isolate characters."]
        response = api(ada).post("/api/posts", {"text": text}, format="json")
        assert response.status_code == 400
        assert response.json()["fields"] == {"text": expected}
        response = api(ada).post("/api/messages/bob", {"text": text}, format="json")
        assert response.json()["fields"] == {"text": expected}
        client.force_login(ada)
        assert expected[0] in client.post("/", {"text": text}).content.decode()
        assert expected[0] in client.post("/messages/bob", {"text": text}).content.decode()
        assert not Post.objects.exists() and not Message.objects.exists()

    def test_right_to_left_text_and_marks_are_kept(self, api, ada):
        text = "\u05e9\u05dc\u05d5\u05dd \u200fworld"
        response = api(ada).post("/api/posts", {"text": text}, format="json")
        assert response.status_code == 201
        assert Post.objects.get().text == text

    def test_the_length_applies_to_the_text_as_sent(self, api, ada):
        response = api(ada).post("/api/posts", {"text": " " + "x" * 500}, format="json")
        assert response.status_code == 400
        assert not Post.objects.exists()

    def test_no_caller_of_the_services_can_save_a_blank_post_or_message(self, ada, bob):
        from django.core.exceptions import ValidationError

        from messaging.services import message_create
        from posts.services import post_create

        for text in ["", "   ", "\u200b\u200b", "a\x00b", "x\u202e"]:
            with pytest.raises(ValidationError):
                post_create(author=ada, text=text)
            with pytest.raises(ValidationError):
                message_create(sender=ada, recipient=bob, text=text)
        assert not Post.objects.exists() and not Message.objects.exists()
