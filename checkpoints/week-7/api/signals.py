"""
A socket ends with its credentials: revoking a token, logging out and changing the password
close the sockets they opened, in every process, with 4401 (see retrosocial.live).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, pre_save
from django.dispatch import receiver
from rest_framework.authtoken.models import Token

from retrosocial import live


@receiver(post_delete, sender=Token)
def token_revoked(sender, instance, **kwargs):
    transaction.on_commit(lambda: live.credentials_ended(live.credential("token", instance.key)))


@receiver(user_logged_out)
def session_ended(sender, request, user, **kwargs):
    if request.session.session_key:
        live.credentials_ended(live.credential("session", request.session.session_key))


@receiver(pre_save, sender=get_user_model())
def password_changing(sender, instance, update_fields=None, **kwargs):
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    old = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if old is not None and old != instance.password:
        transaction.on_commit(lambda: live.credentials_ended(live.user_topic(instance.pk)))
