"""Reading the HTML a project serves, the way a reviewer looks at a page: forms, links, scripts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Field:
    tag: str  # input, textarea, select, button
    name: str
    type: str
    value: str


@dataclass
class Form:
    action: str
    method: str
    fields: list[Field] = field(default_factory=list)
    text: str = ""  # the visible text inside the form (labels, buttons)

    def named(self, kind: str) -> list[Field]:
        return [f for f in self.fields if f.tag != "button" and f.type == kind]

    @property
    def passwords(self) -> list[Field]:
        return self.named("password")

    @property
    def hidden(self) -> dict[str, str]:
        return {f.name: f.value for f in self.fields if f.type == "hidden" and f.name}

    @property
    def text_fields(self) -> list[Field]:
        """Fields a person types into: textareas and text-like inputs."""
        return [
            f
            for f in self.fields
            if f.name and (f.tag == "textarea" or (f.tag == "input" and f.type in TEXT_INPUTS))
        ]


TEXT_INPUTS = {"text", "email", "search", ""}


@dataclass
class Link:
    href: str
    text: str


class Page(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.html = html
        self.forms: list[Form] = []
        self.links: list[Link] = []
        self.scripts: list[str] = []  # src of external scripts
        self.inline_scripts: list[str] = []
        self.stylesheets: list[str] = []
        self.title = ""
        self._text: list[str] = []
        self._form: Form | None = None
        self._link: Link | None = None
        self._textarea: Field | None = None
        self._in: str | None = None  # script, style or title
        self.feed(html)
        self.close()

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self._text)).strip()

    def handle_starttag(self, tag, attrs):
        attr = {key: (value or "") for key, value in attrs}
        if tag == "form":
            self._form = Form(
                action=attr.get("action", ""), method=attr.get("method", "get").lower()
            )
            self.forms.append(self._form)
        elif tag in {"input", "button", "select"} and self._form is not None:
            kind = attr.get("type", "submit" if tag == "button" else "").lower()
            self._form.fields.append(Field(tag, attr.get("name", ""), kind, attr.get("value", "")))
        elif tag == "textarea" and self._form is not None:
            self._textarea = Field("textarea", attr.get("name", ""), "textarea", "")
            self._form.fields.append(self._textarea)
        elif tag == "a":
            self._link = Link(href=attr.get("href", ""), text="")
            self.links.append(self._link)
        elif tag == "script":
            if attr.get("src"):
                self.scripts.append(attr["src"])
            self._in = "script"
        elif tag == "link" and "stylesheet" in attr.get("rel", "").lower().split():
            self.stylesheets.append(attr.get("href", ""))
        elif tag in {"style", "title"}:
            self._in = tag

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "a":
            self._link = None
        elif tag == "textarea":
            self._textarea = None
        elif tag in {"script", "style", "title"}:
            self._in = None

    def handle_data(self, data):
        if self._in == "script":
            if data.strip():
                self.inline_scripts.append(data)
            return
        if self._in == "style":
            return
        if self._in == "title":
            self.title += data
            return
        if self._textarea is not None:
            self._textarea.value += data
            return
        self._text.append(data)
        if self._link is not None:
            self._link.text += data
        if self._form is not None:
            self._form.text += data

    # -- what a reviewer looks for ----------------------------------------------------------

    def links_like(self, pattern: str) -> list[Link]:
        wanted = re.compile(pattern, re.IGNORECASE)
        return [
            link
            for link in self.links
            if wanted.search(re.sub(r"\s+", " ", link.text)) or wanted.search(link.href)
        ]

    def logout_form(self) -> Form | None:
        for form in self.forms:
            words = (
                re.sub(r"\s+", " ", form.text).lower()
                + " "
                + " ".join(f.value.lower() for f in form.fields if f.tag in {"button", "input"})
            )
            if "logout" in form.action.lower() or re.search(r"log ?out|sign ?out", words):
                return form
        return None

    def logout_link(self) -> Link | None:
        found = self.links_like(r"log ?out|sign ?out")
        return found[0] if found else None

    def post_form(self) -> Form | None:
        """A form that sends text: not the log-out form, not a log-in or search form."""
        logout = self.logout_form()
        for form in self.forms:
            if form is logout or form.method != "post" or form.passwords:
                continue
            if form.text_fields:
                return form
        return None
