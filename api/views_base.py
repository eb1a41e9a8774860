"""Base classes for the API's views: idempotent writes, write throttling (from the settings)."""

from django.utils.translation import gettext as _
from rest_framework import exceptions, viewsets
from rest_framework.views import APIView

from api.idempotency import IdempotentMixin


class CleanQueryMixin:
    """Refuse query parameters no database can store (NUL characters) with a 400 naming them."""

    def initial(self, request, *args, **kwargs):
        bad = sorted(
            {name for name, values in request.query_params.lists() for v in [name, *values] if "\x00" in v}
        )
        if bad:
            raise exceptions.ValidationError({name: [_("NUL characters are not allowed.")] for name in bad})
        super().initial(request, *args, **kwargs)


class ApiView(CleanQueryMixin, IdempotentMixin, APIView):
    pass


class ReadOnlyViewSet(CleanQueryMixin, viewsets.ReadOnlyModelViewSet):
    pass


class GenericApiViewSet(CleanQueryMixin, IdempotentMixin, viewsets.GenericViewSet):
    pass
