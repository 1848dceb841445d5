from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from posts.consumers import FeedConsumer
from posts.models import Post
from posts.services import post_create

# Passwords are hashed slowly on purpose; tests need no such protection.
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests run with DEBUG off: pages link static files by name, without collectstatic's manifest.
PLAIN_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests keep everything in their own process, whatever the terminal exports (REDIS_URL from
# week 4): sockets in the in-memory channel layer, no Redis for live delivery, counters in a
# local cache. Nothing a test does reaches a real Redis, or the pages of a server using it.
ISOLATED = {
    "CHANNEL_LAYERS": {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}},
    "CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    "REDIS_URL": "",
}


@override_settings(PASSWORD_HASHERS=FAST_HASHER, STORAGES=PLAIN_STATIC, **ISOLATED)
class HomePageTests(TestCase):
    def setUp(self):
        cache.clear()  # no page kept by an earlier test
        self.ada = get_user_model().objects.create_user("ada", password="a-long-pass-phrase")

    def test_a_logged_in_user_posts_and_is_redirected(self):
        self.client.force_login(self.ada)
        response = self.client.post(reverse("home"), {"text": "Hello, RetroSocial!"})
        self.assertRedirects(response, reverse("home"))
        post = Post.objects.get()
        self.assertEqual((post.author, post.text), (self.ada, "Hello, RetroSocial!"))

    def test_an_empty_post_is_refused_and_the_form_shown_again(self):
        self.client.force_login(self.ada)
        response = self.client.post(reverse("home"), {"text": ""})
        self.assertContains(response, "This field is required.")
        self.assertFalse(Post.objects.exists())

    def test_a_visitor_who_is_not_logged_in_is_sent_to_log_in(self):
        response = self.client.post(reverse("home"), {"text": "Hello"})
        self.assertRedirects(response, f"{reverse('login')}?next=/")
        self.assertFalse(Post.objects.exists())

    def test_the_newest_post_comes_first(self):
        post_create(author=self.ada, text="the older post")
        post_create(author=self.ada, text="the newer post")
        page = self.client.get(reverse("home")).content.decode()
        self.assertLess(page.index("the newer post"), page.index("the older post"))

    def test_a_post_is_text_not_html(self):
        post_create(author=self.ada, text="<script>alert(1)</script>")
        response = self.client.get(reverse("home"))
        self.assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")

    def test_the_second_visit_reads_the_cache(self):
        post_create(author=self.ada, text="Hello")
        with CaptureQueriesContext(connection) as first:
            self.client.get(reverse("home"))
        with CaptureQueriesContext(connection) as second:
            self.client.get(reverse("home"))
        self.assertLess(len(second), len(first))

    def test_the_author_sees_their_post_at_once(self):
        self.client.force_login(self.ada)
        self.client.get(reverse("home"))  # the first page is in the cache now
        with self.captureOnCommitCallbacks(execute=True):  # the post's transaction commits
            self.client.post(reverse("home"), {"text": "Fresh!"})
        self.assertContains(self.client.get(reverse("home")), "Fresh!")


@override_settings(**ISOLATED)
class PostCreateTests(TestCase):
    async def test_a_new_post_reaches_an_open_feed_socket_once_it_is_committed(self):
        socket = WebsocketCommunicator(FeedConsumer.as_asgi(), "/ws/feed")
        connected, _ = await socket.connect()
        self.assertTrue(connected)
        post = await sync_to_async(self.create_post)()
        received = await socket.receive_json_from(timeout=5)
        self.assertEqual((received["id"], received["text"]), (post.id, "Hello, live feed!"))
        await socket.disconnect()

    def create_post(self):
        ada = get_user_model().objects.create_user("ada")
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            post = post_create(author=ada, text="Hello, live feed!")
            self.assertEqual(callbacks, [])  # nothing is sent before the commit
        return post
