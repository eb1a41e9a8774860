"""Reading the observation's filters from a query string (API and web share it).

Bad values are an ``InvalidFields`` (400) naming the parameter; a commune, unit or kind of handler
outside the user's observation scope is ``OutOfScope`` (404, as if it did not exist)."""

from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from directory.models import Organisation, OrganisationKind, Unit
from engine.errors import InvalidFields
from observation import conf
from observation.figures import DIMENSIONS, Filters
from observation.scope import observes_everything
from procedures.models import Category, CategoryGroup

HANDLER_KINDS = (OrganisationKind.CU, OrganisationKind.LANDLORD, OrganisationKind.CONTRACTOR)
YES = {"1", "true", "yes", "oui"}
NO = {"0", "false", "no", "non"}


class OutOfScope(Exception):
    """The filter names something the user may not observe (or that does not exist): 404."""


def default_period(today=None):
    today = today or timezone.localdate()
    return today.replace(month=1, day=1), today


def _date(data, name, errors):
    text = (data.get(name) or "").strip()
    if not text:
        return None
    try:
        value = parse_date(text)
    except ValueError:
        value = None
    if value is None:
        errors[name] = _("Expected a date as YYYY-MM-DD, e.g. 2026-01-31.")
    return value


def parse_filters(user, data):
    """``data``: a QueryDict or a dict of strings. Returns ``Filters``."""
    errors = {}
    default_since, default_until = default_period()
    since = _date(data, "since", errors) or default_since
    until = _date(data, "until", errors) or default_until
    if not errors:
        if since > until:
            errors["until"] = _("The end of the period must not be before its start.")
        elif (until - since).days + 1 > conf.get("GUP_OBSERVATION_MAX_PERIOD_DAYS"):
            errors["until"] = _("The period may cover at most %(days)d days.") % {
                "days": conf.get("GUP_OBSERVATION_MAX_PERIOD_DAYS")
            }
    values = {"since": since, "until": until}
    qpv = (data.get("qpv") or "").strip().lower()
    if qpv in YES or qpv in NO:
        values["in_qpv"] = qpv in YES
    elif qpv:
        errors["qpv"] = _("Expected yes or no.")
    kind = (data.get("handler_kind") or "").strip()
    if kind and kind not in HANDLER_KINDS:
        errors["handler_kind"] = _("Unknown kind of handler: choose cu, landlord or contractor.")
    if errors:
        raise InvalidFields(errors)
    everything = observes_everything(user)
    own = user.organisation if user.organisation_id else None
    insee = (data.get("commune") or "").strip()
    if insee:
        commune = Organisation.objects.filter(kind=OrganisationKind.COMMUNE, insee=insee).first()
        allowed = everything or (
            own is not None
            and (own.kind != OrganisationKind.COMMUNE or own.pk == getattr(commune, "pk", None))
        )
        if commune is None or not allowed:
            raise OutOfScope("commune")
        values["commune_id"] = commune.pk
    unit_code = (data.get("handler_unit") or "").strip()
    if unit_code:
        unit = Unit.objects.select_related("organisation").filter(code=unit_code).first()
        handler_side = own is not None and own.kind in (
            OrganisationKind.LANDLORD,
            OrganisationKind.CONTRACTOR,
        )
        if unit is None or (not everything and handler_side and unit.organisation_id != own.pk):
            raise OutOfScope("handler_unit")
        values["handler_unit_id"] = unit.pk
    if kind:
        if not everything and own is not None and own.kind in HANDLER_KINDS and own.kind != kind:
            raise OutOfScope("handler_kind")
        values["handler_kind"] = kind
    for name, model, field in [("category", Category, "category_id"), ("group", CategoryGroup, "group_id")]:
        code = (data.get(name) or "").strip()
        if code:
            row = model.objects.filter(code=code).first()
            if row is None:
                raise InvalidFields({name: _("Unknown code: %(code)s.") % {"code": code}})
            values[field] = row.pk
    return Filters(**values)


def parse_dimension(data, default="month"):
    by = (data.get("by") or default).strip()
    if by not in DIMENSIONS:
        raise InvalidFields(
            {"by": _("Unknown slice: choose one of %(names)s.") % {"names": ", ".join(DIMENSIONS)}}
        )
    return by
