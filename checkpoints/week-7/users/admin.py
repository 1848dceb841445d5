"""The admin's forms for users check names with the same rules as sign-up
(users.services.username_clean): no `ADA` beside `ada`, no names that mix alphabets."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from users.services import username_clean

User = get_user_model()


class UserCreationAdminForm(AdminUserCreationForm):
    def clean_username(self):
        return username_clean(self.cleaned_data["username"])


class UserChangeAdminForm(UserChangeForm):
    def clean_username(self):
        return username_clean(self.cleaned_data["username"], instance=self.instance)


admin.site.unregister(User)


@admin.register(User)
class SiteUserAdmin(UserAdmin):
    add_form = UserCreationAdminForm
    form = UserChangeAdminForm
