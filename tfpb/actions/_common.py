"""What every TFPB action shares: amounts typed by people, the permission refusal, the audit entry and
the outbox event."""

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from engine import outbox
from engine.errors import InvalidFields, RoleNotAllowed
from tfpb.models import (
    TfpbAuditEntry,
)

MAX_AMOUNT = Decimal("9999999999.99")
_SPACES = re.compile(r"[\s\u00a0\u202f]")
_NUMBER = re.compile(r"^\d+([.,]\d{1,2})?$")


def parse_amount(value, field, *, required=True):
    """An amount in euros typed by a person: digits, spaces as thousands separators, a comma or a point
    before at most two decimals ("12 500,50"). Never a float: a Decimal, or InvalidFields naming ``field``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidFields({field: _("Enter an amount in euros.")})
        return None
    if isinstance(value, float):
        raise InvalidFields({field: _('Send the amount as text (e.g. "12500,50"), not as a binary number.')})
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, str):
        text = _SPACES.sub("", value.strip())
    else:
        raise InvalidFields({field: _("Enter an amount in euros.")})
    if text.startswith("-"):
        raise InvalidFields({field: _("An amount cannot be negative.")})
    if not _NUMBER.match(text):
        raise InvalidFields(
            {field: _("Enter an amount in euros, with a comma before at most two decimals (e.g. 12 500,50).")}
        )
    try:
        amount = Decimal(text.replace(",", ".")).quantize(Decimal("0.01"))
    except InvalidOperation:  # pragma: no cover - the pattern above only lets numbers through
        raise InvalidFields({field: _("Enter an amount in euros.")}) from None
    if amount > MAX_AMOUNT:
        raise InvalidFields({field: _("This amount is too large.")})
    return amount


def _check(allowed, message):
    if not allowed:
        raise RoleNotAllowed([], message)


def _audit(event, target, acting_user, **data):
    TfpbAuditEntry.objects.create(actor=acting_user, event=event, target=target[:200], data=data)


def _str(amount):
    return None if amount is None else str(amount)


def _emit(kind, programme, **payload):
    outbox.emit(
        kind,
        case_id=None,
        payload={
            "programme": programme.pk,
            "convention": programme.convention_id,
            "landlord": programme.convention.landlord_id,
            "year": programme.year,
            **payload,
        },
    )
