import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from messaging.models import MAX_MESSAGE_LENGTH, MESSAGE_TO_SELF_ERROR, Message
from messaging.services import (
    conversation_mark_read,
    inbox_group,
    message_create,
    message_payload,
)


@pytest.mark.django_db
class TestMessageCreate:
    def test_saves_the_trimmed_text_unread(self, ada, bob):
        message = message_create(sender=ada, recipient=bob, text="  hello bob \n")
        saved = Message.objects.get()
        assert saved == message
        assert (saved.sender, saved.recipient, saved.text) == (ada, bob, "hello bob")
        assert saved.read is None

    @pytest.mark.parametrize("text", ["", "   \n\t", "x" * (MAX_MESSAGE_LENGTH + 1)])
    def test_empty_or_over_long_text_is_refused_and_nothing_saved(self, ada, bob, text):
        with pytest.raises(ValidationError) as caught:
            message_create(sender=ada, recipient=bob, text=text)
        assert "text" in caught.value.message_dict
        assert not Message.objects.exists()

    def test_the_longest_message_is_accepted(self, ada, bob):
        message_create(sender=ada, recipient=bob, text="x" * MAX_MESSAGE_LENGTH)
        assert len(Message.objects.get().text) == MAX_MESSAGE_LENGTH

    def test_a_message_to_yourself_is_refused_and_nothing_saved(self, ada):
        with pytest.raises(ValidationError) as caught:
            message_create(sender=ada, recipient=ada, text="note to self")
        assert caught.value.messages == [MESSAGE_TO_SELF_ERROR]
        assert not Message.objects.exists()

    def test_the_database_refuses_a_message_to_yourself_too(self, ada):
        with pytest.raises(IntegrityError), transaction.atomic():
            Message.objects.create(sender=ada, recipient=ada, text="sneaky")

    def test_delivered_after_commit_to_both_participants_and_nobody_else(
        self, ada, bob, eve, listen, django_capture_on_commit_callbacks
    ):
        ada_inbox, bob_inbox, eve_inbox = (listen(inbox_group(u.pk)) for u in (ada, bob, eve))
        feed = listen("feed")
        with django_capture_on_commit_callbacks() as callbacks:
            message = message_create(sender=ada, recipient=bob, text="psst")
            assert bob_inbox.got_nothing()  # nothing goes out before the commit
        for callback in callbacks:
            callback()
        expected = message_payload(message)
        assert ada_inbox.receive() == expected
        assert bob_inbox.receive() == expected
        assert eve_inbox.got_nothing()
        assert feed.got_nothing()

    def test_a_rolled_back_message_is_never_delivered(self, ada, bob, listen):
        bob_inbox = listen(inbox_group(bob.pk))
        with pytest.raises(RuntimeError), transaction.atomic():
            message_create(sender=ada, recipient=bob, text="never mind")
            raise RuntimeError("rolled back")
        assert not Message.objects.exists()
        assert bob_inbox.got_nothing()


@pytest.mark.django_db
class TestMessagePayload:
    def test_has_the_contract_fields(self, ada, bob):
        message = message_create(sender=ada, recipient=bob, text="hi")
        assert message_payload(message) == {
            "id": message.id,
            "sender": "ada",
            "recipient": "bob",
            "text": "hi",
            "created": message.created.isoformat(),
            "read": None,
        }


@pytest.mark.django_db
class TestMarkRead:
    def test_marks_only_what_the_other_person_sent_to_the_reader(self, ada, bob, eve):
        to_bob = message_create(sender=ada, recipient=bob, text="1")
        to_ada = message_create(sender=bob, recipient=ada, text="2")
        eve_to_bob = message_create(sender=eve, recipient=bob, text="3")
        assert conversation_mark_read(reader=bob, other=ada) == 1
        for message in (to_bob, to_ada, eve_to_bob):
            message.refresh_from_db()
        assert to_bob.read is not None
        assert to_ada.read is None  # bob's own message: only ada can read it
        assert eve_to_bob.read is None  # another conversation
        assert conversation_mark_read(reader=bob, other=ada) == 0
