"""The one scope filter of the API: every list and detail about requests goes through it.

It is the procedures' filter (`procedures.scope.requests_visible_to`); a request out of scope is
answered 404 everywhere (detail, history, comments, attachments, transitions, alerts).
"""

from django.http import Http404

from procedures.models import InterventionRequest
from procedures.scope import alerts_visible_to, requests_visible_to


def visible_requests(user, queryset=None):
    return requests_visible_to(user, queryset if queryset is not None else InterventionRequest.objects.all())


def visible_request_or_404(user, pk, queryset=None):
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    found = visible_requests(user, queryset).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def visible_alerts(user):
    """Alerts on the cases of the requests the user may see (procedures.scope.alerts_visible_to)."""
    return alerts_visible_to(user)
