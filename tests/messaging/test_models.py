import pytest

from messaging.models import Message
from messaging.selectors import active_user, conversation_list
from messaging.services import message_create


@pytest.mark.django_db
class TestConversations:
    def test_one_row_per_person_newest_conversation_first_with_unread_counts(self, ada, bob, eve):
        message_create(sender=bob, recipient=ada, text="1")
        message_create(sender=bob, recipient=ada, text="2")
        last_with_eve = message_create(sender=ada, recipient=eve, text="3")
        last_with_bob = message_create(sender=bob, recipient=ada, text="4")
        rows = list(Message.objects.conversations(ada))
        assert rows == [
            {"other": bob.pk, "last_id": last_with_bob.id, "unread": 3},
            {"other": eve.pk, "last_id": last_with_eve.id, "unread": 0},
        ]
        conversations = conversation_list(rows=rows)
        assert [(c.other, c.last_message, c.unread) for c in conversations] == [
            (bob, last_with_bob, 3),
            (eve, last_with_eve, 0),
        ]

    def test_a_third_person_has_no_conversation_with_either(self, ada, bob, eve):
        message_create(sender=ada, recipient=bob, text="private")
        assert list(Message.objects.conversations(eve)) == []
        assert not Message.objects.involving(eve).exists()
        assert not Message.objects.between(eve, ada).exists()

    def test_conversation_list_costs_two_queries(self, ada, bob, eve, django_assert_num_queries):
        message_create(sender=bob, recipient=ada, text="1")
        message_create(sender=eve, recipient=ada, text="2")
        rows = list(Message.objects.conversations(ada))
        with django_assert_num_queries(2):
            conversations = conversation_list(rows=rows)
            assert [c.last_message.sender.username for c in conversations] == ["eve", "bob"]


@pytest.mark.django_db
class TestActiveUser:
    def test_finds_an_active_user(self, ada):
        assert active_user("ada") == ada

    @pytest.mark.parametrize("name", ["", "nobody", "a\x00b", "a/b", "x" * 151, "ada "])
    def test_unknown_or_impossible_names_are_none(self, ada, name):
        assert active_user(name) is None

    def test_an_inactive_user_is_none(self, ada):
        ada.is_active = False
        ada.save()
        assert active_user("ada") is None
