"""Fines issued by the commune's police after a request (work stream 6)."""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engine import outbox
from engine.errors import InvalidFields
from observation.actions._common import audit as _audit
from observation.actions._common import check as _check
from observation.models import Fine, FineKind
from procedures.attributes import parse_number
from procedures.scope import is_administrator, requests_visible_to

MAX_FINE_EUR = Decimal("100000")


def may_record_fine(acting_user, request):
    """The commune's own staff (its police reports through them) or an administrator, on a request
    they can see."""
    if acting_user is None:
        return True
    if not acting_user.is_active:
        return False
    if is_administrator(acting_user):
        return True
    return (
        acting_user.organisation_id == request.commune_id
        and requests_visible_to(acting_user).filter(pk=request.pk).exists()
    )


def _parse_amount(amount):
    if amount in (None, ""):
        return None
    if isinstance(amount, Decimal):
        value = amount
    else:
        try:
            parse_number(amount)  # refuses "1,234.5", spaces, infinities
            value = Decimal(str(amount).strip().replace(",", "."))
        except (ValueError, InvalidOperation):
            raise InvalidFields(
                {"amount_eur": _("The amount must be a number of euros, e.g. 68 or 68,50.")}
            ) from None
    if value < 0 or value > MAX_FINE_EUR or value != value.quantize(Decimal("0.01")):
        raise InvalidFields(
            {"amount_eur": _("The amount must be between 0 and 100,000 euros, with at most two decimals.")}
        )
    return value


def fine_errors(request, *, issued_on, kind, amount_eur=None):
    """({field: message}, the amount as a Decimal or None): what ``do_record_fine`` would refuse."""
    errors = {}
    if kind not in FineKind.values:
        errors["kind"] = _("Unknown kind of fine.")
    if not isinstance(issued_on, datetime.date):
        errors["issued_on"] = _("The date the fine was issued is required.")
    elif issued_on > timezone.localdate():
        errors["issued_on"] = _("The date the fine was issued cannot be in the future.")
    elif issued_on < timezone.localdate(request.created_at):
        errors["issued_on"] = _("The fine cannot have been issued before the request was filed.")
    amount = None
    try:
        amount = _parse_amount(amount_eur)
    except InvalidFields as error:
        errors.update(error.errors)
    return errors, amount


def do_record_fine(request, *, issued_on, kind, amount_eur=None, acting_user):
    """Record that a fine was issued after ``request`` (no personal data of the offender)."""
    _check(may_record_fine(acting_user, request), _("You may not record a fine on this request."))
    errors, amount = fine_errors(request, issued_on=issued_on, kind=kind, amount_eur=amount_eur)
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        fine = Fine.objects.create(
            request=request, issued_on=issued_on, kind=kind, amount_eur=amount, recorded_by=acting_user
        )
        data = {"fine": fine.pk, "kind": kind, "issued_on": issued_on.isoformat()}
        data["amount_eur"] = None if amount is None else str(amount)
        _audit("fine_recorded", f"request:{request.reference}", acting_user, **data)
        outbox.emit("observation.fine_recorded", case_id=request.case_id, payload=data)
    return fine
