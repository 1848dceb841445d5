"""
The list envelope of every list in the API: {"next": url|null, "previous": url|null,
"results": [...]}, with DRF's cursor pagination (stable while new rows arrive).

Lists ordered by id also take ?after=ID: the rows newer than ID, oldest first (the
QuerySet's `after()`, as /posts/since), a page at a time, `next` linking to the following
page. That is how a client catches up on what it missed while its websocket was down.
"""

from django.utils.encoding import force_str
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from posts.models import PAGE_LIMIT

DEFAULT_PAGE_SIZE = 50  # a page unless ?page_size= asks for another, up to PAGE_LIMIT


class PageQuery(serializers.Serializer):
    page_size = serializers.IntegerField(min_value=1, max_value=PAGE_LIMIT, required=False)


class CatchUpQuery(PageQuery):
    after = serializers.IntegerField(min_value=0, required=False)


class EnvelopeCursorPagination(CursorPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = PAGE_LIMIT
    # Cursors carry the last row's position; a hand-edited one must not reach the database.
    integer_position = True
    query_serializer = PageQuery

    def query(self, request) -> dict:
        # A plain dict, not the QueryDict: DRF reads "page_size=" in a form as "not given",
        # but in a query string an empty number is a mistake worth a 400.
        params = self.query_serializer(data=request.query_params.dict())
        params.is_valid(raise_exception=True)  # 400 {"page_size": [...]}
        return {"page_size": DEFAULT_PAGE_SIZE, **params.validated_data}

    def paginate_queryset(self, queryset, request, view=None):
        self.page_size = self.query(request)["page_size"]
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        return self.page_size

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            position = cursor.position
            # isdigit() alone lets "²" through, which int() cannot read: ASCII digits only.
            digits = position.isascii() and position.isdigit()
            if "\x00" in position or (self.integer_position and not digits):
                raise NotFound(self.invalid_cursor_message)
        return cursor

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque cursor: follow the `next` and `previous` links.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": force_str(self.page_size_query_description),
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": PAGE_LIMIT,
                    "default": DEFAULT_PAGE_SIZE,
                },
            },
        ]


class NewestFirstPagination(EnvelopeCursorPagination):
    """Newest first by cursor; or, with ?after=ID, the rows after ID oldest first."""

    ordering = "-id"
    query_serializer = CatchUpQuery

    def paginate_queryset(self, queryset, request, view=None):
        query = self.query(request)
        self.after = query.get("after")
        if self.after is None:
            return super().paginate_queryset(queryset, request, view)
        self.page_size = query["page_size"]
        self.base_url = request.build_absolute_uri()
        rows = list(queryset.after(self.after)[: self.page_size + 1])
        self.has_more = len(rows) > self.page_size
        self.page = rows[: self.page_size]
        return self.page

    def get_paginated_response(self, data):
        if self.after is None:
            return super().get_paginated_response(data)
        next_url = None
        if self.has_more:
            url = remove_query_param(self.base_url, self.cursor_query_param)
            next_url = replace_query_param(url, "after", self.page[-1].id)
        return Response({"next": next_url, "previous": None, "results": data})

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": "after",
                "required": False,
                "in": "query",
                "description": "Only rows with an id greater than this, OLDEST first, at most "
                "page_size of them; `next` links to the following batch, null when there is "
                "none. For catching up after a websocket reconnect.",
                "schema": {"type": "integer", "minimum": 0},
            },
        ]


class UsernamePagination(EnvelopeCursorPagination):
    ordering = "username"
    integer_position = False


class ConversationPagination(EnvelopeCursorPagination):
    """Over Message.objects.conversations(user): rows ordered by their latest message."""

    ordering = "-last_id"
