import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction

from posts.models import Post


@pytest.mark.django_db
class TestPostQuerySet:
    def test_newest_first_orders_by_creation_then_id(self):
        author = User.objects.create_user("ada")
        first, second, third = (Post.objects.create(author=author, text=t) for t in "abc")
        assert list(Post.objects.newest_first()) == [third, second, first]

    def test_after_returns_only_newer_posts_oldest_first(self):
        author = User.objects.create_user("ada")
        posts = [Post.objects.create(author=author, text=str(n)) for n in range(5)]
        assert list(Post.objects.after(posts[1].id)) == posts[2:]

    def test_str_names_the_author(self):
        post = Post.objects.create(author=User.objects.create_user("ada"), text="hello there")
        assert str(post) == "ada: hello there"

    def test_newest_first_reads_the_index_and_sorts_nothing(self):
        """The database's own plan for a page of the feed walks post_newest_first and sorts
        nothing. (PostgreSQL is told not to scan the table instead: on a few rows that is the
        cheaper plan, and so the one it would show.)"""
        with transaction.atomic():  # where SET LOCAL holds
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL enable_seqscan = off")
            plan = Post.objects.newest_first()[:20].explain()
        assert "post_newest_first" in plan, plan
        assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan
