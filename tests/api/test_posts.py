import base64

import pytest
from rest_framework.test import APIClient

from posts.models import MAX_POST_LENGTH, PAGE_LIMIT, Post
from posts.services import FEED_GROUP, post_payload
from tests.windows import fresh_window


def make_posts(user, count):
    return Post.objects.bulk_create(Post(author=user, text=f"post {n}") for n in range(count))


@pytest.mark.django_db
class TestCreatePost:
    def test_saves_trimmed_and_answers_with_the_post(self, api, ada):
        response = api(ada).post("/api/posts", {"text": "  hello API  "}, format="json")
        assert response.status_code == 201
        post = Post.objects.get()
        assert (post.author, post.text) == (ada, "hello API")
        assert response.json() == post_payload(post)

    def test_goes_out_on_the_feed_after_commit_exactly_like_a_page_post(
        self, api, ada, listen, django_capture_on_commit_callbacks
    ):
        feed = listen(FEED_GROUP)
        with django_capture_on_commit_callbacks(execute=True):
            response = api(ada).post("/api/posts", {"text": "live!"}, format="json")
        assert feed.receive() == response.json()  # the frame is the post as the API returns it

    @pytest.mark.parametrize(
        "body, message",
        [
            ({"text": ""}, "This field may not be blank."),
            ({"text": "  \n "}, "This field may not be blank."),
            ({"text": "x" * (MAX_POST_LENGTH + 1)},
             "Ensure this field has no more than 500 characters."),
            ({}, "This field is required."),
            ({"text": "a\x00b"}, "Null characters are not allowed."),
            ({"text": -6.5e246}, "Not a valid string."),
            ({"text": 12}, "Not a valid string."),
            ({"text": ["hi"]}, "Not a valid string."),
        ],
    )
    def test_bad_text_is_a_400_and_nothing_saved(self, api, ada, body, message):
        response = api(ada).post("/api/posts", body, format="json")
        assert response.status_code == 400
        assert response.json() == {
            "code": "invalid",
            "detail": f"text: {message}",
            "fields": {"text": [message]},
        }
        assert not Post.objects.exists()

    def test_the_longest_post_is_accepted(self, api, ada):
        response = api(ada).post("/api/posts", {"text": "x" * MAX_POST_LENGTH}, format="json")
        assert response.status_code == 201

    def test_anonymous_is_401_and_nothing_saved(self, api):
        response = api(None).post("/api/posts", {"text": "hi"}, format="json")
        assert response.status_code == 401
        assert not Post.objects.exists()

    def test_a_session_post_needs_the_csrf_token(self, ada):
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(ada)
        response = client.post("/api/posts", {"text": "hi"}, format="json")
        assert response.status_code == 403
        assert not Post.objects.exists()

    def test_posting_is_throttled_per_user_and_reading_is_not(self, settings, api, ada, bob):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                "auth": "100/minute", "login": "100/minute", "write": "2/minute"
            },
        }
        fresh_window()
        client = api(ada)
        for n in range(2):
            assert client.post("/api/posts", {"text": f"{n}"}, format="json").status_code == 201
        response = client.post("/api/posts", {"text": "one too many"}, format="json")
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        assert response.json()["code"] == "throttled"
        assert response.json()["detail"].startswith("Request was throttled.")
        assert Post.objects.count() == 2
        for _ in range(5):
            assert client.get("/api/posts").status_code == 200
        # Another user has an allowance of their own.
        assert api(bob).post("/api/posts", {"text": "mine"}, format="json").status_code == 201


@pytest.mark.django_db
class TestListPosts:
    def test_newest_first_in_the_envelope_open_to_anyone(self, api, ada):
        posts = make_posts(ada, 3)
        body = api(None).get("/api/posts").json()
        assert body == {
            "next": None,
            "previous": None,
            "results": [post_payload(p) for p in reversed(posts)],
        }

    def test_cursor_pages_cover_everything_once_even_while_posts_arrive(self, api, ada):
        posts = make_posts(ada, 7)
        client = api(ada)
        first = client.get("/api/posts?page_size=3").json()
        make_posts(ada, 2)  # new posts must not shift the pages
        seen = [p["id"] for p in first["results"]]
        url = first["next"]
        while url:
            body = client.get(url).json()
            seen += [p["id"] for p in body["results"]]
            url = body["next"]
        assert seen == [p.id for p in reversed(posts)]

    def test_after_gives_the_newer_posts_oldest_first_a_page_at_a_time(self, api, ada):
        posts = make_posts(ada, 7)
        client = api(ada)
        body = client.get(f"/api/posts?after={posts[1].id}&page_size=3").json()
        assert [p["id"] for p in body["results"]] == [p.id for p in posts[2:5]]
        assert body["previous"] is None
        assert f"after={posts[4].id}" in body["next"]
        body = client.get(body["next"]).json()
        assert [p["id"] for p in body["results"]] == [p.id for p in posts[5:7]]
        assert body["next"] is None

    def test_after_answers_what_posts_since_answers(self, api, client, ada):
        posts = make_posts(ada, 5)
        page = api(ada).get(f"/api/posts?after={posts[1].id}&page_size={PAGE_LIMIT}").json()
        since = client.get(f"/posts/since?after={posts[1].id}").json()
        assert [post["id"] for post in page["results"]] == [post.id for post in posts[2:]]
        assert page["results"] == since["posts"]
        assert page["next"] is None and since["more"] is False

    def test_after_the_newest_post_is_empty(self, api, ada):
        posts = make_posts(ada, 2)
        body = api(ada).get(f"/api/posts?after={posts[-1].id}").json()
        assert body == {"next": None, "previous": None, "results": []}

    def test_exactly_a_full_page_has_no_next(self, api, ada):
        posts = make_posts(ada, 3)
        body = api(ada).get("/api/posts?after=0&page_size=3").json()
        assert [p["id"] for p in body["results"]] == [p.id for p in posts]
        assert body["next"] is None

    def test_page_size_defaults_to_50_and_goes_up_to_200(self, api, ada):
        make_posts(ada, 210)
        client = api(ada)
        assert len(client.get("/api/posts").json()["results"]) == 50
        assert len(client.get("/api/posts?page_size=200").json()["results"]) == 200
        assert len(client.get("/api/posts?after=0&page_size=200").json()["results"]) == 200

    @pytest.mark.parametrize(
        "query, field",
        [("after=abc", "after"), ("after=-1", "after"), ("page_size=0", "page_size"),
         ("page_size=201", "page_size")],
    )
    def test_bad_parameters_are_400s(self, api, query, field):
        response = api(None).get(f"/api/posts?{query}")
        assert response.status_code == 400
        assert list(response.json()["fields"]) == [field]

    @pytest.mark.parametrize("position", [b"p=abc", b"p=1%00", b"p=-5"])
    def test_a_tampered_cursor_is_a_404_not_a_crash(self, api, position):
        cursor = base64.b64encode(position).decode()
        response = api(None).get("/api/posts", {"cursor": cursor})
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": "Invalid cursor"}

    def test_an_invalid_token_is_401_even_where_anonymous_may_read(self, api):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token nope")
        assert client.get("/api/posts").status_code == 401
