"""THE scope filter for walking diagnostics and their findings: every list and detail, API and web.

- administrators (role or superuser) see every diagnostic;
- a commune's users see the diagnostics in their commune;
- the users of a participating organisation (a landlord, the community, the State...) see those they
  take part in.
Out of scope is 404, like unknown.
"""

from django.db.models import Q

from diagnostics.models import Diagnostic, Finding, GridVersion
from procedures.scope import is_administrator


def _q(user):
    if is_administrator(user):
        return None
    if not user.organisation_id:
        return Q(pk__in=[])
    return Q(commune_id=user.organisation_id) | Q(participants=user.organisation_id)


def diagnostics_visible_to(user, queryset=None):
    queryset = Diagnostic.objects.all() if queryset is None else queryset
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    q = _q(user)
    if q is None:
        return queryset
    # a subquery, not a join: the participants' join would repeat a diagnostic
    return queryset.filter(pk__in=Diagnostic.objects.filter(q).values("pk"))


def findings_visible_to(user, queryset=None):
    queryset = Finding.objects.all() if queryset is None else queryset
    return queryset.filter(diagnostic__in=diagnostics_visible_to(user).values("pk"))


def grid_versions_visible_to(user):
    """Published and retired versions for every signed-in user; drafts for administrators only."""
    if user is None or not user.is_authenticated or not user.is_active:
        return GridVersion.objects.none()
    if is_administrator(user):
        return GridVersion.objects.all()
    return GridVersion.objects.exclude(status="draft")
