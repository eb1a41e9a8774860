"""The actions of a programme: added, changed or removed while the programme is a draft or sent back for
changes; their place (a GeoJSON point) checked inside the programme's QPV."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from engine.errors import InvalidFields
from tfpb.actions._common import _audit, _str, parse_amount
from tfpb.actions.programmes import _check_editable, _check_landlord
from tfpb.models import (
    Action,
    Axis,
    Indicator,
    Programme,
)


def do_add_programme_action(
    programme,
    *,
    axis,
    title,
    planned_amount,
    description="",
    places="",
    location=None,
    indicators=(),
    acting_user,
):
    """An action of the programme; ``indicators`` is a list of {name, unit, target}."""
    _check_landlord(acting_user, programme)
    _check_editable(programme)
    errors, amount, location = _clean_action(programme, axis, title, planned_amount, location)
    rows = []
    for index, indicator in enumerate(indicators or ()):
        name = (indicator.get("name") or "").strip()
        if not name:
            errors[f"indicators[{index}].name"] = _("Name the indicator.")
            continue
        try:
            target = parse_amount(indicator.get("target"), f"indicators[{index}].target")
        except InvalidFields as exc:
            errors.update(exc.errors)
            continue
        rows.append((name, (indicator.get("unit") or "").strip()[:40], target))
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        action = Action.objects.create(
            programme=programme,
            axis=axis,
            title=title.strip()[:200],
            description=description or "",
            places=(places or "")[:300],
            location=location,
            planned_amount_eur=amount,
            position=programme.actions.count(),
        )
        Indicator.objects.bulk_create(
            [
                Indicator(action=action, name=name[:200], unit=unit, target=target)
                for name, unit, target in rows
            ]
        )
        _audit(
            "action_added",
            f"programme:{programme.pk}",
            acting_user,
            new={"action": action.pk, "axis": axis.code, "planned_amount_eur": _str(amount)},
        )
    return action


def _clean_action(programme, axis, title, planned_amount, location):
    """(errors, amount, location) of an action's fields, checked as the add and the change both need."""
    errors = {}
    try:
        amount = parse_amount(planned_amount, "planned_amount_eur")
    except InvalidFields as exc:
        errors.update(exc.errors)
        amount = None
    if not isinstance(axis, Axis) or not axis.is_active:
        errors["axis"] = _("Choose one of the axes of the framework.")
    if not (title or "").strip():
        errors["title"] = _("Give the action a title.")
    if location is not None:
        try:
            location = _check_location(location, programme.qpv)
        except InvalidFields as exc:
            errors.update(exc.errors)
    return errors, amount, location


def _locked_editable(programme):
    """The programme row locked for the change, still editable (a submission meanwhile is refused)."""
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    _check_editable(locked)
    return locked


def do_change_programme_action(
    action, *, axis, title, planned_amount, description="", places="", location=None, acting_user
):
    """Change an action while its programme is a draft or sent back for changes (its indicators stay).
    ``location`` None removes the place from the map."""
    programme = action.programme
    _check_landlord(acting_user, programme)
    _check_editable(programme)
    errors, amount, location = _clean_action(programme, axis, title, planned_amount, location)
    if errors:
        raise InvalidFields(errors)
    new = {
        "axis": axis,
        "title": title.strip()[:200],
        "description": description or "",
        "places": (places or "")[:300],
        "location": location,
        "planned_amount_eur": amount,
    }
    with transaction.atomic():
        _locked_editable(programme)
        action = Action.objects.select_for_update().select_related("axis").get(pk=action.pk)
        changed = {name: value for name, value in new.items() if getattr(action, name) != value}
        if not changed:
            return action
        old = {name: getattr(action, name) for name in changed}
        for name, value in changed.items():
            setattr(action, name, value)
        action.save(update_fields=list(changed))
        _audit(
            "action_changed",
            f"programme:{programme.pk}",
            acting_user,
            action=action.pk,
            old=_plain(old),
            new=_plain(changed),
        )
    return action


def _plain(values):
    """An action's values as the audit stores them (the axis by its code, amounts as text)."""
    plain = {}
    for name, value in values.items():
        if isinstance(value, Axis):
            value = value.code
        elif isinstance(value, Decimal):
            value = str(value)
        plain[name] = value
    return plain


def _check_location(location, qpv):
    """A GeoJSON point (WGS84) inside the programme's QPV; returns it normalised."""
    from shapely.geometry import Point

    try:
        if location.get("type") != "Point":
            raise ValueError
        lon, lat = (float(value) for value in location["coordinates"])
    except (AttributeError, KeyError, TypeError, ValueError):
        raise InvalidFields(
            {
                "location": _(
                    'Give the place as a GeoJSON point: {"type": "Point", "coordinates": [lon, lat]}.'
                )
            }
        ) from None
    if not qpv.shape().covers(Point(lon, lat)):
        raise InvalidFields({"location": _("This place is outside the programme's QPV.")})
    return {"type": "Point", "coordinates": [lon, lat]}


def do_remove_programme_action(action, *, acting_user):
    """Remove an action (and its indicators) while its programme is a draft or sent back for changes."""
    programme = action.programme
    _check_landlord(acting_user, programme)
    _check_editable(programme)
    with transaction.atomic():
        _locked_editable(programme)
        _audit(
            "action_removed",
            f"programme:{programme.pk}",
            acting_user,
            old={
                "action": action.pk,
                "title": action.title,
                "planned_amount_eur": _str(action.planned_amount_eur),
            },
        )
        action.delete()
