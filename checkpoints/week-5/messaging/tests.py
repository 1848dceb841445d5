from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import TestCase, override_settings
from django.urls import reverse

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
