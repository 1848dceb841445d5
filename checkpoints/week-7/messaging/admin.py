from django.contrib import admin

from messaging.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Messages are private: Django's admin already admits staff only (anyone else is sent to
    the admin login), and among staff only those given the messaging permissions see these.
    Messages are read-only here: nobody edits another person's words."""

    list_display = ["id", "sender", "recipient", "short_text", "created", "read"]
    list_select_related = ["sender", "recipient"]
    search_fields = ["sender__username", "recipient__username"]
    date_hierarchy = "created"
    readonly_fields = ["sender", "recipient", "text", "created", "read"]

    @admin.display(description="text")
    def short_text(self, message):
        return message.text[:80]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
