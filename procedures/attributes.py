"""Validation of per-category attribute values (definition rows in CategoryAttribute, values as JSON)."""

import math
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from procedures.models import AttributeType


def parse_number(text):
    """A decimal number typed by a person: a point or ONE comma before the decimals ("49.0085" or
    "49,0085"), nothing else. Raises ValueError for anything ambiguous ("1,234.5", "1 234", "1,2,3") or
    not finite, so that a value is never changed silently (a comma is never read as a thousands
    separator). Used by every number field: web forms, the API's coordinates and category attributes."""
    cleaned = str(text).strip()
    if cleaned.count(",") > 1 or ("," in cleaned and "." in cleaned):
        raise ValueError(cleaned)
    if any(char.isspace() or char == "_" for char in cleaned):
        raise ValueError(cleaned)
    value = float(cleaned.replace(",", "."))
    if not math.isfinite(value):
        raise ValueError(cleaned)
    return value


def number_error_message():
    """Lazy: a form field keeps it from import time and shows it in each request's language."""
    return gettext_lazy(
        "Expected a number, with a point or a comma before the decimals (e.g. 49.0085 or 49,0085)."
    )


def _is_empty(value):
    return value is None or value == "" or value == []


def clean_attribute_value(attribute, value):
    """Return the JSON value to store for ``attribute``, or raise ValidationError saying what is wrong."""
    kind = attribute.type
    if kind in (AttributeType.STRING, AttributeType.TEXT):
        if not isinstance(value, str):
            raise ValidationError(_("Expected a text."))
        value = value.strip()
        limit = attribute.max_length or (200 if kind == AttributeType.STRING else 5000)
        if len(value) > limit:
            raise ValidationError(_("At most %(limit)d characters.") % {"limit": limit})
        if kind == AttributeType.STRING and "\n" in value:
            raise ValidationError(_("A single line is expected."))
        return value
    if kind == AttributeType.NUMBER:
        if isinstance(value, bool):
            raise ValidationError(_("Expected a number."))
        if isinstance(value, str):
            try:
                value = parse_number(value)
            except ValueError:
                raise ValidationError(number_error_message()) from None
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise ValidationError(_("Expected a number."))
        if attribute.min_value is not None and value < attribute.min_value:
            raise ValidationError(_("Must be at least %(min)s.") % {"min": f"{attribute.min_value:g}"})
        if attribute.max_value is not None and value > attribute.max_value:
            raise ValidationError(_("Must be at most %(max)s.") % {"max": f"{attribute.max_value:g}"})
        return int(value) if float(value).is_integer() else float(value)
    if kind == AttributeType.DATETIME:
        parsed = value if isinstance(value, datetime) else None
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
        if parsed is None:
            raise ValidationError(_("Expected a date and time (ISO 8601, e.g. 2026-05-04T08:30:00+02:00)."))
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        return parsed.isoformat()
    if kind == AttributeType.SINGLE_CHOICE:
        if not isinstance(value, str) or value not in attribute.choices:
            raise ValidationError(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(attribute.choices)}
            )
        return value
    if kind == AttributeType.MULTIPLE_CHOICE:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
            raise ValidationError(_("Expected a list of choices."))
        unknown = [item for item in value if item not in attribute.choices]
        if unknown:
            raise ValidationError(
                _("Unknown choice(s) %(unknown)s; choose among: %(choices)s.")
                % {"unknown": ", ".join(unknown), "choices": ", ".join(attribute.choices)}
            )
        return [choice for choice in attribute.choices if choice in value]
    raise ValidationError(_("Unknown attribute type %(type)s.") % {"type": kind})


def validate_attributes(category, values, *, definitions=None):
    """Clean the attribute values of a request of ``category``.

    Returns the dict to store. Raises ValidationError with one message per faulty attribute, keyed
    ``attributes.<code>``; unknown attributes and missing required ones are errors too.
    """
    values = values or {}
    if not isinstance(values, dict):
        raise ValidationError({"attributes": _("Attributes must be an object of code: value.")})
    definitions = list(category.attributes.all()) if definitions is None else definitions
    by_code = {attribute.code: attribute for attribute in definitions}
    errors, cleaned = {}, {}
    for code in values:
        if code not in by_code:
            errors[f"attributes.{code}"] = _("Unknown attribute for the category %(category)s.") % {
                "category": category.code
            }
    for code, attribute in by_code.items():
        value = values.get(code)
        if _is_empty(value):
            if attribute.required:
                errors[f"attributes.{code}"] = _("This attribute is required.")
            continue
        try:
            cleaned[code] = clean_attribute_value(attribute, value)
        except ValidationError as exc:
            errors[f"attributes.{code}"] = " ".join(exc.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned
