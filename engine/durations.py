"""Durations and escalation offsets written in procedure definitions.

Pure Python: parsing needs neither the database nor Django settings (messages are translated when
Django is set up, and left in English otherwise).

Durations
    ``"<amount> <unit>"`` where amount is a positive number (``2``, ``1.5``) and unit one of
    ``business_days``, ``business_hours``, ``business_minutes`` (time on a business calendar) or
    ``weeks``, ``days``, ``hours``, ``minutes`` (absolute elapsed time); singular forms are accepted
    (``1 business_day``, ``1 week``). Units are case-insensitive and normalised to the plural.

    A business day is the calendar's working time of one day, so its length in seconds depends on
    the calendar (7 h for the default one, 8 h for an 8:00-12:00 + 13:00-17:00 calendar).
    ``Duration`` therefore keeps ``amount`` and ``unit`` and the calendar converts them with its own
    day length (``engine.calendar.duration_seconds`` / ``add_duration``). ``Duration.seconds`` is:

    - plain units: the exact elapsed seconds;
    - ``business_hours`` / ``business_minutes``: the exact business seconds (calendar-independent);
    - ``business_days``: a NOMINAL value based on the default calendar's 7-hour day
      (``NOMINAL_BUSINESS_DAY_SECONDS``), only meant for display and for ordering durations; the
      calendar arithmetic never uses it.

Escalation offsets
    ``parse_offset`` reads the ``at`` of an escalation point, relative to the deadline's duration:
    ``"-25%"`` (a quarter of the duration before the due time) -> ``-0.25``, ``"0"`` (at the due
    time) -> ``0.0``, ``"+100%"`` (one more full duration after) -> ``1.0``, ``"50%"`` -> ``0.5``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = [
    "BUSINESS_UNITS",
    "MAX_DURATION_SECONDS",
    "NOMINAL_BUSINESS_DAY_SECONDS",
    "PLAIN_UNITS",
    "Duration",
    "DurationError",
    "parse_duration",
    "parse_offset",
]

#: Day length of the default calendar (8:30-12:00 + 13:30-17:00), used only for the nominal
#: ``Duration.seconds`` of ``business_days``.
NOMINAL_BUSINESS_DAY_SECONDS = 7 * 3600

#: Seconds per unit. For ``business_days`` the value is nominal (see the module docstring).
BUSINESS_UNITS = {
    "business_days": NOMINAL_BUSINESS_DAY_SECONDS,
    "business_hours": 3600,
    "business_minutes": 60,
}
PLAIN_UNITS = {
    "weeks": 7 * 86400,
    "days": 86400,
    "hours": 3600,
    "minutes": 60,
}
_UNITS = {**BUSINESS_UNITS, **PLAIN_UNITS}
_SINGULAR = {unit[:-1]: unit for unit in _UNITS}

#: Longest accepted duration: ten years (nominal seconds), a guard against typos.
MAX_DURATION_SECONDS = 3650 * 86400

_DURATION_RE = re.compile(r"^\s*(?P<amount>\d+(?:\.\d+)?)\s+(?P<unit>[A-Za-z_]+)\s*$")
_OFFSET_RE = re.compile(r"^\s*(?P<sign>[+-]?)(?P<number>\d+(?:\.\d+)?)\s*(?P<percent>%?)\s*$")


def _(message: str) -> str:
    """Translate with Django when it is set up; return the English message otherwise."""
    try:
        from django.apps import apps
        from django.conf import settings

        if settings.configured and apps.ready:
            from django.utils.translation import gettext

            return gettext(message)
    except ImportError:  # pragma: no cover - Django is a dependency of the project
        pass
    return message


class DurationError(ValueError):
    """A duration or an escalation offset that cannot be read; the message names the bad text."""


@dataclass(frozen=True)
class Duration:
    amount: int | float
    unit: str
    business: bool
    seconds: int

    @property
    def text(self) -> str:
        """The canonical text, e.g. ``"2 business_days"``."""
        return f"{self.amount} {self.unit}"

    def __str__(self) -> str:
        return self.text


_UNIT_LIST = ", ".join(_UNITS)


def parse_duration(text) -> Duration:
    """Read ``"<amount> <unit>"`` (see the module docstring); raise ``DurationError`` otherwise."""
    if not isinstance(text, str):
        raise DurationError(
            _("Invalid duration %(text)r: expected text such as '2 business_days'.") % {"text": text}
        )
    match = _DURATION_RE.match(text)
    if not match:
        raise DurationError(
            _("Invalid duration %(text)r: expected '<number> <unit>' with a unit among %(units)s.")
            % {"text": text, "units": _UNIT_LIST}
        )
    raw_unit = match["unit"].lower()
    unit = raw_unit if raw_unit in _UNITS else _SINGULAR.get(raw_unit)
    if unit is None:
        raise DurationError(
            _("Invalid duration %(text)r: unknown unit %(unit)r (expected one of %(units)s).")
            % {"text": text, "unit": match["unit"], "units": _UNIT_LIST}
        )
    amount_text = match["amount"]
    amount: int | float = float(amount_text) if "." in amount_text else int(amount_text)
    if isinstance(amount, float) and amount.is_integer():
        amount = int(amount)
    seconds = round(amount * _UNITS[unit])
    if amount <= 0 or seconds < 1:
        raise DurationError(_("Invalid duration %(text)r: it must be longer than zero.") % {"text": text})
    if seconds > MAX_DURATION_SECONDS:
        raise DurationError(
            _("Invalid duration %(text)r: it is too long (at most 10 years).") % {"text": text}
        )
    return Duration(amount=amount, unit=unit, business=unit in BUSINESS_UNITS, seconds=seconds)


def parse_offset(text) -> float:
    """Read an escalation point: ``"-25%"`` -> -0.25, ``"0"`` -> 0.0, ``"+100%"`` -> 1.0.

    Accepted: a signed or unsigned percentage, or zero written ``"0"`` (or ``0`` as a YAML number).
    A point earlier than the start of the deadline (below -100%) is refused.
    """
    if isinstance(text, int | float) and not isinstance(text, bool):
        if text == 0:
            return 0.0
        raise DurationError(
            _("Invalid escalation point %(text)r: write a percentage such as '-25%%' or '+100%%', or 0.")
            % {"text": text}
        )
    if not isinstance(text, str):
        raise DurationError(
            _("Invalid escalation point %(text)r: write a percentage such as '-25%%' or '+100%%', or 0.")
            % {"text": text}
        )
    match = _OFFSET_RE.match(text)
    if not match:
        raise DurationError(
            _("Invalid escalation point %(text)r: write a percentage such as '-25%%' or '+100%%', or 0.")
            % {"text": text}
        )
    number = float(match["number"])
    if not match["percent"]:
        if number == 0:
            return 0.0
        raise DurationError(
            _("Invalid escalation point %(text)r: a non-zero point needs a '%%' sign, e.g. '+50%%'.")
            % {"text": text}
        )
    value = number / 100
    if match["sign"] == "-":
        value = -value
    if value < -1 or not math.isfinite(value):
        raise DurationError(
            _("Invalid escalation point %(text)r: it cannot be earlier than the start (-100%%).")
            % {"text": text}
        )
    return value + 0.0  # turns -0.0 into 0.0
