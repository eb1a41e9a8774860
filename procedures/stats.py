"""Counts of justified and unjustified urgencies per commune and month."""

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from procedures.models import InterventionRequest, Urgency


def urgency_counts(queryset=None, *, commune=None, since=None, until=None):
    """Rows ``{commune_id, commune, month, justified, unjustified}`` for requests filed urgent.

    ``justified``: urgent with a criterion, or the DVQ's alert dismissed; ``unjustified``: the DVQ upheld
    its alert (urgency removed) or the check is still open; the flag is what the request says now.
    """
    queryset = InterventionRequest.objects.all() if queryset is None else queryset
    queryset = queryset.filter(urgency_requested=Urgency.URGENT)
    if commune is not None:
        queryset = queryset.filter(commune=commune)
    if since is not None:
        queryset = queryset.filter(created_at__gte=since)
    if until is not None:
        queryset = queryset.filter(created_at__lt=until)
    rows = (
        queryset.annotate(month=TruncMonth("created_at"))
        .values("commune_id", "commune__name", "month")
        .annotate(
            justified=Count("pk", filter=Q(urgency_justified=True)),
            unjustified=Count("pk", filter=Q(urgency_justified=False)),
        )
        .order_by("commune__name", "month")
    )
    return [
        {
            "commune_id": row["commune_id"],
            "commune": row["commune__name"],
            "month": row["month"].date() if hasattr(row["month"], "date") else row["month"],
            "justified": row["justified"],
            "unjustified": row["unjustified"],
        }
        for row in rows
    ]
