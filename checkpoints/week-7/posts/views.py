from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from posts.forms import PostForm
from posts.models import PAGE_LIMIT, Post
from posts.services import POSTS_PER_PAGE, feed_first_page, post_create, post_payload
from retrosocial import limits
from users.services import people


def home(request):
    form, wait = None, None
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        form = PostForm(request.POST)
        # The same limit as the API's: posts and messages per user (retrosocial.limits).
        wait = limits.hit("write", request.user.pk)
        if wait:
            form.is_valid()
            form.add_error(None, limits.TOO_MANY.format(wait))
        elif form.is_valid():
            try:
                post_create(author=request.user, text=form.cleaned_data["text"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("home")
    elif request.user.is_authenticated:
        form = PostForm()

    number = request.GET.get("page")
    if number in (None, "", "1"):
        # The first page, what nearly every visit reads, comes from the cache.
        rows, count = feed_first_page()
        paginator = Paginator(rows, POSTS_PER_PAGE)
        paginator.count = count  # every post, not only this page's rows
    else:
        paginator = Paginator(Post.objects.newest_first().rows(), POSTS_PER_PAGE)
    page = paginator.get_page(number)
    response = render(
        request,
        "posts/home.html",
        {"form": form, "page": page, "users": people(), "live": page.number == 1},
        status=429 if wait else 200,
    )
    if wait:
        response["Retry-After"] = str(wait)
    return response


@require_GET
def posts_since(request):
    """Posts newer than ?after=ID, oldest first: how the page catches up after a reconnect."""
    try:
        after = int(request.GET.get("after", ""))
    except ValueError:
        return HttpResponseBadRequest("after must be a post id (a whole number)")
    posts = list(Post.objects.after(after)[: PAGE_LIMIT + 1])
    return JsonResponse(
        {
            "posts": [post_payload(post) for post in posts[:PAGE_LIMIT]],
            "more": len(posts) > PAGE_LIMIT,
        }
    )
