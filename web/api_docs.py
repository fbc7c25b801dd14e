"""The API reference at /docs: the app's OpenAPI schema as a plain page of the app (its language set, its
contrast and headings checked with the other pages, readable with JavaScript off). The schema itself is
at /openapi.json, for tools that read OpenAPI.

Only what the schema says is shown: each route with its parameters, request body and responses, and each
data type with its fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from web.templating import TEMPLATES

REF_PREFIX = "#/components/schemas/"

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class TypeText:
    """A JSON-schema type for reading, as pieces of words and names of data types (linked on the page)."""

    pieces: tuple[tuple[str, bool], ...]  # (text, is a data type's name)

    @classmethod
    def words(cls, text: str) -> TypeText:
        return cls(((text, False),))

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.pieces)

    @property
    def html(self) -> Markup:
        return Markup("").join(Markup('<a href="#type-%s">%s</a>') % (text, text) if is_type else escape(text)
                               for text, is_type in self.pieces)

    def __add__(self, other: TypeText) -> TypeText:
        return TypeText(self.pieces + other.pieces)


@dataclass(frozen=True)
class FieldDoc:
    name: str
    type: TypeText
    required: bool
    description: str
    where: str = ""  # parameters: query or path


@dataclass
class RouteDoc:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    parameters: list[FieldDoc] = field(default_factory=list)
    body: TypeText | None = None
    responses: list[tuple[str, str, TypeText | None]] = field(default_factory=list)  # status, description, type


@dataclass
class SchemaDoc:
    name: str
    description: str
    fields: list[FieldDoc]


def type_text(schema: dict) -> TypeText:
    """'string', 'integer (1 to 50)', 'list of SearchResult', 'AnswerSentenceModel or null',
    'one of: answer, closest, not_covered'."""
    if "$ref" in schema:
        return TypeText(((schema["$ref"].removeprefix(REF_PREFIX), True),))
    if "anyOf" in schema:
        out = TypeText(())
        for k, option in enumerate(schema["anyOf"]):
            out = out + (TypeText.words(" or ") if k else TypeText(())) + type_text(option)
        return out
    if "enum" in schema:
        return TypeText.words("one of: " + ", ".join(str(v) for v in schema["enum"]))
    kind = schema.get("type", "any")
    if kind == "array":
        return TypeText.words("list of ") + type_text(schema.get("items", {}))
    limits = [f"{word} {schema[key]}" for key, word in (("minimum", "from"), ("maximum", "to"),
                                                         ("maxLength", "at most"))
              if key in schema]
    if "maxLength" in schema:
        limits[-1] += " characters"
    return TypeText.words(f"{kind} ({', '.join(limits)})" if limits else str(kind))


def _fields(schema: dict) -> list[FieldDoc]:
    required = set(schema.get("required", []))
    return [FieldDoc(name, type_text(prop), name in required, prop.get("description", ""))
            for name, prop in schema.get("properties", {}).items()]


def _anchor(method: str, path: str) -> str:
    return method + "-" + "".join(ch if ch.isalnum() else "-" for ch in path).strip("-")


def _routes(spec: dict) -> list[RouteDoc]:
    out = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            route = RouteDoc(method.upper(), path, _anchor(method, path), op.get("summary", ""),
                             op.get("description", ""))
            for p in op.get("parameters", []):
                schema = p.get("schema", {})
                route.parameters.append(FieldDoc(p["name"], type_text(schema), bool(p.get("required")),
                                                 p.get("description", schema.get("description", "")), p.get("in", "")))
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            route.body = type_text(body) if body else None
            for status, response in op.get("responses", {}).items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                route.responses.append((status, response.get("description", ""), type_text(schema) if schema else None))
            out.append(route)
    return out


def _schemas(spec: dict) -> list[SchemaDoc]:
    return [SchemaDoc(name, schema.get("description", ""), _fields(schema))
            for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items())]


@router.get("/docs", response_class=HTMLResponse, name="api_docs")
def api_docs(request: Request) -> HTMLResponse:
    spec = request.app.openapi()
    settings = request.app.state.settings
    return TEMPLATES.TemplateResponse(request, "api_docs.html", {
        "info": spec.get("info", {}), "routes": _routes(spec), "schemas": _schemas(spec),
        "token": settings.api_token is not None, "documents": []})
