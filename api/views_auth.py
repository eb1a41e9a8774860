"""Tokens and the caller: POST /auth/token/, GET /auth/tokens/, DELETE /auth/tokens/{id}/, GET /me/."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from api.actions import do_issue_api_token, do_revoke_api_token
from api.models import ApiToken
from api.views_base import ApiView, GenericApiViewSet
from gup import login_limits


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text=gettext_lazy("A name to recognise the token by (e.g. the tool using it)."),
    )


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at"]


class TokenCreatedSerializer(TokenSerializer):
    token = serializers.CharField(help_text=gettext_lazy("The key: shown once, keep it secret."))

    class Meta(TokenSerializer.Meta):
        fields = ["token", *TokenSerializer.Meta.fields]


class LoginLockedOut(exceptions.APIException):
    """429 after too many failed attempts (gup/login_limits.py), saying when to try again."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_login_failures"

    def __init__(self, locked):
        super().__init__(detail=str(locked))
        self.wait = locked.retry_after  # DRF's handler turns it into Retry-After


class ObtainTokenView(ApiView):
    """Exchange a username and password for a new named token (limited failures: 429 past them)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=TokenRequestSerializer, responses={201: TokenCreatedSerializer}, auth=[])
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            attempt = login_limits.begin(request._request, data.validated_data["username"])
        except login_limits.LockedOut as locked:
            raise LoginLockedOut(locked) from None
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None or not user.is_active:
            attempt.failed()
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Unable to log in with the username and password given.")]},
                code="invalid_credentials",
            )
        attempt.succeeded()
        token, key = do_issue_api_token(user, acting_user=user, name=data.validated_data.get("name", ""))
        token.token = key
        return Response(TokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)


class TokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, GenericApiViewSet):
    """The caller's own tokens; DELETE revokes one (api.actions.do_revoke_api_token)."""

    serializer_class = TokenSerializer
    queryset = ApiToken.objects.none()  # for the schema; get_queryset() gives the caller's own

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user)

    def perform_destroy(self, instance):
        do_revoke_api_token(instance, acting_user=self.request.user)


class OrganisationBriefSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField()
    name = serializers.CharField()
    insee = serializers.CharField(required=False, help_text=gettext_lazy("Communes only."))


class UnitBriefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()


def organisation_brief(organisation):
    if organisation is None:
        return None
    data = {"code": organisation.code, "kind": organisation.kind, "name": organisation.name}
    if organisation.kind == "commune":
        data["insee"] = organisation.insee
    return data


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.EmailField()
    organisation = OrganisationBriefSerializer(allow_null=True)
    unit = UnitBriefSerializer(allow_null=True)
    roles = serializers.ListField(child=serializers.CharField())
    is_staff = serializers.BooleanField()


class MeView(ApiView):
    """The authenticated user, the organisation (and unit) they act for, and their roles."""

    @extend_schema(responses={200: MeSerializer})
    def get(self, request):
        user = request.user
        unit = user.unit
        return Response(
            {
                "id": user.pk,
                "username": user.username,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
                "organisation": organisation_brief(user.organisation),
                "unit": {"code": unit.code, "name": unit.name, "kind": unit.kind} if unit else None,
                "roles": sorted(user.role_codes),
                "is_staff": user.is_staff,
            }
        )
