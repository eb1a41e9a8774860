"""Walking diagnostics' findings become ONE follow-up action or ONE recommendation.

Registered into diagnostics' extension point from ``SteeringConfig.ready``: diagnostics owns the findings
and the conversion (locking, "converted once", the record on each finding) and knows nothing of steering;
steering owns actions and recommendations, and is the only one of the two that imports the other (here,
and only here). ``source`` on the action/recommendation is ``diagnostics.diagnostic:<pk>``; each finding's
``outcome_reference`` is ``action:<pk>`` / ``recommendation:<pk>``: the two ends link to each other."""

import datetime

from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from steering.actions.common import invalid, is_organiser
from steering.actions.follow_up import do_create_action
from steering.actions.recommendations import do_create_recommendation

SOURCE_PREFIX = "diagnostics.diagnostic:"


def source_of(diagnostic):
    return f"{SOURCE_PREFIX}{diagnostic.pk}"


def _summary(diagnostic, findings):
    lines = [
        _("From the walking diagnostic « %(title)s » of %(date)s:")
        % {"title": diagnostic.title, "date": diagnostic.date.strftime("%d/%m/%Y")}
    ]
    for finding in findings:
        line = f"- #{finding.pk} {finding.item.theme.label} – {finding.item.label} ({finding.rating})"
        if finding.comment:
            line += f" : {finding.comment}"
        lines.append(line[:300])
    return "\n".join(lines)


def _due_date(value):
    if value in (None, "") or isinstance(value, datetime.date):
        return value or None
    parsed = parse_date(str(value).strip()) if str(value).strip() else None
    if parsed is None:
        invalid(due_date=_("Enter a date, for example 2026-03-31."))
    return parsed


def _blank_is_none(value):
    return None if value in ("", None) else value


def convert_to_action(
    diagnostic,
    findings,
    *,
    acting_user,
    title="",
    owner_organisation=None,
    owner_person=None,
    due_date=None,
    description="",
    **_ignored,
):
    owner_organisation = _blank_is_none(owner_organisation)
    if owner_organisation is None:
        invalid(owner_organisation=_("An action needs an owner organisation."))
    action = do_create_action(
        title=title,
        owner_organisation=owner_organisation,
        owner_person=_blank_is_none(owner_person),
        due_date=_due_date(due_date),
        description=((description or "").strip() + "\n\n" + _summary(diagnostic, findings)).strip(),
        commune=diagnostic.commune_id,
        qpv=diagnostic.qpv_id,
        requests=[f.request_id for f in findings if f.request_id],
        source=source_of(diagnostic),
        acting_user=acting_user,
    )
    return f"action:{action.pk}"


def convert_to_recommendation(
    diagnostic, findings, *, acting_user, project="", qpv=None, issue="", recommendation="", **_ignored
):
    qpv = _blank_is_none(qpv)
    if qpv is None and not (project or "").strip():
        qpv = diagnostic.qpv
    row = do_create_recommendation(
        project=project or "",
        qpv=qpv,
        issue=(issue or "").strip() or _summary(diagnostic, findings),
        recommendation=recommendation,
        source=source_of(diagnostic),
        acting_user=acting_user,
    )
    return f"recommendation:{row.pk}"


def may_convert(user):
    """Only the steering's organisers create actions and recommendations."""
    return is_organiser(user)


def diagnostic_of(source):
    """The diagnostic an action or recommendation came from, or None."""
    from diagnostics.models import Diagnostic

    if not (source or "").startswith(SOURCE_PREFIX):
        return None
    pk = source[len(SOURCE_PREFIX) :]
    return Diagnostic.objects.filter(pk=pk).first() if pk.isdigit() else None


def findings_of(reference):
    from diagnostics.models import Finding

    return list(
        Finding.objects.filter(outcome_reference=reference).select_related("item__theme").order_by("pk")
    )


def register():
    from diagnostics.actions import register_follow_up_converter

    register_follow_up_converter("action", convert_to_action, may=may_convert)
    register_follow_up_converter("recommendation", convert_to_recommendation, may=may_convert)
