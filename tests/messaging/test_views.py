import pytest
from django.urls import reverse

from messaging.models import MAX_MESSAGE_LENGTH, MESSAGE_TO_SELF_ERROR, Message
from messaging.services import message_create


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.mark.django_db
class TestLoginRequired:
    @pytest.mark.parametrize("path", ["/messages", "/messages/ada"])
    def test_anonymous_visitors_are_sent_to_log_in(self, client, ada, path):
        response = client.get(path)
        assert response.status_code == 302
        assert response.url == f"{reverse('login')}?next={path}"

    def test_anonymous_post_saves_nothing(self, client, ada):
        client.post("/messages/ada", {"text": "hi"})
        assert not Message.objects.exists()


@pytest.mark.django_db
class TestInboxPage:
    def test_lists_conversations_newest_first_with_unread_counts(self, login, ada, bob, eve):
        message_create(sender=bob, recipient=ada, text="from bob")
        message_create(sender=bob, recipient=ada, text="bob again")
        message_create(sender=ada, recipient=eve, text="to eve")
        page = login(ada).get("/messages")
        assert page.status_code == 200
        conversations = page.context["conversations"]
        assert [(c.other.username, c.unread) for c in conversations] == [("eve", 0), ("bob", 2)]
        html = page.content.decode()
        assert html.index('data-with="eve"') < html.index('data-with="bob"')
        assert "You: to eve" in html
        assert "bob again" in html

    def test_the_header_shows_the_unread_count(self, login, ada, bob):
        for n in range(3):
            message_create(sender=bob, recipient=ada, text=f"{n}")
        html = login(ada).get("/").content.decode()
        newest = Message.objects.latest("id").id  # where the live count starts from
        assert (
            f'<span class="badge" id="unread-count" data-me="ada" data-after="{newest}">3</span>'
            in html
        )

    def test_the_header_hides_a_zero_count(self, login, ada):
        html = login(ada).get("/").content.decode()
        assert (
            '<span class="badge" id="unread-count" data-me="ada" data-after="0" hidden>0</span>'
            in html
        )

    def test_write_to_opens_the_conversation(self, login, ada, bob):
        response = login(ada).get("/messages", {"to": "bob"})
        assert response.status_code == 302
        assert response.url == "/messages/bob"

    @pytest.mark.parametrize(
        "to, error",
        [("nobody", "There is nobody called “nobody” here."), ("ada", MESSAGE_TO_SELF_ERROR)],
    )
    def test_write_to_an_unknown_user_or_yourself_shows_why(self, login, ada, to, error):
        page = login(ada).get("/messages", {"to": to})
        assert page.status_code == 200
        assert error in page.content.decode()

    def test_user_text_is_escaped(self, login, ada, bob):
        message_create(sender=bob, recipient=ada, text="<script>alert(1)</script>")
        html = login(ada).get("/messages").content.decode()
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)" in html


@pytest.mark.django_db
class TestConversationPage:
    def test_shows_the_conversation_oldest_first_and_the_form(self, login, ada, bob):
        message_create(sender=ada, recipient=bob, text="first")
        message_create(sender=bob, recipient=ada, text="second")
        page = login(ada).get("/messages/bob")
        assert page.status_code == 200
        assert [m.text for m in page.context["thread"]] == ["first", "second"]
        html = page.content.decode()
        assert 'id="message-form"' in html
        assert 'data-live="/api/messages/bob"' in html

    def test_opening_it_marks_what_the_other_sent_as_read(self, login, ada, bob):
        to_ada = message_create(sender=bob, recipient=ada, text="read me")
        to_bob = message_create(sender=ada, recipient=bob, text="unread by bob")
        client = login(ada)
        assert client.get("/").context["unread_message_count"] == 1
        client.get("/messages/bob")
        to_ada.refresh_from_db()
        to_bob.refresh_from_db()
        assert to_ada.read is not None
        assert to_bob.read is None
        assert client.get("/").context["unread_message_count"] == 0

    def test_sending_saves_and_redirects_back(self, login, ada, bob):
        response = login(ada).post("/messages/bob", {"text": "  hello bob  "})
        assert response.status_code == 302
        assert response.url == "/messages/bob"
        message = Message.objects.get()
        assert (message.sender, message.recipient, message.text) == (ada, bob, "hello bob")

    @pytest.mark.parametrize(
        "text, error",
        [
            ("", "This field is required."),
            ("   ", "This field is required."),
            ("x" * (MAX_MESSAGE_LENGTH + 1), "Ensure this value has at most 2000 characters"),
        ],
    )
    def test_empty_or_over_long_text_shows_the_error_and_saves_nothing(
        self, login, ada, bob, text, error
    ):
        page = login(ada).post("/messages/bob", {"text": text})
        assert page.status_code == 200
        assert error in page.content.decode()
        assert not Message.objects.exists()

    def test_your_own_page_offers_no_form_and_a_post_saves_nothing(self, login, ada):
        client = login(ada)
        page = client.get("/messages/ada")
        assert page.status_code == 200
        assert 'id="message-form"' not in page.content.decode()
        assert "This is you." in page.content.decode()
        page = client.post("/messages/ada", {"text": "note to self"})
        assert MESSAGE_TO_SELF_ERROR in page.content.decode()
        assert not Message.objects.exists()

    @pytest.mark.parametrize("name", ["nobody", "bad%00name"])
    def test_an_unknown_user_is_404_and_saves_nothing(self, login, ada, name):
        client = login(ada)
        assert client.get(f"/messages/{name}").status_code == 404
        assert client.post(f"/messages/{name}", {"text": "hi"}).status_code == 404
        assert not Message.objects.exists()

    def test_older_messages_are_on_later_pages_and_only_page_one_is_live(self, login, ada, bob):
        Message.objects.bulk_create(
            Message(sender=ada, recipient=bob, text=f"m{n}") for n in range(60)
        )
        client = login(ada)
        first = client.get("/messages/bob")
        assert first.context["thread"][-1].text == "m59"
        assert len(first.context["thread"]) == 50
        assert first.context["live"] is True
        second = client.get("/messages/bob?page=2")
        assert [m.text for m in second.context["thread"]] == [f"m{n}" for n in range(10)]
        assert second.context["live"] is False
        assert "data-live" not in second.content.decode().split('id="thread"')[1][:200]


@pytest.mark.django_db
class TestPrivacyOverPages:
    """eve, a third user, gets nothing of what ada and bob say."""

    @pytest.fixture
    def secret(self, ada, bob):
        message_create(sender=ada, recipient=bob, text="the secret word is tangerine")
        message_create(sender=bob, recipient=ada, text="tangerine received")

    @pytest.mark.parametrize("path", ["/", "/messages", "/messages/ada", "/messages/bob"])
    def test_no_page_shows_eve_their_messages(self, login, eve, secret, path):
        page = login(eve).get(path)
        assert page.status_code == 200
        assert "tangerine" not in page.content.decode()

    def test_eve_opening_their_conversations_marks_nothing_read(self, login, eve, secret):
        client = login(eve)
        client.get("/messages/ada")
        client.get("/messages/bob")
        assert not Message.objects.filter(read__isnull=False).exists()

    def test_eve_has_no_unread_count(self, login, eve, secret):
        assert login(eve).get("/").context["unread_message_count"] == 0
