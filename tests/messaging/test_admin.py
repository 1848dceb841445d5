import pytest
from django.contrib.auth.models import Permission

from messaging.models import Message
from messaging.services import message_create

CHANGELIST = "/admin/messaging/message/"


@pytest.fixture
def secret(ada, bob):
    return message_create(sender=ada, recipient=bob, text="admin must not leak tangerine")


@pytest.mark.django_db
class TestMessageAdmin:
    def test_a_non_staff_user_gets_nothing_but_the_admin_login(self, client, eve, secret):
        client.force_login(eve)
        for path in (CHANGELIST, f"{CHANGELIST}{secret.pk}/change/", "/admin/"):
            response = client.get(path)
            assert response.status_code == 302, path
            assert response.url.startswith("/admin/login/"), path
            assert "tangerine" not in client.get(path, follow=True).content.decode()

    def test_a_participant_who_is_not_staff_gets_nothing_either(self, client, ada, secret):
        client.force_login(ada)
        assert client.get(CHANGELIST).status_code == 302

    def test_staff_without_the_messaging_permission_are_forbidden(self, client, eve, secret):
        eve.is_staff = True
        eve.save()
        client.force_login(eve)
        assert client.get(CHANGELIST).status_code == 403
        assert client.get(f"{CHANGELIST}{secret.pk}/change/").status_code == 403
        assert "tangerine" not in client.get("/admin/").content.decode()

    def test_staff_given_view_permission_see_messages_read_only(self, client, eve, secret):
        eve.is_staff = True
        eve.save()
        eve.user_permissions.add(Permission.objects.get(codename="view_message"))
        client.force_login(eve)
        assert "admin must not leak tangerine" in client.get(CHANGELIST).content.decode()
        response = client.post(
            f"{CHANGELIST}{secret.pk}/change/", {"text": "edited"}
        )
        assert response.status_code == 403
        assert Message.objects.get().text == "admin must not leak tangerine"
        assert client.get(f"{CHANGELIST}add/").status_code == 403
