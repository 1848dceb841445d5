from django.contrib import admin

from posts.models import Post


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["id", "author", "short_text", "created"]
    list_filter = ["author"]
    search_fields = ["text", "author__username"]
    list_select_related = ["author"]
    date_hierarchy = "created"

    @admin.display(description="text")
    def short_text(self, post):
        return post.text[:80]
