import pytest

from messaging.models import MAX_MESSAGE_LENGTH, MESSAGE_TO_SELF_ERROR, Message
from messaging.services import inbox_group, message_create, message_payload
from tests.windows import fresh_window


@pytest.mark.django_db
class TestSendMessage:
    def test_saves_and_answers_with_the_message(self, api, ada, bob):
        response = api(ada).post("/api/messages/bob", {"text": " hi bob "}, format="json")
        assert response.status_code == 201
        message = Message.objects.get()
        assert (message.sender, message.recipient, message.text) == (ada, bob, "hi bob")
        assert response.json() == message_payload(message)
        assert response.json()["read"] is None

    def test_goes_live_to_both_participants_only(
        self, api, ada, bob, eve, listen, django_capture_on_commit_callbacks
    ):
        inboxes = {user.username: listen(inbox_group(user.pk)) for user in (ada, bob, eve)}
        with django_capture_on_commit_callbacks(execute=True):
            response = api(ada).post("/api/messages/bob", {"text": "live"}, format="json")
        expected = response.json()  # the socket's frame is the message as the API returns it
        assert inboxes["ada"].receive() == expected
        assert inboxes["bob"].receive() == expected
        assert inboxes["eve"].got_nothing()

    def test_to_yourself_is_a_400_and_nothing_saved(self, api, ada):
        response = api(ada).post("/api/messages/ada", {"text": "me"}, format="json")
        assert response.status_code == 400
        assert response.json() == {"code": "invalid", "detail": MESSAGE_TO_SELF_ERROR}
        assert not Message.objects.exists()

    @pytest.mark.parametrize("name", ["nobody", "no%20body", "x" * 200])
    def test_to_an_unknown_user_is_a_404_and_nothing_saved(self, api, ada, name):
        response = api(ada).post(f"/api/messages/{name}", {"text": "hello?"}, format="json")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert not Message.objects.exists()

    def test_to_an_inactive_user_is_a_404(self, api, ada, bob):
        bob.is_active = False
        bob.save()
        response = api(ada).post("/api/messages/bob", {"text": "hello?"}, format="json")
        assert response.status_code == 404

    @pytest.mark.parametrize(
        "body, message",
        [
            ({"text": ""}, "This field may not be blank."),
            ({"text": " \t "}, "This field may not be blank."),
            ({"text": "x" * (MAX_MESSAGE_LENGTH + 1)},
             "Ensure this field has no more than 2000 characters."),
            ({}, "This field is required."),
            ({"text": ["a", "list"]}, "Not a valid string."),
            ({"text": 3.5}, "Not a valid string."),
        ],
    )
    def test_bad_text_is_a_400_and_nothing_saved(self, api, ada, bob, body, message):
        response = api(ada).post("/api/messages/bob", body, format="json")
        assert response.status_code == 400
        assert response.json() == {
            "code": "invalid",
            "detail": f"text: {message}",
            "fields": {"text": [message]},
        }
        assert not Message.objects.exists()

    def test_anonymous_is_401(self, api, bob):
        response = api(None).post("/api/messages/bob", {"text": "hi"}, format="json")
        assert response.status_code == 401
        assert not Message.objects.exists()

    def test_sending_is_throttled(self, settings, api, ada, bob):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                "auth": "100/minute", "login": "100/minute", "write": "1/minute"
            },
        }
        fresh_window()
        client = api(ada)
        assert client.post("/api/messages/bob", {"text": "1"}, format="json").status_code == 201
        response = client.post("/api/messages/bob", {"text": "2"}, format="json")
        assert response.status_code == 429
        assert "Retry-After" in response
        assert Message.objects.count() == 1
        assert client.get("/api/messages/bob").status_code == 200


@pytest.mark.django_db
class TestConversations:
    def test_newest_conversation_first_with_unread_counts(self, api, ada, bob, eve):
        message_create(sender=bob, recipient=ada, text="1")
        message_create(sender=bob, recipient=ada, text="2")
        last = message_create(sender=ada, recipient=eve, text="3")
        body = api(ada).get("/api/messages").json()
        assert body["next"] is None and body["previous"] is None
        assert [(c["username"], c["unread"]) for c in body["results"]] == [("eve", 0), ("bob", 2)]
        assert body["results"][0]["last_message"] == message_payload(last)

    def test_pages_of_conversations(self, api, ada, bob, eve):
        for other in (bob, eve):
            message_create(sender=other, recipient=ada, text="hi")
        client = api(ada)
        first = client.get("/api/messages?page_size=1").json()
        second = client.get(first["next"]).json()
        assert [c["username"] for c in first["results"] + second["results"]] == ["eve", "bob"]
        assert second["next"] is None

    def test_no_conversations_is_an_empty_list(self, api, ada):
        assert api(ada).get("/api/messages").json()["results"] == []

    def test_anonymous_is_401(self, api):
        assert api(None).get("/api/messages").status_code == 401


@pytest.mark.django_db
class TestReadConversation:
    def test_newest_first_and_reading_marks_what_the_other_sent_as_read(self, api, ada, bob):
        sent = message_create(sender=ada, recipient=bob, text="question")
        received = message_create(sender=bob, recipient=ada, text="answer")
        body = api(ada).get("/api/messages/bob").json()
        assert [m["id"] for m in body["results"]] == [received.id, sent.id]
        assert body["results"][0]["read"] is not None  # ada has read bob's answer now
        assert body["results"][1]["read"] is None  # bob has not opened the conversation
        conversations = api(ada).get("/api/messages").json()["results"]
        assert conversations[0]["unread"] == 0

    def test_after_gives_what_came_later_oldest_first(self, api, ada, bob):
        messages = [message_create(sender=bob, recipient=ada, text=f"{n}") for n in range(5)]
        body = api(ada).get(f"/api/messages/bob?after={messages[1].id}&page_size=2").json()
        assert [m["text"] for m in body["results"]] == ["2", "3"]
        body = api(ada).get(body["next"]).json()
        assert [m["text"] for m in body["results"]] == ["4"]
        assert body["next"] is None

    def test_peeking_marks_nothing_read(self, api, ada, bob):
        first = message_create(sender=bob, recipient=ada, text="one")
        message_create(sender=bob, recipient=ada, text="two")
        body = api(ada).get(f"/api/messages/bob?after={first.id}&peek=true").json()
        assert [m["read"] for m in body["results"]] == [None]
        assert api(ada).get("/api/messages").json()["results"][0]["unread"] == 2
        api(ada).get(f"/api/messages/bob?after={first.id}")
        assert api(ada).get("/api/messages").json()["results"][0]["unread"] == 0

    @pytest.mark.parametrize("peek", ["yes", "1", "", "-1.8e16"])
    def test_peek_is_true_or_false(self, api, ada, bob, peek):
        message_create(sender=bob, recipient=ada, text="one")
        response = api(ada).get(f"/api/messages/bob?peek={peek}")
        assert response.status_code == 400
        assert response.json()["fields"] == {"peek": ["Must be true or false."]}
        assert api(ada).get("/api/messages").json()["results"][0]["unread"] == 1

    def test_an_unknown_user_is_a_404(self, api, ada):
        response = api(ada).get("/api/messages/nobody")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": "No user called 'nobody'."}

    def test_your_own_name_is_an_empty_conversation(self, api, ada):
        assert api(ada).get("/api/messages/ada").json()["results"] == []


@pytest.mark.django_db
class TestPrivacyOverTheApi:
    """eve, a third user, gets nothing of what ada and bob say, whatever she asks for."""

    @pytest.fixture
    def secret(self, ada, bob):
        message_create(sender=ada, recipient=bob, text="tangerine")
        message_create(sender=bob, recipient=ada, text="tangerine too")

    @pytest.mark.parametrize(
        "path",
        ["/api/messages", "/api/messages/ada", "/api/messages/bob", "/api/messages/eve",
         "/api/messages/ada?after=0", "/api/posts", "/api/users", "/api/me"],
    )
    def test_eve_reads_nothing_of_theirs(self, api, eve, secret, path):
        response = api(eve).get(path)
        assert response.status_code == 200
        assert "tangerine" not in response.content.decode()

    def test_eve_reading_marks_nothing_read(self, api, eve, secret):
        api(eve).get("/api/messages/ada")
        api(eve).get("/api/messages/bob")
        assert not Message.objects.filter(read__isnull=False).exists()

    def test_eve_writing_to_them_adds_a_conversation_of_her_own_only(self, api, ada, eve, secret):
        api(eve).post("/api/messages/ada", {"text": "hi ada"}, format="json")
        body = api(eve).get("/api/messages/ada").json()
        assert [m["text"] for m in body["results"]] == ["hi ada"]
