import pytest

from posts.forms import PostForm


class TestPostForm:
    @pytest.mark.parametrize("text", ["", "   ", "\n\t "])
    def test_empty_or_whitespace_text_is_refused(self, text):
        form = PostForm(data={"text": text})
        assert not form.is_valid()
        assert form.errors["text"] == ["This field is required."]

    def test_text_over_500_characters_is_refused(self):
        form = PostForm(data={"text": "x" * 501})
        assert not form.is_valid()
        assert "at most 500 characters" in form.errors["text"][0]

    def test_500_characters_are_accepted(self):
        assert PostForm(data={"text": "x" * 500}).is_valid()

    def test_surrounding_whitespace_is_trimmed(self):
        form = PostForm(data={"text": "  hi  "})
        assert form.is_valid()
        assert form.cleaned_data["text"] == "hi"

    def test_textarea_is_focused_and_limited_in_the_browser(self):
        html = str(PostForm()["text"])
        assert 'maxlength="500"' in html
        assert "autofocus" in html
