"""Parse and check the YAML text of a grid version; every problem is a French-ready sentence naming where.

Format (see ``grids/default.yaml``): ``code``, ``name``, optional ``name_en``; ``scale``: a list of
``{value, label, label_en}`` with integer values, strictly increasing, 2 to 11 levels; ``themes``: a list of
``{code, label, label_en, items}``, each item ``{code, label, label_en, category, attributes}`` where
``category`` (optional) is the code of an active request category and ``attributes`` (optional) the
values given to that category's attributes when a finding becomes a request.
"""

import re

import yaml
from django.utils.translation import gettext as _

from procedures.models import Category

CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_SOURCE = 100_000


class GridInvalid(ValueError):
    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def _text(value, where, problems, *, required=True, limit=200):
    if value is None or value == "":
        if required:
            problems.append(_("%(where)s: a label is required.") % {"where": where})
        return ""
    if not isinstance(value, str):
        problems.append(_("%(where)s: must be text.") % {"where": where})
        return ""
    if len(value) > limit:
        problems.append(_("%(where)s: at most %(n)d characters.") % {"where": where, "n": limit})
    return value.strip()


def _code(value, where, problems, seen):
    if not isinstance(value, str) or not CODE.match(value):
        problems.append(
            _("%(where)s: the code must be lower-case letters, digits and dashes.") % {"where": where}
        )
        return ""
    if value in seen:
        problems.append(_("%(where)s: the code %(code)s is used twice.") % {"where": where, "code": value})
    seen.add(value)
    return value


def parse(source):
    """The checked definition (a dict) of a YAML text; GridInvalid listing every problem."""
    if not isinstance(source, str) or not source.strip():
        raise GridInvalid([_("The grid's text is empty.")])
    if len(source) > MAX_SOURCE:
        raise GridInvalid([_("The grid's text is too long.")])
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else "?"
        raise GridInvalid(
            [_("The grid's text is not valid YAML (line %(line)s).") % {"line": line}]
        ) from None
    if not isinstance(data, dict):
        raise GridInvalid([_("The grid must be a mapping with code, name, scale and themes.")])
    problems = []
    definition = {
        "code": _code(data.get("code"), "code", problems, set()),
        "name": _text(data.get("name"), "name", problems),
        "name_en": _text(data.get("name_en"), "name_en", problems, required=False),
        "scale": _scale(data.get("scale"), problems),
        "themes": _themes(data.get("themes"), problems),
    }
    unknown = sorted(set(data) - set(definition))
    if unknown:
        problems.append(_("Unknown keys: %(keys)s.") % {"keys": ", ".join(map(str, unknown))})
    if problems:
        raise GridInvalid(problems)
    return definition


def _scale(levels, problems):
    if not isinstance(levels, list) or not 2 <= len(levels) <= 11:
        problems.append(_("scale: give 2 to 11 levels, each with a value and a label."))
        return []
    scale, previous = [], None
    for n, level in enumerate(levels, 1):
        where = f"scale[{n}]"
        if not isinstance(level, dict):
            problems.append(_("%(where)s: must be a mapping with value and label.") % {"where": where})
            continue
        value = level.get("value")
        if isinstance(value, bool) or not isinstance(value, int) or not -100 <= value <= 100:
            problems.append(_("%(where)s: the value must be a whole number.") % {"where": where})
            continue
        if previous is not None and value <= previous:
            problems.append(_("%(where)s: values must increase.") % {"where": where})
        previous = value
        scale.append(
            {
                "value": value,
                "label": _text(level.get("label"), where, problems, limit=60),
                "label_en": _text(level.get("label_en"), where, problems, required=False, limit=60),
            }
        )
    return scale


def _themes(themes, problems):
    if not isinstance(themes, list) or not themes:
        problems.append(_("themes: give at least one theme with its items."))
        return []
    theme_codes, result = set(), []
    categories = {c.code: c for c in Category.objects.filter(is_active=True)}
    for t, theme in enumerate(themes, 1):
        where = f"themes[{t}]"
        if not isinstance(theme, dict):
            problems.append(_("%(where)s: must be a mapping with code, label and items.") % {"where": where})
            continue
        items = theme.get("items")
        checked = {
            "code": _code(theme.get("code"), where, problems, theme_codes),
            "label": _text(theme.get("label"), where, problems),
            "label_en": _text(theme.get("label_en"), where, problems, required=False),
            "items": [],
        }
        if not isinstance(items, list) or not items:
            problems.append(_("%(where)s: give at least one item.") % {"where": where})
            items = []
        item_codes = set()
        for i, item in enumerate(items, 1):
            item_where = f"{where}.items[{i}]"
            if not isinstance(item, dict):
                problems.append(
                    _("%(where)s: must be a mapping with code and label.") % {"where": item_where}
                )
                continue
            category = item.get("category")
            if category is not None and category not in categories:
                problems.append(
                    _("%(where)s: %(code)s is not an active request category.")
                    % {"where": item_where, "code": category}
                )
            attributes = item.get("attributes") or {}
            if not isinstance(attributes, dict):
                problems.append(_("%(where)s: attributes must be a mapping.") % {"where": item_where})
                attributes = {}
            checked["items"].append(
                {
                    "code": _code(item.get("code"), item_where, problems, item_codes),
                    "label": _text(item.get("label"), item_where, problems),
                    "label_en": _text(item.get("label_en"), item_where, problems, required=False),
                    "category": category,
                    "attributes": attributes,
                }
            )
        result.append(checked)
    return result


def to_yaml(definition):
    """A YAML text of a definition (to copy a version)."""
    return yaml.safe_dump(definition, allow_unicode=True, sort_keys=False, width=110)
