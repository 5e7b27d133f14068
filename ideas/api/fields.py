"""What the API accepts: each field checks a value and describes itself in the OpenAPI document,
so the checks and the document cannot drift apart.

Everything is checked before it reaches the database: NUL bytes and text that cannot be
encoded, lengths beyond the columns, numbers beyond PostgreSQL's 32-bit integers, wrong types.
"""
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any

from flask import abort, request

from ..errors import InvalidInput
from ..models.types import INTEGER_MAX

MAX_INT = INTEGER_MAX  # the largest id or number a column holds
BODY_MAX = 256 * 1024  # bytes; the longest text field, escaped, fits many times over
NO_NUL = "^[^\\u0000]*$"
WHOLE_NUMBER = re.compile(r"[+-]?\d{1,12}")


class Invalid(Exception):
    """One value is wrong; the message says how, for the `fields` of the error."""


class Field(ABC):
    """A value in a query string or a JSON body."""

    def __init__(self, description: str = "", *, required: bool = False, example: Any = None) -> None:
        self.description = description
        self.required = required
        self.example = example

    def check(self, value: Any) -> Any:
        """The value, tidied, or Invalid."""
        return value

    def from_text(self, text: str) -> Any:
        """The value from a query string, where everything arrives as text."""
        return self.check(text)

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of accepted values."""
        schema = self._schema()
        if self.description:
            schema["description"] = self.description
        if self.example is not None:
            schema["examples"] = [self.example]
        return schema

    @abstractmethod
    def _schema(self) -> dict[str, Any]:
        """This kind of field's own JSON Schema, before the description and example."""


class Text(Field):
    """A string of at most `max_length` characters, without NUL."""

    def __init__(self, max_length: int, description: str = "", *, min_length: int = 0,
                 **options: Any) -> None:
        super().__init__(description, **options)
        self.max_length = max_length
        self.min_length = min_length

    def check(self, value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid("Give text.")
        if "\x00" in value:
            raise Invalid("The text holds characters that cannot be stored.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Invalid("The text holds characters that cannot be stored.") from None
        if len(value) > self.max_length:
            raise Invalid(f"Use at most {self.max_length:,} characters.")
        if len(value) < self.min_length:
            raise Invalid("This cannot be empty.")
        return value

    def _schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "maxLength": self.max_length, "pattern": NO_NUL}
        if self.min_length:
            schema["minLength"] = self.min_length
        return schema


class Email(Text):
    """An email address."""

    def _schema(self) -> dict[str, Any]:
        return {**super()._schema(), "format": "email"}


class Integer(Field):
    """A whole number from `minimum` to `maximum`."""

    def __init__(self, minimum: int, maximum: int, description: str = "", **options: Any) -> None:
        super().__init__(description, **options)
        self.minimum = minimum
        self.maximum = maximum

    def check(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid("Give a whole number.")
        if not self.minimum <= value <= self.maximum:
            raise Invalid(f"Give a number from {self.minimum} to {self.maximum}.")
        return value

    def from_text(self, text: str) -> int:
        if not WHOLE_NUMBER.fullmatch(text):
            raise Invalid("Give a whole number.")
        return self.check(int(text))

    def _schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


class Choice(Field):
    """One of a few words."""

    def __init__(self, values: Iterable[str], description: str = "", **options: Any) -> None:
        super().__init__(description, **options)
        # A sequence that reads itself afresh (the admins' statuses) is kept as it is.
        self.values = values if isinstance(values, Sequence) else tuple(values)

    def check(self, value: Any) -> str:
        if value not in self.values:
            raise Invalid(f"Choose one of: {', '.join(self.values)}.")
        return value

    def _schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.values)}


class TextList(Field):
    """A list of distinct short texts."""

    def __init__(self, item: Field, max_items: int, description: str = "", **options: Any) -> None:
        super().__init__(description, **options)
        self.item = item
        self.max_items = max_items

    def check(self, value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise Invalid("Give a list.")
        if len(value) > self.max_items:
            raise Invalid(f"Give at most {self.max_items} items.")
        items = [self.item.check(item) for item in value]
        if len(set(items)) != len(items):
            raise Invalid("Give each item once.")
        return items

    def _schema(self) -> dict[str, Any]:
        return {"type": "array", "items": self.item.schema(), "maxItems": self.max_items,
                "uniqueItems": True}


def _problems_message(problems: dict[str, str]) -> str:
    return "Please correct: " + ", ".join(sorted(problems)) + "."


class Body:
    """A JSON object with the given fields; unknown fields are refused (they are usually typos)."""

    def __init__(self, fields: dict[str, Field], min_properties: int = 0) -> None:
        self.fields = fields
        self.min_properties = min_properties

    def parse(self) -> dict[str, Any]:
        """The request's JSON body, checked: {name: value} for the fields sent."""
        raw = request.get_data(cache=True)
        if len(raw) > BODY_MAX:
            abort(400, f"The body is larger than {BODY_MAX // 1024} KiB.")
        if not raw.strip():
            data = {}
        else:
            try:
                data = json.loads(raw)
            except (ValueError, RecursionError):  # RecursionError: nested thousands of levels deep
                abort(400, "The body is not valid JSON.")
        if not isinstance(data, dict):
            raise InvalidInput("Send a JSON object.", {"body": "Send a JSON object."})
        problems = {name: "This field is unknown." for name in data if name not in self.fields}
        values = {}
        for name, field in self.fields.items():
            if name not in data:
                if field.required:
                    problems[name] = "This field is required."
                continue
            try:
                values[name] = field.check(data[name])
            except Invalid as error:
                problems[name] = str(error)
        if not problems and len(values) < self.min_properties:
            problems["body"] = f"Send at least {self.min_properties} of: {', '.join(self.fields)}."
        if problems:
            raise InvalidInput(_problems_message(problems), problems)
        return values

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of the body."""
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {name: field.schema() for name, field in self.fields.items()},
            "additionalProperties": False,
        }
        required = [name for name, field in self.fields.items() if field.required]
        if required:
            schema["required"] = required
        if self.min_properties:
            schema["minProperties"] = self.min_properties
        return schema


class Query:
    """Query-string parameters; unknown parameters are ignored, as on the pages."""

    def __init__(self, **fields: Field) -> None:
        self.fields = fields

    def parse(self) -> dict[str, Any]:
        """{name: value} for the parameters given, checked."""
        problems: dict[str, str] = {}
        values: dict[str, Any] = {}
        for name, field in self.fields.items():
            text = request.args.get(name)
            if text is None:
                continue
            try:
                values[name] = field.from_text(text)
            except Invalid as error:
                problems[name] = str(error)
        if problems:
            raise InvalidInput(_problems_message(problems), problems)
        return values

    def parameters(self) -> list[dict[str, Any]]:
        """The OpenAPI parameter objects."""
        return [{"name": name, "in": "query", "required": field.required, "schema": field.schema(),
                 **({"description": field.description} if field.description else {})}
                for name, field in self.fields.items()]
