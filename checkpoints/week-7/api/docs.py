"""
/api/docs/: the API's reference as a page of the site. The operations are listed from the
OpenAPI schema on the server, so the page is readable at once, by anyone and any screen reader;
Swagger UI, to try the API in the browser, loads only when asked (it is a megabyte of script).
"""

from functools import cache

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView

METHODS = ("get", "post", "put", "patch", "delete")


@cache
def operations() -> list[dict]:
    """[{tag, operations: [{method, path, summary, id}]}] in the schema's order; the schema
    only changes with the code, so it is built once per process."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    groups: dict[str, list[dict]] = {}
    for path, item in schema["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            tag = (operation.get("tags") or ["api"])[0]
            groups.setdefault(tag, []).append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "id": operation.get("operationId", ""),
                }
            )
    return [{"tag": tag, "operations": found} for tag, found in groups.items()]


class DocsView(SpectacularSwaggerSplitView):
    template_name = "api/docs.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if request.GET.get("script") is None:
            response.data["groups"] = operations()
        return response
