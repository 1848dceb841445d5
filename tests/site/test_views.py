import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from messaging.models import MESSAGE_TO_SELF_ERROR, Message
from messaging.services import message_create
from posts.models import Post
from posts.views import POSTS_PER_PAGE
from tests.live import PASSWORD


@pytest.fixture
def ada_client(client, ada):
    client.force_login(ada)
    return client


@pytest.mark.django_db
class TestSignup:
    def test_signup_creates_the_user_logs_in_and_lands_home(self, client):
        response = client.post(
            "/signup", {"username": "grace", "password1": PASSWORD, "password2": PASSWORD}
        )
        assert response.status_code == 302
        assert response.url == reverse("home")
        assert User.objects.filter(username="grace").exists()
        assert "Logged in as <strong>grace</strong>" in client.get("/").content.decode()

    def test_mismatched_passwords_show_the_error_and_save_nothing(self, client):
        response = client.post(
            "/signup", {"username": "grace", "password1": PASSWORD, "password2": "other-pass-99"}
        )
        assert response.status_code == 200
        assert "The two password fields didn’t match." in response.content.decode()
        assert not User.objects.filter(username="grace").exists()

    def test_taken_username_is_refused(self, client, ada):
        response = client.post(
            "/signup", {"username": "ada", "password1": PASSWORD, "password2": PASSWORD}
        )
        assert "A user with that username already exists." in response.content.decode()
        assert User.objects.filter(username="ada").count() == 1


@pytest.mark.django_db
class TestLoginLogout:
    def test_login_lands_home(self, client, ada):
        response = client.post("/login", {"username": "ada", "password": PASSWORD})
        assert response.status_code == 302
        assert response.url == reverse("home")

    def test_wrong_password_shows_an_error(self, client, ada):
        response = client.post("/login", {"username": "ada", "password": "wrong"})
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_logout_is_a_post_with_a_button(self, ada_client):
        page = ada_client.get("/").content.decode()
        assert f'<form method="post" action="{reverse("logout")}"' in page
        assert ada_client.get("/logout").status_code == 405
        response = ada_client.post("/logout")
        assert response.status_code == 302
        assert response.url == reverse("home")
        assert "_auth_user_id" not in ada_client.session


@pytest.mark.django_db
class TestHomePage:
    def test_anonymous_visitors_are_asked_to_log_in(self, client):
        page = client.get("/").content.decode()
        assert "to post." in page
        assert 'id="post-form"' not in page

    def test_logged_in_users_see_who_they_are_the_people_and_the_form(self, ada_client):
        User.objects.create_user("grace")
        page = ada_client.get("/").content.decode()
        assert "Logged in as <strong>ada</strong>" in page
        assert "<li>grace</li>" in page
        assert 'id="post-form"' in page

    def test_posts_are_newest_first_and_own_posts_are_marked(self, ada_client, ada):
        grace = User.objects.create_user("grace")
        Post.objects.create(author=ada, text="older from ada")
        Post.objects.create(author=grace, text="newer from grace")
        page = ada_client.get("/").content.decode()
        assert page.index("newer from grace") < page.index("older from ada")
        assert page.count('class="post mine"') == 1

    def test_post_text_is_escaped(self, ada_client, ada):
        Post.objects.create(author=ada, text="<script>alert(1)</script>")
        page = ada_client.get("/").content.decode()
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    def test_pages_hold_fifty_posts_with_a_link_to_older_ones(self, client, ada):
        Post.objects.bulk_create(Post(author=ada, text=f"post {n}") for n in range(120))
        first = client.get("/")
        assert len(first.context["page"]) == POSTS_PER_PAGE
        assert 'href="?page=2"' in first.content.decode()
        last = client.get("/?page=3")
        assert len(last.context["page"]) == 120 - 2 * POSTS_PER_PAGE
        assert last.context["live"] is False

    @pytest.mark.parametrize("count", [10, 100_000])
    def test_query_count_does_not_grow_with_the_number_of_posts(
        self, ada_client, ada, count, django_assert_num_queries
    ):
        Post.objects.bulk_create(
            (Post(author=ada, text=f"post {n}") for n in range(count)), batch_size=5000
        )
        # session, user, post count, one page of posts with authors, the people list, and one
        # for the header: the unread-message count and the newest message id its live count
        # starts after
        with django_assert_num_queries(6):
            response = ada_client.get("/")
        assert len(response.context["page"]) == min(count, POSTS_PER_PAGE)


@pytest.mark.django_db
class TestPosting:
    def test_post_saves_and_redirects_home(self, ada_client, ada):
        response = ada_client.post("/", {"text": "hello, world"})
        assert response.status_code == 302
        assert response.url == reverse("home")
        assert Post.objects.get().author == ada

    @pytest.mark.parametrize("text", ["", "    ", "x" * 501])
    def test_bad_text_shows_the_error_and_saves_nothing(self, ada_client, text):
        response = ada_client.post("/", {"text": text})
        assert response.status_code == 200
        assert response.context["form"].errors["text"]
        assert 'class="errorlist"' in response.content.decode()
        assert not Post.objects.exists()

    def test_anonymous_post_saves_nothing_and_leads_to_login(self, client):
        response = client.post("/", {"text": "sneaky"})
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
        assert not Post.objects.exists()

    def test_a_saved_post_is_broadcast_once_committed(
        self, ada_client, django_capture_on_commit_callbacks
    ):
        from tests.people import GroupListener

        feed = GroupListener("feed")
        try:
            with django_capture_on_commit_callbacks(execute=True) as callbacks:
                ada_client.post("/", {"text": "live!"})
            assert len(callbacks) == 2  # the feed's cached copy renewed, then the broadcast
            message = feed.receive()
        finally:
            feed.close()
        post = Post.objects.get()
        assert message == {
            "id": post.id,
            "author": "ada",
            "text": "live!",
            "created": post.created.isoformat(),
        }

    def test_nothing_is_broadcast_when_the_post_is_refused(
        self, ada_client, listen, django_capture_on_commit_callbacks
    ):
        feed = listen("feed")
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            ada_client.post("/", {"text": ""})
        assert callbacks == []
        assert feed.got_nothing()  # not sent straight away either


@pytest.mark.django_db
class TestPostsSince:
    def test_returns_newer_posts_oldest_first(self, client, ada):
        posts = [Post.objects.create(author=ada, text=str(n)) for n in range(4)]
        body = client.get(f"/posts/since?after={posts[1].id}").json()
        assert [p["id"] for p in body["posts"]] == [posts[2].id, posts[3].id]
        assert body["more"] is False

    def test_says_when_there_is_more_than_one_batch(self, client, ada):
        Post.objects.bulk_create(Post(author=ada, text=str(n)) for n in range(201))
        body = client.get("/posts/since?after=0").json()
        assert len(body["posts"]) == 200
        assert body["more"] is True

    @pytest.mark.parametrize("query", ["", "?after=", "?after=abc"])
    def test_a_missing_or_bad_id_is_a_400(self, client, query):
        assert client.get(f"/posts/since{query}").status_code == 400


@pytest.mark.django_db
class TestConversationPage:
    def test_a_refused_message_shows_why_and_marks_nothing_read(self, client, ada, bob):
        unread = message_create(sender=bob, recipient=ada, text="read me later")
        client.force_login(ada)
        page = client.post("/messages/bob", {"text": "   "})
        assert page.status_code == 200
        assert "This field is required." in page.content.decode()
        unread.refresh_from_db()
        assert unread.read is None
        client.get("/messages/bob")
        unread.refresh_from_db()
        assert unread.read is not None

    def test_a_message_to_yourself_is_refused_by_the_service(self, client, ada):
        client.force_login(ada)
        page = client.post("/messages/ada", {"text": "note to self"})
        assert page.status_code == 200
        assert page.context["form"].non_field_errors() == [MESSAGE_TO_SELF_ERROR]
        assert not Message.objects.exists()


@pytest.mark.django_db
class TestAdmin:
    def test_posts_are_listed_searchable_and_filterable_by_author(self, client, ada):
        admin = User.objects.create_superuser("root", password=PASSWORD)
        client.force_login(admin)
        Post.objects.create(author=ada, text="findable needle")
        page = client.get(f"/admin/posts/post/?q=needle&author__id__exact={ada.id}")
        assert page.status_code == 200
        assert "findable needle" in page.content.decode()
