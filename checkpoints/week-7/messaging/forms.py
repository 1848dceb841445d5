from django import forms

from messaging.models import MAX_MESSAGE_LENGTH


class MessageForm(forms.Form):
    text = forms.CharField(
        label="Message",
        max_length=MAX_MESSAGE_LENGTH,
        widget=forms.Textarea(
            attrs={"rows": 3, "maxlength": MAX_MESSAGE_LENGTH, "autofocus": True}
        ),
    )
