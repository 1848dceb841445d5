from django.urls import path

from messaging import views

urlpatterns = [
    path("messages", views.inbox, name="inbox"),
    path("messages/<str:username>", views.conversation, name="conversation"),
]
