from django.contrib.auth import get_user_model
from django.shortcuts import render

USERS_SHOWN = 100


def home(request):
    users = get_user_model().objects.order_by("username")[:USERS_SHOWN]
    return render(request, "posts/home.html", {"users": users})
