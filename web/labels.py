"""Labels from procedure definitions (states, transitions, fields) in the current language.

A case's version is published, and a published version never changes, so definitions are kept per
version id for the life of the process: a list page reads each definition once, not once per row.
"""

from decimal import Decimal

from django.utils import formats
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from engine.models import ProcedureVersion

_definitions = {}


def definition(version_id):
    found = _definitions.get(version_id)
    if found is None:
        found = ProcedureVersion.objects.only("definition").get(pk=version_id).definition
        if len(_definitions) > 200:
            _definitions.clear()
        _definitions[version_id] = found
    return found


def localized(label, fallback=""):
    """A {"fr": ..., "en": ...} label in the current language (then English, then the fallback)."""
    if isinstance(label, str):
        return label
    label = label or {}
    language = (get_language() or "fr").split("-")[0]
    return label.get(language) or label.get("en") or label.get("fr") or fallback


def state_label(case):
    if case is None:
        return ""
    spec = definition(case.version_id)["states"].get(case.state, {})
    return localized(spec.get("label"), case.state)


def is_final(case):
    return bool(case and definition(case.version_id)["states"].get(case.state, {}).get("final"))


def annotate_states(requests):
    """Set ``state_label`` on each request of a page (one query per procedure version at most)."""
    for request in requests:
        request.state_label = state_label(request.case)
    return requests


# --- the history of a request ------------------------------------------------------------------------
AUDIT_EVENTS = {
    "opened": gettext_lazy("Filed"),
    "transition": gettext_lazy("Step"),
    "role_assigned": gettext_lazy("Handler changed"),
    "commented": gettext_lazy("Comment"),
    "attached": gettext_lazy("File attached"),
    "alert_raised": gettext_lazy("Urgency check raised"),
    "alert_answered": gettext_lazy("Urgency check answered"),
    "alert_closed": gettext_lazy("Urgency check closed"),
    "shared": gettext_lazy("Shared"),
    "unshared": gettext_lazy("Share taken back"),
    "deadlines_recomputed": gettext_lazy("Deadlines recomputed"),
    "migrated": gettext_lazy("Moved to another version of the procedure"),
    "escalation": gettext_lazy("Deadline missed: escalation"),
    "alert_late": gettext_lazy("Urgency check answer overdue"),
    "time_spent_recorded": gettext_lazy("Time spent recorded"),
}
# The same events for an alert other than the urgency check (a missed deadline's alert).
OTHER_ALERT_EVENTS = {
    "alert_raised": gettext_lazy("Deadline alert raised"),
    "alert_answered": gettext_lazy("Deadline alert answered"),
    "alert_closed": gettext_lazy("Deadline alert closed"),
    "alert_late": gettext_lazy("Deadline alert answer overdue"),
}


def party_names(keys):
    """Readable names of principal keys (``unit:3``, ``org:2``, ``user:5``; a role suffix is dropped):
    units and organisations by name, people by full name (their login when they have none)."""
    from directory.models import Organisation, Unit, User

    ids = {"unit": set(), "org": set(), "user": set()}
    for key in keys:
        kind, _sep, rest = str(key).partition(":")
        ident = rest.partition("#")[0]
        if kind in ids and ident.isdigit():
            ids[kind].add(int(ident))
    names = {}
    for unit in Unit.objects.filter(pk__in=ids["unit"]).only("name"):
        names[f"unit:{unit.pk}"] = unit.name
    for organisation in Organisation.objects.filter(pk__in=ids["org"]).only("name"):
        names[f"org:{organisation.pk}"] = organisation.name
    for user in User.objects.filter(pk__in=ids["user"]).only("username", "first_name", "last_name"):
        names[f"user:{user.pk}"] = user.get_full_name() or user.username
    return {key: names.get(str(key).partition("#")[0], str(key)) for key in keys}


def _names(keys, names):
    return ", ".join(names[key] for key in keys) if keys else ""


def label_audit(case, entries):
    """The history entries to show, with readable labels in the current language.

    A step says its label (« Démarrer l'intervention ») and the states it went from and to; an entry
    whose state did not change shows no states, and is left out when it has nothing else to say: a
    handler change says from whom to whom (and is left out when nobody changed)."""
    spec = definition(case.version_id)
    states, transitions = spec["states"], spec.get("transitions", {})
    entries = list(entries)
    keys = set()
    for entry in entries:
        if entry.event == "role_assigned":
            keys.update((entry.data or {}).get("before") or [])
            keys.update((entry.data or {}).get("after") or [])
    names = party_names(keys) if keys else {}
    shown = []
    for entry in entries:
        data = entry.data or {}
        entry.event_label = AUDIT_EVENTS.get(entry.event, entry.event)
        if entry.event in OTHER_ALERT_EVENTS and data.get("code") not in (None, "urgency_check"):
            entry.event_label = OTHER_ALERT_EVENTS[entry.event]
        entry.from_label = entry.to_label = entry.detail = ""
        if entry.event == "transition" and data.get("transition"):
            code = data["transition"]
            entry.event_label = localized(transitions.get(code, {}).get("label"), entry.event_label)
        if entry.from_state and entry.to_state and entry.from_state != entry.to_state:
            entry.from_label = localized(states.get(entry.from_state, {}).get("label"), entry.from_state)
            entry.to_label = localized(states.get(entry.to_state, {}).get("label"), entry.to_state)
        if entry.event == "role_assigned":
            before, after = list(data.get("before") or []), list(data.get("after") or [])
            if set(before) == set(after):
                if not entry.reason:
                    continue
            elif before:
                entry.detail = _("from %(before)s to %(after)s") % {
                    "before": _names(before, names),
                    "after": _names(after, names),
                }
            else:
                entry.detail = _("to %(after)s") % {"after": _names(after, names)}
        elif entry.event == "time_spent_recorded" and data.get("hours"):
            entry.detail = _("%(hours)s hours") % {"hours": formats.number_format(Decimal(data["hours"]))}
        elif entry.event == "deadlines_recomputed" and not data.get("deadlines") and not entry.reason:
            continue
        shown.append(entry)
    return shown
