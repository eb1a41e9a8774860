"""`Idempotency-Key` on writes: the same key and body within 24 hours replay the first response.

Records are kept per user. The same key with another body (or on another route) answers 422; a key
whose first request is still running answers 409. A first request that ends in a server error leaves
no record, so the client may retry it.
"""

import hashlib
import json
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api.errors import Conflict, Unprocessable
from api.models import IdempotencyRecord

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
TTL = timedelta(hours=24)
HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class _Replay(Exception):
    def __init__(self, record):
        self.record = record


def _request_hash(django_request):
    try:
        body = django_request.body
    except RawPostDataException:  # pragma: no cover - the body is read before anything else
        body = b""
    digest = hashlib.sha256()
    for part in (django_request.method.encode(), django_request.path.encode(), body):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def purge_expired(now=None):
    """Delete records older than the replay window; returns how many (a worker job)."""
    now = now or timezone.now()
    deleted, _unused = IdempotencyRecord.objects.filter(created_at__lt=now - TTL).delete()
    return deleted


class IdempotentMixin:
    """For DRF views: honour Idempotency-Key on POST, PUT, PATCH and DELETE."""

    def dispatch(self, request, *args, **kwargs):
        self._idempotency_hash = None
        self._idempotency_record = None
        if request.method in WRITE_METHODS and request.headers.get(HEADER):
            # Read the raw body first: parsing multipart data later would consume it.
            self._idempotency_hash = _request_hash(request)
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self._idempotency_hash is None or not request.user.is_authenticated:
            return
        key = request.headers[HEADER].strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            raise exceptions.ValidationError(
                {HEADER: [_("The key must have 1 to %(max)d characters.") % {"max": MAX_KEY_LENGTH}]}
            )
        now = timezone.now()
        IdempotencyRecord.objects.filter(user=request.user, key=key, created_at__lt=now - TTL).delete()
        try:
            with transaction.atomic():
                self._idempotency_record = IdempotencyRecord.objects.create(
                    user=request.user,
                    key=key,
                    method=request.method,
                    path=request.path[:500],
                    body_hash=self._idempotency_hash,
                    created_at=now,
                )
        except IntegrityError:
            record = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
            if record is None:
                raise Conflict(_("A request with this Idempotency-Key is being processed; retry.")) from None
            if record.body_hash != self._idempotency_hash:
                raise Unprocessable(
                    _("This Idempotency-Key was already used with another request body or route."),
                    code="idempotency_key_reused",
                ) from None
            if record.status_code is None:
                raise Conflict(_("A request with this Idempotency-Key is still being processed.")) from None
            raise _Replay(record) from None

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            response = Response(exc.record.response_body, status=exc.record.status_code)
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            return super().handle_exception(exc)
        except Exception:
            self._forget_pending_record()
            raise

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record = self._idempotency_record
        if record is not None:
            self._idempotency_record = None
            if response.status_code >= 500:
                record.delete()
            else:
                data = getattr(response, "data", None)
                record.status_code = response.status_code
                record.response_body = json.loads(JSONRenderer().render(data)) if data is not None else None
                record.save(update_fields=["status_code", "response_body"])
        return response

    def _forget_pending_record(self):
        record = getattr(self, "_idempotency_record", None)
        if record is not None:
            self._idempotency_record = None
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
