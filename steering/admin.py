"""The steering module in the Django admin: every save goes through ``steering.actions`` (the admin
decides no rule); the audit trail is read only."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from engine.errors import EngineError, InvalidFields
from gup.admin_inlines import LabelledTabularInline
from steering import actions
from steering.actions.meetings import EDITABLE as MEETING_FIELDS
from steering.models import (
    Action,
    ActionStatus,
    GuidePage,
    GuidePageVersion,
    Invitation,
    Meeting,
    MeetingKind,
    Questionnaire,
    QuestionType,
    Recommendation,
    SteeringAuditEntry,
)


def _nothing_more(formsets):
    """The action wrote the related rows; the read-only inlines save nothing (for the change message)."""
    for formset in formsets:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class ActionCallingForm(forms.ModelForm):
    """Calls the action once the form is valid, so that its refusal shows as the form's errors (the
    action's own transaction is rolled back: nothing saved). ``call(form, cleaned_data)`` is set by the
    admin's ``get_form``; ``save_model`` then only keeps what the action returned."""

    call = None

    def _post_clean(self):
        super()._post_clean()
        if self.errors or self.call is None:
            return
        try:
            self.result = self.call(self, self.cleaned_data)
        except InvalidFields as exc:
            for field, message in exc.errors.items():
                self.add_error(field if field in self.fields else None, str(message))
        except EngineError as exc:
            self.add_error(None, str(exc))


@admin.register(MeetingKind)
class MeetingKindAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "position", "is_active")
    list_editable = ("position", "is_active")


class InvitationInline(LabelledTabularInline):
    model = Invitation
    fields = ("person", "answer", "represented_by", "answered_at", "attended")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class MeetingForm(ActionCallingForm):
    video_url = forms.URLField(label=_("video link"), required=False, assume_scheme="https")

    class Meta:
        model = Meeting
        fields = [*MEETING_FIELDS, "invited_organisations"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    """Meetings: created and changed through the actions; sending and cancelling are admin actions."""

    form = MeetingForm
    list_display = ("title", "kind", "starts_at", "status", "invitations_sent_at")
    list_filter = ("kind", "status")
    search_fields = ("title",)
    date_hierarchy = "starts_at"
    filter_horizontal = ("invited_organisations",)
    inlines = [InvitationInline]
    actions = ["send_invitations", "cancel_meetings"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        user = request.user

        def call(bound, cleaned):
            organisations = [o.pk for o in cleaned.get("invited_organisations") or ()]
            if obj is None:
                fields = {f: cleaned.get(f) for f in MEETING_FIELDS}
                return actions.do_create_meeting(
                    **fields, invited_organisations=organisations, acting_user=user
                )
            current = Meeting.objects.get(pk=obj.pk)
            changes = {f: cleaned.get(f) for f in MEETING_FIELDS if f in bound.changed_data}
            meeting = (
                actions.do_update_meeting(current, changes=changes, acting_user=user) if changes else current
            )
            known = set(current.invited_organisations.values_list("pk", flat=True))
            added = [pk for pk in organisations if pk not in known]
            if added:
                actions.do_invite_people(meeting, organisations=added, acting_user=user)
            return meeting

        form.call = staticmethod(call)
        return form

    def save_model(self, request, obj, form, change):
        form.instance = form.result  # saved by the action in form.clean

    def save_related(self, request, form, formsets, change):
        _nothing_more(formsets)  # the invited organisations and invitations are written by the action

    @admin.action(description=_("Send the invitations"))
    def send_invitations(self, request, queryset):
        for meeting in queryset:
            try:
                actions.do_send_invitations(meeting, acting_user=request.user)
            except EngineError as exc:
                self.message_user(request, f"{meeting}: {exc}", messages.ERROR)
            else:
                self.message_user(request, gettext("Invitations sent: %(title)s") % {"title": meeting.title})

    @admin.action(description=_("Cancel the meetings (the invited are told)"))
    def cancel_meetings(self, request, queryset):
        for meeting in queryset:
            try:
                actions.do_cancel_meeting(meeting, acting_user=request.user)
            except EngineError as exc:
                self.message_user(request, f"{meeting}: {exc}", messages.ERROR)


class ActionForm(ActionCallingForm):
    class Meta:
        model = Action
        fields = [
            "title",
            "description",
            "meeting",
            "decision",
            "owner_organisation",
            "owner_person",
            "due_date",
            "status",
            "abandon_reason",
            "commune",
            "qpv",
            "source",
        ]


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    form = ActionForm
    list_display = ("title", "owner_organisation", "due_date", "status", "meeting")
    list_filter = ("status", "meeting__kind")
    search_fields = ("title", "owner_organisation__name")
    autocomplete_fields = ("owner_organisation", "owner_person", "commune", "meeting")
    raw_id_fields = ("decision", "qpv")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        user = request.user

        def call(bound, cleaned):
            status, reason = (
                cleaned.get("status") or ActionStatus.PLANNED,
                cleaned.get("abandon_reason") or "",
            )
            if obj is None:
                fields = {k: v for k, v in cleaned.items() if k not in ("status", "abandon_reason")}
                action = actions.do_create_action(**fields, acting_user=user)
            else:
                action = Action.objects.get(pk=obj.pk)
                changed = bound.changed_data
                changes = {f: cleaned.get(f) for f in actions.follow_up.EDITABLE if f in changed}
                if changes:
                    action = actions.do_update_action(action, changes=changes, acting_user=user)
            if status != action.status:
                action = actions.do_change_action_status(
                    action, status=status, reason=reason, acting_user=user
                )
            return action

        form.call = staticmethod(call)
        return form

    def save_model(self, request, obj, form, change):
        form.instance = form.result

    def save_related(self, request, form, formsets, change):
        _nothing_more(formsets)


class QuestionnaireForm(ActionCallingForm):
    questions_text = forms.CharField(
        label=_("Questions"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "One question a line: type | question | choices separated by ; (types: text, number, choice, "
            "multiple_choice, file); add * at the end of the question for a required one."
        ),
    )

    class Meta:
        model = Questionnaire
        fields = ["meeting", "title", "introduction", "deadline", "reminder_at", "communes"]


def parse_questions(text):
    questions = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        qtype = parts[0] if parts[0] in QuestionType.values else "?"
        label = parts[1] if len(parts) > 1 else ""
        required = label.endswith("*")
        questions.append(
            {
                "type": qtype,
                "text": label.rstrip("*").strip(),
                "required": required,
                "choices": parts[2].split(";") if len(parts) > 2 else [],
            }
        )
    return questions


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    """Created here (the questions as lines of text) through the action; sent with the admin action."""

    form = QuestionnaireForm
    list_display = ("title", "meeting", "deadline", "sent_at", "reminder_sent_at")
    filter_horizontal = ("communes",)
    actions = ["send"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        user = request.user

        def call(bound, cleaned):
            return actions.do_create_questionnaire(
                cleaned["meeting"],
                title=cleaned.get("title"),
                introduction=cleaned.get("introduction") or "",
                deadline=cleaned.get("deadline"),
                reminder_at=cleaned.get("reminder_at"),
                communes=[c.pk for c in cleaned.get("communes") or ()],
                questions=parse_questions(cleaned.get("questions_text")),
                acting_user=user,
            )

        form.call = staticmethod(call)
        return form

    def save_model(self, request, obj, form, change):
        form.instance = form.result

    def save_related(self, request, form, formsets, change):
        _nothing_more(formsets)

    @admin.action(description=_("Send the questionnaire to the communes' referents"))
    def send(self, request, queryset):
        for questionnaire in queryset:
            try:
                actions.do_send_questionnaire(questionnaire, acting_user=request.user)
            except EngineError as exc:
                self.message_user(request, f"{questionnaire}: {exc}", messages.ERROR)


class RecommendationForm(ActionCallingForm):
    class Meta:
        model = Recommendation
        fields = ["project", "qpv", "issue", "recommendation", "source", "status", "answer"]


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    form = RecommendationForm
    list_display = ("project", "qpv", "status", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("qpv",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        user = request.user

        def call(bound, cleaned):
            if obj is None:
                row = actions.do_create_recommendation(
                    project=cleaned.get("project") or "",
                    qpv=cleaned.get("qpv"),
                    issue=cleaned.get("issue"),
                    recommendation=cleaned.get("recommendation"),
                    source=cleaned.get("source") or "",
                    acting_user=user,
                )
            else:
                row = Recommendation.objects.get(pk=obj.pk)
            if (cleaned.get("status"), cleaned.get("answer") or "") != (row.status, row.answer):
                row = actions.do_answer_recommendation(
                    row, status=cleaned.get("status"), answer=cleaned.get("answer") or "", acting_user=user
                )
            return row

        form.call = staticmethod(call)
        return form

    def save_model(self, request, obj, form, change):
        form.instance = form.result


class GuidePageVersionInline(LabelledTabularInline):
    model = GuidePageVersion
    fields = ("number", "title", "author", "at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class GuidePageForm(ActionCallingForm):
    class Meta:
        model = GuidePage
        fields = ["slug", "title", "body", "categories", "urgency_criteria", "steps"]


@admin.register(GuidePage)
class GuidePageAdmin(admin.ModelAdmin):
    form = GuidePageForm
    list_display = ("title", "slug", "version", "updated_at", "updated_by")
    search_fields = ("title", "body")
    filter_horizontal = ("categories", "urgency_criteria")
    inlines = [GuidePageVersionInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        user = request.user

        def call(bound, cleaned):
            return actions.do_save_guide_page(
                page=GuidePage.objects.get(pk=obj.pk) if obj else None,
                slug=cleaned.get("slug"),
                title=cleaned.get("title"),
                body=cleaned.get("body"),
                categories=cleaned.get("categories"),
                urgency_criteria=cleaned.get("urgency_criteria"),
                steps=cleaned.get("steps") or [],
                acting_user=user,
            )

        form.call = staticmethod(call)
        return form

    def save_model(self, request, obj, form, change):
        form.instance = form.result

    def save_related(self, request, form, formsets, change):
        _nothing_more(formsets)


@admin.register(SteeringAuditEntry)
class SteeringAuditEntryAdmin(admin.ModelAdmin):
    """Read only: entries are written by steering.actions."""

    list_display = ("at", "event", "target", "actor")
    list_filter = ("event",)
    search_fields = ("target", "actor__username")
    list_select_related = ("actor",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
