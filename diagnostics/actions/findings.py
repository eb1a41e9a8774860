"""Findings: recorded from the phone (kept once per client identifier), with their photos."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from shapely.geometry import Point

from diagnostics.models import Diagnostic, DiagnosticStatus, Finding, FindingPhoto, GridItem
from directory import geo
from directory.models import Layer, Perimeter
from engine.errors import InvalidFields
from procedures import conf
from procedures.uploads import check_upload

from ._common import audit, check, event, is_admin

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
FAR_M = 300  # a finding may be a little outside the commune's outline (GPS drift, a street on the border)
RECORDING = (DiagnosticStatus.IN_FIELD, DiagnosticStatus.UNDER_ANALYSIS)


def clean_client_id(value):
    """The phone's identifier of what it sends (a finding, a route), or InvalidFields naming it."""
    client_id = str(value or "").strip()
    if not CLIENT_ID.match(client_id):
        raise InvalidFields({"client_id": _("A client identifier of 8 to 64 letters, digits, - or _.")})
    return client_id


def may_record_finding(acting_user, diagnostic):
    """The commune's users and the participating organisations' (the scope of the diagnostic)."""
    if is_admin(acting_user):
        return True
    org = acting_user.organisation_id
    return bool(org) and (org == diagnostic.commune_id or diagnostic.participants.filter(pk=org).exists())


def _item(diagnostic, item, errors):
    if isinstance(item, GridItem):
        found = item if item.theme.version_id == diagnostic.grid_version_id else None
    else:
        text = str(item or "")
        items = GridItem.objects.filter(theme__version_id=diagnostic.grid_version_id)
        if "/" in text:
            theme, _sep, code = text.partition("/")
            found = items.filter(theme__code=theme, code=code).first()
        else:
            found = items.filter(pk=text).first() if text.isdigit() else None
    if found is None:
        errors["item"] = _("Choose an item of the diagnostic's grid.")
    return found


def _rating(diagnostic, rating, errors):
    values = [level["value"] for level in diagnostic.grid_version.scale]
    try:
        value = int(str(rating).strip()) if not isinstance(rating, bool) else None
    except (TypeError, ValueError):
        value = None
    if value not in values:
        errors["rating"] = _("The rating must be one of the grid's levels: %(values)s.") % {
            "values": ", ".join(map(str, values))
        }
    return value


def _point(diagnostic, lon, lat, errors):
    try:
        lon, lat = float(str(lon).replace(",", ".")), float(str(lat).replace(",", "."))
    except (TypeError, ValueError):
        errors["location"] = _("Longitude and latitude must be numbers.")
        return None, None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        errors["location"] = _("Longitude and latitude must be WGS84 degrees.")
        return None, None
    outlines = Perimeter.objects.filter(layer=Layer.COMMUNES, commune_id=diagnostic.commune_id)
    shapes = [geo.to_lambert93(geo.shape_from_geojson(p.geometry)) for p in outlines]
    if shapes:
        here = Point(*geo.point_lambert93(lon, lat))
        if min(shape.distance(here) for shape in shapes) > FAR_M:
            errors["location"] = _(
                "This point is far outside %(commune)s (more than %(n)d m): check the position."
            ) % {"commune": diagnostic.commune.name, "n": FAR_M}
    return lon, lat


def _observed_at(value, errors):
    if value in (None, ""):
        return timezone.now()
    if isinstance(value, str):
        try:
            value = parse_datetime(value.strip())
        except ValueError:  # well formed but impossible (a 13th month)
            value = None
    if not isinstance(value, datetime.datetime) or timezone.is_naive(value):
        errors["observed_at"] = _("Give the time with its offset (ISO 8601).")
        return None
    if value > timezone.now() + datetime.timedelta(hours=1):
        errors["observed_at"] = _("This time is in the future.")
    return value


def _photos(photos, errors):
    photos = list(photos or ())
    limit = conf.get("GUP_UPLOAD_MAX_FILES")
    if len(photos) > limit:
        errors["photos"] = _("At most %(limit)d photos per finding.") % {"limit": limit}
        return []
    checked, problems = [], []
    for upload in photos:
        try:
            found = check_upload(upload)
        except ValidationError as exc:
            problems.extend(exc.messages)
            continue
        if not found.content_type.startswith("image/"):
            problems.append(_("%(name)s is not a photo (JPEG, PNG, GIF, WebP).") % {"name": found.name})
            continue
        checked.append((upload, found))
    if problems:
        errors["photos"] = " ".join(problems)
    return checked


def do_record_finding(
    diagnostic, *, acting_user, client_id, item, rating, lon, lat, comment="", observed_at=None, photos=()
):
    """Record a finding; returns (finding, created). The same client identifier again is a harmless
    no-op that returns the finding already kept (whatever else the repeat carries)."""
    check(may_record_finding(acting_user, diagnostic), _("You do not take part in this diagnostic."))
    client_id = clean_client_id(client_id)
    existing = Finding.objects.filter(diagnostic=diagnostic, client_id=client_id).first()
    if existing is not None:
        return existing, False
    diagnostic = Diagnostic.objects.select_related("grid_version", "commune").get(pk=diagnostic.pk)
    if diagnostic.status not in RECORDING:
        raise InvalidFields(
            {
                "diagnostic": _(
                    "Findings are recorded while the diagnostic is in the field (it is %(status)s)."
                )
                % {"status": diagnostic.get_status_display()}
            }
        )
    errors = {}
    item = _item(diagnostic, item, errors)
    rating = _rating(diagnostic, rating, errors)
    comment = (comment or "").strip() if isinstance(comment, str) else ""
    if len(comment) > 2000:
        errors["comment"] = _("At most %(n)d characters.") % {"n": 2000}
    lon, lat = _point(diagnostic, lon, lat, errors)
    observed_at = _observed_at(observed_at, errors)
    photos = _photos(photos, errors)
    if errors:
        raise InvalidFields(errors)
    x, y = geo.point_lambert93(lon, lat)
    try:
        with transaction.atomic():
            finding = Finding.objects.create(
                diagnostic=diagnostic,
                client_id=client_id,
                item=item,
                rating=rating,
                comment=comment,
                lon=lon,
                lat=lat,
                x_l93=x,
                y_l93=y,
                observed_at=observed_at,
                recorded_by=acting_user,
            )
            for upload, found in photos:
                photo = FindingPhoto(
                    finding=finding, name=found.name, content_type=found.content_type, size_bytes=found.size
                )
                upload.seek(0)
                photo.file.save(found.name, upload, save=False)
                photo.save()
            audit(
                "finding_recorded",
                f"diagnostic:{diagnostic.pk}/finding:{finding.pk}",
                acting_user,
                client_id=client_id,
                item=f"{item.theme.code}/{item.code}",
                rating=rating,
                photos=len(photos),
            )
            event("finding_recorded", diagnostic=diagnostic.pk, finding=finding.pk)
    except IntegrityError:
        # the same finding sent twice at once: the other request kept it
        existing = Finding.objects.filter(diagnostic=diagnostic, client_id=client_id).first()
        if existing is None:
            raise
        return existing, False
    return finding, True
