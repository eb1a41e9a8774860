"""Number formats of the Observation page and the annual review (localised decimal separator)."""

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def percent(value):
    """0.8 -> "80 %"; None (a suppressed or empty cell) -> "–"."""
    if value is None:
        return "–"
    return f"{floatformat(value * 100, 0)} %"


@register.filter
def hours(value):
    """10.5 -> "10,5 h" in French; None -> "–"."""
    if value is None:
        return "–"
    return f"{floatformat(value, -1)} h"


@register.filter
def dash(value):
    return "–" if value is None else value
