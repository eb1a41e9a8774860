"""Workshops' questionnaires (those sent to the caller's commune; the community: all) and the
communes' answers (a commune sees its own only)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from api.views_base import ReadOnlyViewSet
from steering import actions, scope
from steering.models import Question, Questionnaire, QuestionnaireResponse


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = ["id", "position", "text", "type", "choices", "required"]


class QuestionnaireSerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Questionnaire
        fields = ["id", "meeting", "title", "introduction", "deadline", "reminder_at", "sent_at", "questions"]


class ResponseSerializer(serializers.ModelSerializer):
    commune = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = QuestionnaireResponse
        fields = ["id", "questionnaire", "commune", "status", "answers", "updated_at", "submitted_at"]


class AnswersInputSerializer(serializers.Serializer):
    answers = serializers.DictField(child=serializers.JSONField(), help_text="question id -> value")
    submit = serializers.BooleanField(default=False, help_text="false: save a draft")


class QuestionnaireViewSet(ReadOnlyViewSet):
    serializer_class = QuestionnaireSerializer

    def get_queryset(self):
        return scope.questionnaires_visible_to(
            self.request.user, Questionnaire.objects.prefetch_related("questions")
        ).order_by("deadline", "pk")

    @extend_schema(request=AnswersInputSerializer, responses=ResponseSerializer)
    @action(detail=True, methods=["get", "post"])
    def answers(self, request, pk=None):
        """The caller's commune's answers: GET reads them, POST saves a draft or submits them."""
        questionnaire = self.get_object()
        commune = request.user.organisation
        if request.method == "GET":
            found = QuestionnaireResponse.objects.filter(questionnaire=questionnaire, commune=commune).first()
            if found is None:
                return Response({"detail": _("No answer yet.")}, status=404)
            return Response(ResponseSerializer(found).data)
        if commune is None:
            raise serializers.ValidationError({"answers": [_("You do not act for a commune.")]})
        serializer = AnswersInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        response = actions.do_save_answers(
            questionnaire,
            commune=commune,
            answers=serializer.validated_data["answers"],
            submit=serializer.validated_data["submit"],
            acting_user=request.user,
        )
        return Response(ResponseSerializer(response).data)


class ResponseViewSet(ReadOnlyViewSet):
    """The communes' answers: the community sees every commune's, a commune its own."""

    serializer_class = ResponseSerializer
    filterset_fields = ["questionnaire", "status"]

    def get_queryset(self):
        return scope.responses_visible_to(
            self.request.user, QuestionnaireResponse.objects.select_related("commune")
        ).order_by("questionnaire_id", "commune__name")
