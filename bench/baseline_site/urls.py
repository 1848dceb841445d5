"""
The site's URLs plus the baselines the benchmarks measure it against, side by side in the same
daphne process:

- /bench/outline-feed: what the course outline's home view did: every post, in no order, each
  author looked up when the template reads it (a query per post);
- /bench/api/posts: a bare Django view: GET returns the same rows as `GET /api/posts` (the 50
  newest, with their authors) as JSON; POST saves a post through the same `post_create` (so it
  goes out on the live feed too) for the holder of an API token.
"""

import json

from django.http import HttpResponse, JsonResponse
from django.template import engines
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.authtoken.models import Token

from posts.models import Post
from posts.services import post_create, post_payload

OUTLINE_PAGE = engines["django"].from_string(
    "<!doctype html><html><head><title>RetroSocial</title></head><body><h1>Posts</h1><ul>"
    "{% for post in posts %}<li>{{ post.author.username }}: {{ post.text }}"
    " ({{ post.created }})</li>{% endfor %}</ul></body></html>"
)


def outline_feed(request):
    return HttpResponse(OUTLINE_PAGE.render({"posts": Post.objects.order_by()}, request))


@csrf_exempt
def bare_posts(request):
    if request.method == "POST":
        header = request.headers.get("Authorization", "")
        token = Token.objects.select_related("user").filter(key=header[6:]).first()
        if not header.startswith("Token ") or token is None:
            return JsonResponse({"detail": "not authenticated"}, status=401)
        try:
            text = json.loads(request.body)["text"]
        except (ValueError, KeyError, TypeError):
            return JsonResponse({"detail": "a JSON object with text"}, status=400)
        if not isinstance(text, str) or not text.strip() or len(text) > 500:
            return JsonResponse({"text": ["1 to 500 characters"]}, status=400)
        return JsonResponse(post_payload(post_create(author=token.user, text=text)), status=201)
    posts = Post.objects.select_related("author").order_by("-created", "-id")[:50]
    return JsonResponse({"results": [post_payload(post) for post in posts]})


urlpatterns = [
    path("bench/outline-feed", outline_feed),
    path("bench/api/posts", bare_posts),
    path("", include("retrosocial.urls")),
]
