from django.conf import settings
from django.db import models
from django.db.models import F

MAX_POST_LENGTH = 500
PAGE_LIMIT = 200  # the most rows one answer sends at once (see /posts/since)


class PostQuerySet(models.QuerySet):
    def newest_first(self):
        return self.select_related("author").order_by("-created", "-id")

    def after(self, post_id):
        """Posts newer than `post_id`, oldest first: what a client that saw `post_id` missed."""
        return self.select_related("author").filter(id__gt=post_id).order_by("id")

    def rows(self):
        """Plain rows (dicts) with what a page shows of each post: safe to keep in a cache."""
        return self.values("id", "author_id", "text", "created", author_name=F("author__username"))


class Post(models.Model):
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts"
    )
    text = models.CharField(max_length=MAX_POST_LENGTH)
    created = models.DateTimeField(auto_now_add=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["-created", "-id"], name="post_newest_first")]

    def __str__(self):
        return f"{self.author}: {self.text[:50]}"
