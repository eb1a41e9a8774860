"""Filter types shared by the API's lists: values the database can always take."""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField

MAX_ID = 2**63 - 1


class AwareDateTimeField(IsoDateTimeField):
    """An ISO 8601 datetime whose UTC offset is a real one (at most 14 hours)."""

    def clean(self, value):
        value = super().clean(value)
        offset = value.utcoffset() if value is not None else None
        if offset is not None and abs(offset) > timedelta(hours=14):
            raise DjangoValidationError(_("The UTC offset must be at most 14 hours."), code="invalid")
        return value


class AwareDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = AwareDateTimeField


class IdFilter(filters.NumberFilter):
    """A row id: a whole number from 1 to 2⁶³−1 (a foreign-key lookup has no range check of its own)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
