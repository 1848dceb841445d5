import pytest
from django.contrib.auth.models import User

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

    def test_newest_first_uses_the_index(self):
        indexes = {index.name: index.fields for index in Post._meta.indexes}
        assert indexes["post_newest_first"] == ["-created", "-id"]
