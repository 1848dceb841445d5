from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from posts.forms import PostForm
from posts.models import Post

POSTS_PER_PAGE = 50
USERS_SHOWN = 100


def home(request):
    form = None
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        form = PostForm(request.POST)
        if form.is_valid():
            post = form.save(commit=False)
            post.author = request.user
            post.save()
            return redirect("home")
    elif request.user.is_authenticated:
        form = PostForm()

    page = Paginator(Post.objects.newest_first(), POSTS_PER_PAGE).get_page(request.GET.get("page"))
    users = get_user_model().objects.order_by("username")[:USERS_SHOWN]
    return render(request, "posts/home.html", {"form": form, "page": page, "users": users})
