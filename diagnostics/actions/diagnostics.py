"""Diagnostics: prepare one (commune, QPV, date, route, participants, grid version), change it while it
is prepared or in the field, and move it through its fixed lifecycle."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from diagnostics.models import Diagnostic, DiagnosticStatus, GridStatus, GridVersion
from directory import geo
from directory.models import Layer, Organisation, OrganisationKind, Perimeter
from engine.errors import InvalidFields

from ._common import audit, check, event, may_organise

MAX_ROUTE_POINTS = 5000


def _target(diagnostic):
    return f"diagnostic:{diagnostic.pk}"


def may_create_diagnostic(acting_user, commune):
    return may_organise(acting_user, commune.pk if commune else None)


def may_change_diagnostic(acting_user, diagnostic):
    return may_organise(acting_user, diagnostic.commune_id)


def _route(route, errors):
    if route in (None, "", {}):
        return None, None
    try:
        line = geo.shape_from_geojson(route, kinds=("LineString",))
    except geo.GeometryError as exc:
        errors["route"] = _("The route must be a GeoJSON line in WGS84 (%(problem)s).") % {"problem": exc}
        return None, None
    if len(line.coords) > MAX_ROUTE_POINTS:
        errors["route"] = _("The route has more than %(n)d points.") % {"n": MAX_ROUTE_POINTS}
        return None, None
    return geo.geojson_from_shape(line), round(geo.to_lambert93(line).length, 1)


def _clean(values, errors, commune):
    cleaned = {}
    if "title" in values:
        title = (values["title"] or "").strip() if isinstance(values["title"], str) else ""
        if not title:
            errors["title"] = _("Give the diagnostic a title.")
        elif len(title) > 200:
            errors["title"] = _("At most %(n)d characters.") % {"n": 200}
        cleaned["title"] = title
    if "date" in values:
        date = values["date"]
        if isinstance(date, str):
            try:
                date = datetime.date.fromisoformat(date)
            except ValueError:
                date = None
        if not isinstance(date, datetime.date):
            errors["date"] = _("Give the date of the walk (YYYY-MM-DD).")
        cleaned["date"] = date
    if "qpv" in values:
        qpv = values["qpv"]
        if qpv is not None and not isinstance(qpv, Perimeter):
            qpv = Perimeter.objects.filter(layer=Layer.QPV, code=str(qpv)).first()
            if qpv is None:
                errors["qpv"] = _("Unknown QPV.")
        if (
            qpv is not None
            and commune is not None
            and (qpv.layer != Layer.QPV or qpv.commune_id != commune.pk)
        ):
            errors["qpv"] = _("This QPV is not in %(commune)s.") % {"commune": commune.name}
        cleaned["qpv"] = qpv
    if "route" in values:
        cleaned["route"], cleaned["route_length_m"] = _route(values["route"], errors)
    if "residents_count" in values:
        count = values["residents_count"]
        try:
            count = int(count or 0)
        except (TypeError, ValueError):
            count = -1
        if not 0 <= count <= 999:
            errors["residents_count"] = _("A number of people between 0 and 999.")
        cleaned["residents_count"] = count
    if "participants" in values:
        participants = list(values["participants"] or ())
        found = [p for p in participants if isinstance(p, Organisation)]
        codes = [str(p) for p in participants if not isinstance(p, Organisation)]
        by_code = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
        unknown = [code for code in codes if code not in by_code]
        if unknown:
            errors["participants"] = _("Unknown organisations: %(codes)s.") % {"codes": ", ".join(unknown)}
        cleaned["participants"] = found + list(by_code.values())
    return cleaned


def do_create_diagnostic(
    *,
    acting_user,
    commune,
    title,
    date,
    grid_version,
    qpv=None,
    route=None,
    residents_count=0,
    participants=(),
):
    errors = {}
    if not isinstance(commune, Organisation):
        commune = Organisation.objects.filter(code=str(commune or ""), kind=OrganisationKind.COMMUNE).first()
    if commune is None or commune.kind != OrganisationKind.COMMUNE:
        raise InvalidFields({"commune": _("Unknown commune.")})
    check(may_create_diagnostic(acting_user, commune), _("You may not prepare a diagnostic in this commune."))
    if not isinstance(grid_version, GridVersion):
        grid_version = GridVersion.objects.filter(
            pk=grid_version if str(grid_version).isdigit() else None
        ).first()
    if grid_version is None or grid_version.status != GridStatus.PUBLISHED:
        errors["grid_version"] = _("Choose a published version of an observation grid.")
    cleaned = _clean(
        {
            "title": title,
            "date": date,
            "qpv": qpv,
            "route": route,
            "residents_count": residents_count,
            "participants": participants,
        },
        errors,
        commune,
    )
    if errors:
        raise InvalidFields(errors)
    participants = cleaned.pop("participants")
    with transaction.atomic():
        diagnostic = Diagnostic.objects.create(
            commune=commune, grid_version=grid_version, created_by=acting_user, **cleaned
        )
        diagnostic.participants.set(participants)
        audit(
            "diagnostic_created",
            _target(diagnostic),
            acting_user,
            commune=commune.code,
            grid_version=grid_version.pk,
            participants=sorted(p.code for p in participants),
        )
        event("diagnostic_created", diagnostic=diagnostic.pk, commune=commune.code)
    return diagnostic


EDITABLE = ("title", "date", "qpv", "route", "residents_count", "participants")


def _plain(name, value):
    if name == "qpv":
        return value.code if value else None
    if name == "participants":
        return sorted(p.code for p in value)
    if name == "date":
        return value.isoformat() if value else None
    return value


def do_change_diagnostic(diagnostic, *, acting_user, **values):
    """Change what was planned (title, date, QPV, route, residents' count, participants) before the
    analysis; returns the diagnostic (no audit entry when nothing changes)."""
    check(may_change_diagnostic(acting_user, diagnostic), _("You may not change this diagnostic."))
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise InvalidFields({name: _("This field cannot be changed.") for name in unknown})
    with transaction.atomic():
        diagnostic = (
            Diagnostic.objects.select_for_update(of=("self",)).select_related("commune").get(pk=diagnostic.pk)
        )
        if diagnostic.status not in (DiagnosticStatus.PREPARED, DiagnosticStatus.IN_FIELD):
            raise InvalidFields(
                {"status": _("A diagnostic under analysis or closed can no longer be changed.")}
            )
        errors = {}
        cleaned = _clean(values, errors, diagnostic.commune)
        if errors:
            raise InvalidFields(errors)
        changes = {}
        participants = cleaned.pop("participants", None)
        if participants is not None:
            old = sorted(diagnostic.participants.values_list("code", flat=True))
            new = sorted(p.code for p in participants)
            if old != new:
                diagnostic.participants.set(participants)
                changes["participants"] = {"old": old, "new": new}
        for name, value in cleaned.items():
            old = getattr(diagnostic, name)
            if old != value:
                if name != "route_length_m":
                    changes[name] = {"old": _plain(name, old), "new": _plain(name, value)}
                setattr(diagnostic, name, value)
        if not changes:
            return diagnostic
        if "route" in changes:
            changes["route"] = {"points": len(diagnostic.route["coordinates"]) if diagnostic.route else 0}
        diagnostic.save()
        audit("diagnostic_changed", _target(diagnostic), acting_user, changes=changes)
    return diagnostic


TRANSITIONS = {
    "start_field": ("start_field", DiagnosticStatus.PREPARED),
    "start_analysis": ("start_analysis", DiagnosticStatus.IN_FIELD),
    "close": ("close", DiagnosticStatus.UNDER_ANALYSIS),
}


def may_move_diagnostic(acting_user, diagnostic):
    return may_change_diagnostic(acting_user, diagnostic)


def do_move_diagnostic(diagnostic, transition, *, acting_user):
    """Move the diagnostic on: start_field (prepared to in the field), start_analysis, close."""
    check(may_move_diagnostic(acting_user, diagnostic), _("You may not change this diagnostic."))
    if transition not in TRANSITIONS:
        raise InvalidFields({"transition": _("Unknown step: start_field, start_analysis or close.")})
    method, source = TRANSITIONS[transition]
    with transaction.atomic():
        diagnostic = Diagnostic.objects.select_for_update().get(pk=diagnostic.pk)
        if diagnostic.status != source:
            raise InvalidFields(
                {
                    "transition": _("Not possible while the diagnostic is %(status)s.")
                    % {"status": diagnostic.get_status_display()}
                }
            )
        old = diagnostic.status
        getattr(diagnostic, method)()
        diagnostic.save()
        audit(
            "diagnostic_moved",
            _target(diagnostic),
            acting_user,
            old=old,
            new=diagnostic.status,
            at=timezone.now().isoformat(),
        )
        event("diagnostic_moved", diagnostic=diagnostic.pk, status=diagnostic.status)
    return diagnostic
