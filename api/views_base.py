"""Base classes for the API's views: idempotent writes, write throttling (from the settings)."""

from rest_framework import generics, viewsets
from rest_framework.views import APIView

from api.idempotency import IdempotentMixin


class ApiView(IdempotentMixin, APIView):
    pass


class ReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    pass


class GenericApiViewSet(IdempotentMixin, viewsets.GenericViewSet):
    pass


class GenericApiView(IdempotentMixin, generics.GenericAPIView):
    pass
