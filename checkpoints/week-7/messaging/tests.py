from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import TestCase, override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token

from messaging.models import Message
from messaging.services import message_create
from posts.tests import FAST_HASHER, ISOLATED, PLAIN_STATIC

SECRET = "Lunch at noon? Don't tell Eve."


@override_settings(PASSWORD_HASHERS=FAST_HASHER, STORAGES=PLAIN_STATIC, **ISOLATED)
class PrivacyTests(TestCase):
    """A message reaches its two participants and nobody else."""

    @classmethod
    def setUpTestData(cls):
        User = get_user_model()
        cls.ada, cls.bob, cls.eve = (
            User.objects.create_user(name, password="a-long-pass-phrase")
            for name in ("ada", "bob", "eve")
        )
        message_create(sender=cls.ada, recipient=cls.bob, text=SECRET)

    def test_the_recipient_reads_it_and_it_is_marked_read(self):
        self.client.force_login(self.bob)
        response = self.client.get(reverse("conversation", args=["ada"]))
        self.assertContains(response, "Lunch at noon?")
        self.assertIsNotNone(Message.objects.get().read)

    def test_nobody_else_sees_it_on_any_page(self):
        self.client.force_login(self.eve)
        for url in (
            reverse("inbox"),
            reverse("conversation", args=["ada"]),
            reverse("conversation", args=["bob"]),
        ):
            self.assertNotContains(self.client.get(url), "Lunch at noon?")

    def test_nobody_else_gets_it_from_the_api(self):
        token = Token.objects.create(user=self.eve)
        for url in ("/api/messages", "/api/messages/ada", "/api/messages/bob"):
            response = self.client.get(url, headers={"Authorization": f"Token {token.key}"})
            self.assertEqual(response.status_code, 200)
            self.assertNotIn("Lunch at noon?", response.content.decode())

    def test_the_pages_need_a_login(self):
        response = self.client.get(reverse("inbox"))
        self.assertRedirects(response, f"{reverse('login')}?next={reverse('inbox')}")


@override_settings(**ISOLATED)
class SendingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        User = get_user_model()
        cls.ada, cls.bob = User.objects.create_user("ada"), User.objects.create_user("bob")

    def test_a_message_to_yourself_is_refused(self):
        with self.assertRaises(ValidationError):
            message_create(sender=self.ada, recipient=self.ada, text="Hello, me")
        self.assertFalse(Message.objects.exists())

    def test_an_empty_message_is_refused(self):
        with self.assertRaises(ValidationError):
            message_create(sender=self.ada, recipient=self.bob, text="   ")
        self.assertFalse(Message.objects.exists())

    def test_the_api_sends_a_message_with_a_token(self):
        token = Token.objects.create(user=self.ada)
        response = self.client.post(
            "/api/messages/bob",
            {"text": "Hi Bob"},
            content_type="application/json",
            headers={"Authorization": f"Token {token.key}"},
        )
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response.json()["recipient"], "bob")
        self.assertEqual(Message.objects.get().sender, self.ada)
