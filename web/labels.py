"""Labels from procedure definitions (states, transitions, fields) in the current language.

A case's version is published, and a published version never changes, so definitions are kept per
version id for the life of the process: a list page reads each definition once, not once per row.
"""

from django.utils.translation import get_language

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
