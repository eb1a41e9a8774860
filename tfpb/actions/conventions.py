"""Conventions: a landlord's convention with the State, the commune(s) and the community."""

from django.db import transaction
from django.utils.translation import gettext as _

from directory.models import Layer, OrganisationKind
from engine.errors import InvalidFields
from tfpb.actions._common import _audit, _check, _str, parse_amount
from tfpb.models import (
    Convention,
)
from tfpb.scope import sees_everything


def may_create_convention(user):
    return user is None or (user.is_active and sees_everything(user))


def do_create_convention(
    *,
    landlord,
    reference,
    start_year,
    end_year,
    qpvs,
    communes,
    state,
    community,
    dwellings,
    expected_abatement,
    signed_on=None,
    acting_user,
):
    """A landlord's convention with the State, the commune(s) and the community."""
    _check(may_create_convention(acting_user), _("Only the community may record a TFPB convention."))
    errors = {}
    amount = parse_amount(expected_abatement, "expected_abatement_eur")
    qpvs, communes = list(qpvs), list(communes)
    if landlord.kind != OrganisationKind.LANDLORD:
        errors["landlord"] = _("The convention's landlord must be a social landlord.")
    if state.kind != OrganisationKind.STATE:
        errors["state"] = _("The State's signatory must be an organisation of the State's services.")
    if community.kind != OrganisationKind.CU:
        errors["community"] = _("The community's signatory must be the urban community.")
    if not qpvs or any(qpv.layer != Layer.QPV for qpv in qpvs):
        errors["qpvs"] = _("Name the convention's QPV (priority neighbourhoods).")
    if not communes or any(commune.kind != OrganisationKind.COMMUNE for commune in communes):
        errors["communes"] = _("Name the commune(s) signing the convention.")
    try:
        start_year, end_year = int(start_year), int(end_year)
    except (TypeError, ValueError):
        errors["start_year"] = _("Enter the first and last years of the convention.")
    else:
        if not 2000 <= start_year <= end_year <= 2100:
            errors["end_year"] = _("The last year must be the first year or after it.")
    try:
        dwellings = int(dwellings)
        if dwellings < 0:
            raise ValueError
    except (TypeError, ValueError):
        errors["dwellings"] = _("Enter the number of dwellings concerned (a whole number).")
    if Convention.objects.filter(reference=reference).exists():
        errors["reference"] = _("A convention already has this reference.")
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        convention = Convention.objects.create(
            landlord=landlord,
            reference=reference,
            start_year=start_year,
            end_year=end_year,
            state=state,
            community=community,
            dwellings=dwellings,
            expected_abatement_eur=amount,
            signed_on=signed_on,
        )
        convention.qpvs.set(qpvs)
        convention.communes.set(communes)
        _audit(
            "convention_created",
            f"convention:{reference}",
            acting_user,
            new={
                "landlord": landlord.pk,
                "expected_abatement_eur": _str(amount),
                "years": [start_year, end_year],
            },
        )
    return convention
