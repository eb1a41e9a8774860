"""The API's request parsers: JSON with a nesting limit, and no NUL or unencodable text in any input.

PostgreSQL refuses NUL characters (and text that is not valid Unicode) in text and JSON columns, and
Python's JSON decoder overflows its stack on input nested about a thousand levels deep: both answered 500.
These parsers refuse them first with 400, naming the field (``attributes.colour``, ``items.2``).
"""

import codecs
import json
import re

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

# Strings (with their escapes) are skipped when counting brackets.
_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET_RE = re.compile(r"[\[\]{}]")


def _refuse_constant(name):
    raise ValueError(_("%(name)s is not a number JSON allows") % {"name": name})


def max_depth():
    return getattr(settings, "API_JSON_MAX_DEPTH", 32)


def nesting_depth(text):
    """The deepest nesting of arrays and objects in JSON text, counted without recursion."""
    depth = deepest = 0
    for bracket in _BRACKET_RE.findall(_STRING_RE.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def text_problem(value):
    """Why a string cannot be stored (a NUL, or a lone surrogate), or None."""
    if "\x00" in value:
        return _("NUL characters are not allowed.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("This text is not valid Unicode.")
    return None


def find_bad_text(data, path=""):
    """(field path, reason) of the first string (key or value) that cannot be stored, or None."""
    stack = [(path, data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                return where or "non_field_errors", problem
        elif isinstance(value, dict):
            for key, item in value.items():
                key = str(key)
                child = f"{where}.{key}" if where else key
                problem = text_problem(key)
                if problem:
                    return where or "non_field_errors", problem
                stack.append((child, item))
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                stack.append((f"{where}.{index}" if where else str(index), item))
    return None


def check_text(data):
    """Raise a 400 naming the field if any string in `data` cannot be stored."""
    found = find_bad_text(data)
    if found:
        field, reason = found
        raise exceptions.ValidationError({field: [reason]}, code="invalid_text")


def check_form(querydict):
    for name, values in querydict.lists():
        problem = text_problem(name)
        if problem:
            raise exceptions.ValidationError({"non_field_errors": [problem]}, code="invalid_text")
        for value in values:
            if isinstance(value, str):
                problem = text_problem(value)
                if problem:
                    raise exceptions.ValidationError({name: [problem]}, code="invalid_text")


class JSONParser(parsers.JSONParser):
    """JSON, refused (400) nested deeper than API_JSON_MAX_DEPTH or holding text that cannot be stored."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
        except (UnicodeDecodeError, LookupError) as exc:
            raise exceptions.ParseError(
                _("JSON parse error: the body is not valid %(encoding)s (%(error)s).")
                % {"encoding": encoding, "error": exc}
            ) from None
        limit = max_depth()
        if nesting_depth(text) > limit:
            raise exceptions.ParseError(
                _("JSON parse error: nested deeper than %(limit)d levels.") % {"limit": limit}
            )
        try:
            data = json.loads(text, parse_constant=_refuse_constant if self.strict else None)
        except (ValueError, RecursionError) as exc:
            raise exceptions.ParseError(_("JSON parse error: %(error)s") % {"error": exc}) from None
        check_text(data)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        check_form(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        check_form(result.data)
        for name, files in result.files.lists():
            for upload in files:
                problem = text_problem(upload.name or "")
                if problem:
                    raise exceptions.ValidationError({name: [problem]}, code="invalid_text")
        return result
