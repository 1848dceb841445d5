from django import forms

from posts.models import MAX_POST_LENGTH, Post


class PostForm(forms.ModelForm):
    class Meta:
        model = Post
        fields = ["text"]
        labels = {"text": "What's happening?"}
        widgets = {
            "text": forms.Textarea(
                attrs={"rows": 3, "maxlength": MAX_POST_LENGTH, "autofocus": True}
            )
        }
