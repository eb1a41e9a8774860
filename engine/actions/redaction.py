"""Erasure of personal data from a case's audit trail (GDPR retention).

The audit trail is append-only: nothing may change who acted, when, or what happened. The retention
job (accounts.actions.personal_data) must still erase the texts a user marked as personal data wherever
they were copied, and a step's comment or a resolution note is copied into its audit entry (``reason``,
``fields``). This is the one place that rewrites audit rows, and only those texts.
"""

from django.db import models

from engine.models import AuditEntry


def redact_audit_texts(case_id, replacements):
    """In the audit entries of one case, replace every ``reason`` and every text value of ``fields``
    equal to a key of ``replacements`` by its value. Runs in the caller's transaction (the retention
    job's, which writes its own audit entry). Returns how many entries were rewritten."""
    replacements = {old: new for old, new in replacements.items() if old and old != new}
    if not replacements or case_id is None:
        return 0
    rewritten = 0
    for entry in AuditEntry.objects.filter(case_id=case_id).only("pk", "reason", "fields"):
        reason = replacements.get(entry.reason, entry.reason)
        fields = {
            key: replacements.get(value, value) if isinstance(value, str) else value
            for key, value in (entry.fields or {}).items()
        }
        if reason != entry.reason or fields != (entry.fields or {}):
            # the base QuerySet's update: AppendOnlyQuerySet refuses it everywhere else
            models.QuerySet.update(AuditEntry.objects.filter(pk=entry.pk), reason=reason, fields=fields)
            rewritten += 1
    return rewritten
