"""Access through the API: the people of the organisations the caller manages (roles, deactivation),
invitations, and the access requests to answer. Lists go through accounts.scope (out of scope: 404,
like unknown); every write is an action of accounts.actions (refusals: 403 or 400 naming the field)."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts import actions
from accounts.models import AccessRequest, Invitation
from accounts.scope import access_requests_visible_to, invitations_visible_to, people_visible_to
from api.views_base import GenericApiViewSet
from directory.models import RoleAssignment, User
from directory.roles import Role


class PersonSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="code", read_only=True)
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "organisation",
            "roles",
            "last_login",
            "is_active",
        ]
        read_only_fields = fields

    def get_roles(self, person) -> list[str]:
        return [assignment.role for assignment in person.role_assignments.all()]


class RolesSerializer(serializers.Serializer):
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices), allow_empty=False)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class InvitationSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="code", read_only=True)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices), allow_empty=False)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "organisation",
            "email",
            "first_name",
            "last_name",
            "job_title",
            "roles",
            "created_at",
            "expires_at",
            "accepted_at",
        ]
        read_only_fields = ["created_at", "expires_at", "accepted_at"]


class AccessRequestSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = AccessRequest
        fields = [
            "id",
            "organisation",
            "first_name",
            "last_name",
            "email",
            "job_title",
            "reason",
            "status",
            "created_at",
            "decided_at",
            "refusal_reason",
        ]
        read_only_fields = fields


class RefusalSerializer(serializers.Serializer):
    refusal_reason = serializers.CharField(max_length=2000, allow_blank=True)


class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericApiViewSet):
    """People of the organisations the caller manages (a referent: their own; an administrator: all)."""

    serializer_class = PersonSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return (
            people_visible_to(self.request.user)
            .select_related("organisation")
            .prefetch_related(Prefetch("role_assignments", queryset=RoleAssignment.objects.order_by("role")))
            .order_by("pk")
        )

    def _answer(self, person):
        return Response(PersonSerializer(self.get_queryset().get(pk=person.pk)).data)

    @extend_schema(request=ReasonSerializer, responses=PersonSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        """Deactivate the account (never deleted): no sign-in, no session, no API token any more."""
        person = self.get_object()  # out of scope: 404 before anything else
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actions.do_deactivate_person(person, acting_user=request.user, reason=body.validated_data["reason"])
        return self._answer(person)

    @extend_schema(request=None, responses=PersonSerializer)
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        person = self.get_object()
        actions.do_reactivate_person(person, acting_user=request.user)
        return self._answer(person)

    @extend_schema(request=RolesSerializer, responses=PersonSerializer)
    @action(detail=True, methods=["put"])
    def roles(self, request, pk=None):
        """Set the person's roles; only the roles the caller holds may be given or taken."""
        person = self.get_object()
        body = RolesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actions.do_change_person_roles(person, body.validated_data["roles"], acting_user=request.user)
        return self._answer(person)


class InvitationViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, GenericApiViewSet):
    """Invitations into the caller's organisation (with roles the caller holds)."""

    serializer_class = InvitationSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return invitations_visible_to(self.request.user).select_related("organisation").order_by("-pk")

    def create(self, request, *args, **kwargs):
        body = InvitationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        organisation = request.user.organisation
        if organisation is None:
            raise serializers.ValidationError({"organisation": [_("You act for no organisation.")]})
        invitation = actions.do_invite_person(
            organisation,
            data["email"],
            data["roles"],
            acting_user=request.user,
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            job_title=data.get("job_title", ""),
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class AccessRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericApiViewSet):
    """Access requests to the organisations the caller manages; approve with roles or refuse."""

    serializer_class = AccessRequestSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return access_requests_visible_to(self.request.user).select_related("organisation").order_by("-pk")

    @extend_schema(request=RolesSerializer, responses=InvitationSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve with roles: the person is sent an invitation."""
        access_request = self.get_object()
        body = RolesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        invitation = actions.do_approve_access_request(
            access_request, body.validated_data["roles"], acting_user=request.user
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RefusalSerializer, responses=AccessRequestSerializer)
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        """Refuse with a reason, which the person is sent."""
        access_request = self.get_object()
        body = RefusalSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        access_request = actions.do_refuse_access_request(
            access_request, body.validated_data["refusal_reason"], acting_user=request.user
        )
        return Response(AccessRequestSerializer(access_request).data)
