from django.urls import path

from posts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("posts/since", views.posts_since, name="posts_since"),
]
