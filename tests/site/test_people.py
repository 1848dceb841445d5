"""The people page, /people ("Who's here"): every active account with its number of posts and
the date of its latest, in a number of queries that does not grow with the number of people."""

import logging
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from posts.models import Post
from users.views import PEOPLE_PER_PAGE

pytestmark = pytest.mark.django_db


def person_with_posts(username: str, posts: int) -> User:
    user = User.objects.create_user(username)
    Post.objects.bulk_create(Post(author=user, text=f"{username} {n}") for n in range(posts))
    return user


def people_rows(page: str) -> list[str]:
    """The usernames in the page's table, in order."""
    return [
        line.split('data-username="', 1)[1].split('"', 1)[0]
        for line in page.splitlines()
        if "data-username=" in line
    ]


def queries_for_people_page(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/people")
    assert response.status_code == 200
    return len(queries)


def test_each_person_with_their_post_count_latest_post_and_a_link_to_write_to_them(client):
    ada = person_with_posts("ada", 3)
    person_with_posts("bob", 0)
    eve = person_with_posts("eve", 1)
    eve.is_active = False
    eve.save()
    latest = timezone.now() - timedelta(days=2)
    Post.objects.filter(author=ada).update(created=latest - timedelta(days=1))
    Post.objects.filter(pk=Post.objects.filter(author=ada).first().pk).update(created=latest)

    page = client.get("/people").content.decode()

    assert "<h1>Who's here</h1>" in page
    assert people_rows(page) == ["ada", "bob"]  # by name; eve's account is closed
    assert "2 people, by name" in page
    ada_row = page.split('data-username="ada"', 1)[1].split("</tr>", 1)[0]
    assert f'<a href="{reverse("conversation", args=["ada"])}">ada</a>' in ada_row
    assert '<td class="count">3</td>' in ada_row
    assert f'<time datetime="{latest.isoformat()}"' in ada_row
    assert "2\xa0days ago" in ada_row
    bob_row = page.split('data-username="bob"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="count">0</td>' in bob_row
    assert "none yet" in bob_row


def test_the_header_links_to_the_page_for_everyone(client, ada):
    link = f'<a href="{reverse("people")}" id="nav-people">People</a>'
    assert link in client.get("/").content.decode()
    client.force_login(ada)
    assert link in client.get("/").content.decode()
    assert 'class="mine" data-username="ada"' in client.get("/people").content.decode()


def test_the_number_of_queries_does_not_grow_with_the_number_of_people(client):
    for n in range(3):
        person_with_posts(f"few{n}", 2)
    few = queries_for_people_page(client)
    for n in range(27):
        person_with_posts(f"many{n:02}", 2)
    page = client.get("/people").content.decode()
    assert len(people_rows(page)) == 30
    assert queries_for_people_page(client) == few
    # The count for the pager and the page's people with their posts counted and dated.
    assert few == 2


def test_the_query_count_holds_for_a_logged_in_visitor(client, ada):
    client.force_login(ada)
    few = queries_for_people_page(client)
    for n in range(20):
        person_with_posts(f"p{n:02}", 1)
    assert queries_for_people_page(client) == few


def test_a_hundred_to_a_page_and_the_rest_on_the_next(client):
    User.objects.bulk_create(User(username=f"u{n:03}") for n in range(PEOPLE_PER_PAGE + 1))
    first = client.get("/people").content.decode()
    assert len(people_rows(first)) == PEOPLE_PER_PAGE
    assert "Page 1 of 2" in first and 'href="?page=2"' in first
    second = client.get("/people?page=2").content.decode()
    assert people_rows(second) == [f"u{PEOPLE_PER_PAGE:03}"]


def test_nobody_yet(client):
    page = client.get("/people").content.decode()
    assert people_rows(page) == []
    assert "Nobody yet." in page


def test_the_page_logs_how_many_people_it_shows(client, caplog):
    for name in ("ada", "bob", "cy"):
        person_with_posts(name, 1)
    with caplog.at_level(logging.DEBUG, logger="users.views"):
        client.get("/people")
    logged = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "users.views"]
    assert logged == [("DEBUG", "People: page 1 of 1, 3 people shown")]
