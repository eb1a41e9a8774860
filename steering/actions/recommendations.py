"""Recommendations to urban-renewal teams (an NPNRU project or a QPV), and their answer."""

from django.db import transaction
from django.utils.translation import gettext as _

from directory.models import Perimeter
from steering.actions.common import audit, check, invalid, is_organiser
from steering.models import Recommendation, RecommendationStatus


def may_create_recommendation(user):
    return is_organiser(user)


def do_create_recommendation(*, issue, recommendation, acting_user, project="", qpv=None, source=""):
    """Create a recommendation; another module (a walking diagnostic) names itself in ``source``."""
    check(may_create_recommendation(acting_user), _("You may not write recommendations."))
    errors = {}
    if not (issue or "").strip():
        errors["issue"] = _("Describe the management issue.")
    if not (recommendation or "").strip():
        errors["recommendation"] = _("Write the recommendation.")
    if qpv is not None and not isinstance(qpv, Perimeter):
        qpv = Perimeter.objects.filter(pk=qpv, layer="qpv").first()
        if qpv is None:
            errors["qpv"] = _("Choose a QPV.")
    if not (project or "").strip() and qpv is None and "qpv" not in errors:
        errors["project"] = _("Name the urban-renewal project or choose a QPV.")
    if errors:
        invalid(**errors)
    with transaction.atomic():
        row = Recommendation.objects.create(
            project=(project or "").strip()[:200],
            qpv=qpv,
            issue=issue.strip(),
            recommendation=recommendation.strip(),
            source=(source or "")[:200],
            created_by=acting_user,
        )
        audit("recommendation_created", f"recommendation:{row.pk}", acting_user, source=row.source)
    return row


def do_answer_recommendation(row, *, status, answer="", acting_user):
    check(is_organiser(acting_user), _("You may not record the answer to recommendations."))
    if status not in RecommendationStatus.values:
        invalid(status=_("Unknown status: %(status)s.") % {"status": status})
    if status != RecommendationStatus.SENT and not (answer or "").strip():
        invalid(answer=_("Give the urban-renewal team's answer."))
    with transaction.atomic():
        old = row.status
        row.status = status
        row.answer = (answer or "").strip()
        row.save(update_fields=["status", "answer"])
        audit("recommendation_answered", f"recommendation:{row.pk}", acting_user, old=old, new=status)
    return row
