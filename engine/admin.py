"""Admin: procedures (upload YAML, problems in plain words, publish/retire, diagram, migrate running
cases), cases (read-only, with their audit trail), business calendars."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import TransitionNotAllowed
from guardian.admin import GuardedModelAdmin

from engine import diagram
from engine.actions import (
    do_migrate_cases,
    do_publish_version,
    do_retire_version,
    do_store_version,
    plan_migration,
)
from engine.definitions import parse_definition
from engine.errors import DefinitionInvalid, EngineError
from engine.models import (
    Alert,
    AuditEntry,
    BusinessCalendar,
    Case,
    CaseUserObjectPermission,
    ClosureDay,
    Deadline,
    OutboxEvent,
    Procedure,
    ProcedureVersion,
    RoleHolder,
    VersionEvent,
    VersionStatus,
)
from gup.admin_inlines import LabelledTabularInline


def _language():
    """The admin page's language, for the diagram's labels ("fr" or "en")."""
    return (get_language() or "fr").split("-")[0]


class ReadOnlyInline(LabelledTabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- procedures ------------------------------------------------------------------------------------
def running_case_count(version):
    return version.cases.exclude(phase="closed").count()


def version_use(version):
    """What a version is used for: new cases open on the latest published version (``do_open_case``);
    an older published version only keeps the cases already running on it."""
    if version.status != VersionStatus.PUBLISHED:
        return version.get_status_display()
    latest = version.procedure.latest_published()
    if latest is not None and latest.pk == version.pk:
        return _("used for new requests")
    return _("published, running cases only (%(count)d running)") % {"count": running_case_count(version)}


class VersionInline(ReadOnlyInline):
    model = ProcedureVersion
    fields = ("number", "status", "use", "running_cases", "published_at", "retired_at")
    readonly_fields = fields
    show_change_link = True

    @admin.display(description=_("use"))
    def use(self, obj):
        return version_use(obj)

    @admin.display(description=_("running cases"))
    def running_cases(self, obj):
        return running_case_count(obj)


@admin.register(Procedure)
class ProcedureAdmin(GuardedModelAdmin):
    list_display = ("code", "title", "latest_published_number")
    search_fields = ("code", "title")
    inlines = [VersionInline]
    readonly_fields = ("code", "title", "created_at")

    def has_add_permission(self, request):
        return False  # procedures are created by uploading a version

    @admin.display(description=_("version used for new requests"))
    def latest_published_number(self, obj):
        version = obj.latest_published()
        return version.number if version else "-"


class VersionUploadForm(forms.ModelForm):
    yaml_file = forms.FileField(label=_("YAML file"), required=False, help_text=_("Or paste the text below."))
    source = forms.CharField(
        label=_("YAML source"), widget=forms.Textarea(attrs={"rows": 30, "cols": 100}), required=False
    )
    publish_now = forms.BooleanField(label=_("Publish at once"), required=False)

    class Meta:
        model = ProcedureVersion
        fields = ()

    def clean(self):
        data = super().clean()
        upload = data.get("yaml_file")
        text = data.get("source") or ""
        if upload:
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise ValidationError(_("The file is not UTF-8 text.")) from None
        if not text.strip():
            raise ValidationError(_("Upload a YAML file or paste its text."))
        try:
            parse_definition(text)
        except DefinitionInvalid as error:
            raise ValidationError([ValidationError(problem) for problem in error.problems]) from None
        data["text"] = text
        return data


class VersionEventInline(ReadOnlyInline):
    model = VersionEvent
    fields = readonly_fields = ("at", "actor", "event", "from_status", "to_status")
    ordering = ("at", "pk")


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(admin.ModelAdmin):
    class Media:
        css = {"all": ["engine/admin.css"]}

    def get_inlines(self, request, obj):
        return [VersionEventInline] if obj is not None else []  # the history of a stored version

    list_display = ("procedure", "number", "status", "use", "published_at", "retired_at", "running_cases")
    list_filter = ("status", "procedure")
    actions = ["publish_versions", "retire_versions"]
    readonly_fields = (
        "procedure",
        "number",
        "status",
        "use",
        "created_at",
        "published_at",
        "retired_at",
        "diagram_svg",
        "diagram_mermaid",
        "migrate_link",
        "source",
    )

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = VersionUploadForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("yaml_file", "source", "publish_now")
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)  # lists, but never edits

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        version = do_store_version(
            form.cleaned_data["text"],
            acting_user=request.user,
            publish=form.cleaned_data.get("publish_now", False),
        )
        obj.pk, obj.procedure, obj.number = version.pk, version.procedure, version.number

    def save_related(self, request, form, formsets, change):
        pass

    @admin.display(description=_("running cases"))
    def running_cases(self, obj):
        return running_case_count(obj)

    @admin.display(description=_("use"))
    def use(self, obj):
        return version_use(obj)

    @admin.display(description=_("diagram"))
    def diagram_svg(self, obj):
        return mark_safe(f'<div class="procedure-diagram">{diagram.svg(obj.definition, _language())}</div>')

    @admin.display(description=_("Mermaid text"))
    def diagram_mermaid(self, obj):
        return format_html("<pre>{}</pre>", diagram.mermaid(obj.definition, _language()))

    @admin.display(description=_("migrate running cases"))
    def migrate_link(self, obj):
        if obj.status != VersionStatus.PUBLISHED:
            return _("Only a published version can receive cases.")
        url = reverse("admin:engine_procedureversion_migrate", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Move running cases of another version to this one"))

    def _lifecycle(self, request, queryset, action, verb):
        done = 0
        for version in queryset:
            try:
                action(version, acting_user=request.user)
                done += 1
            except (TransitionNotAllowed, EngineError):
                self.message_user(
                    request,
                    _("%(version)s cannot be %(verb)s from status %(status)s.")
                    % {
                        "version": f"{version.procedure.code} v{version.number}",
                        "verb": verb,
                        "status": version.get_status_display(),
                    },
                    messages.ERROR,
                )
        if done:
            self.message_user(request, _("%(count)s version(s) %(verb)s.") % {"count": done, "verb": verb})

    @admin.action(description=_("Publish the selected draft versions"))
    def publish_versions(self, request, queryset):
        self._lifecycle(request, queryset, do_publish_version, _("published"))

    @admin.action(description=_("Retire the selected published versions"))
    def retire_versions(self, request, queryset):
        self._lifecycle(request, queryset, do_retire_version, _("retired"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/migrate/",
                self.admin_site.admin_view(self.migrate_view),
                name="engine_procedureversion_migrate",
            ),
            *super().get_urls(),
        ]

    def migrate_view(self, request, pk):
        if not request.user.has_perm("engine.change_case"):
            return redirect("admin:index")
        target = get_object_or_404(ProcedureVersion, pk=pk)
        others = target.procedure.versions.exclude(pk=target.pk).order_by("-number")
        form = MigrateForm(request.POST or None, versions=others, target=target)
        problems = []
        if request.method == "POST" and form.is_valid():
            source_number, mapping = form.cleaned_data["source"], form.cleaned_data["mapping"]
            try:
                if "confirm" in request.POST:
                    moved = do_migrate_cases(
                        target.procedure.code,
                        source_number,
                        target.number,
                        mapping,
                        acting_user=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                    self.message_user(request, _("%(count)s running case(s) moved.") % {"count": moved})
                    return redirect("admin:engine_procedureversion_change", target.pk)
                plan_migration(target.procedure.code, source_number, target.number, mapping)
                self.message_user(
                    request, _("The mapping covers every state in use: confirm to move the cases.")
                )
            except DefinitionInvalid as error:
                problems = error.problems
        context = {
            **self.admin_site.each_context(request),
            "title": _("Move running cases to %(version)s")
            % {"version": f"{target.procedure.code} v{target.number}"},
            "form": form,
            "problems": problems,
            "target": target,
            "target_states": list(target.definition["states"]),
            "opts": self.model._meta,
        }
        return render(request, "admin/engine/migrate_cases.html", context)


class MigrateForm(forms.Form):
    source = forms.TypedChoiceField(label=_("from version"), coerce=int)
    mapping = forms.CharField(
        label=_("state mapping"),
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60}),
        help_text=_("One line per state in use: old_state=new_state."),
    )
    reason = forms.CharField(label=_("reason"), required=False)

    def __init__(self, *args, versions, target, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [(v.number, f"v{v.number} ({v.status})") for v in versions]

    def clean_mapping(self):
        from engine.management.commands.migrate_cases import parse_mapping

        lines = [line.strip() for line in self.cleaned_data["mapping"].splitlines() if line.strip()]
        mapping, problems = parse_mapping(lines)
        if problems:
            raise ValidationError(problems)
        return mapping


# --- cases -----------------------------------------------------------------------------------------
class RoleHolderInline(ReadOnlyInline):
    model = RoleHolder
    fields = readonly_fields = ("role", "party", "assigned_at")


class AuditInline(ReadOnlyInline):
    model = AuditEntry
    fields = readonly_fields = ("at", "actor", "event", "from_state", "to_state", "fields", "reason", "data")
    ordering = ("at", "pk")


class DeadlineInline(ReadOnlyInline):
    model = Deadline
    fields = readonly_fields = ("kind", "state", "started_at", "due_at", "remaining_seconds", "stopped_at")


class AlertInline(ReadOnlyInline):
    model = Alert
    fields = readonly_fields = ("code", "state", "to_role", "raised_at", "answer_due_at", "outcome")


class ShareInline(ReadOnlyInline):
    """One-off shares (read only here: they are granted and taken back through the engine's actions)."""

    model = CaseUserObjectPermission
    fields = readonly_fields = ("user", "granted_by", "granted_at")
    verbose_name_plural = _("shared with (read only)")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("__str__", "procedure", "version", "state", "phase", "revision", "updated_at")
    list_filter = ("procedure", "phase")
    search_fields = ("reference",)
    list_select_related = ("procedure", "version__procedure")
    inlines = [RoleHolderInline, DeadlineInline, AlertInline, ShareInline, AuditInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "case", "created_at", "delivered_at", "attempts")
    list_filter = ("kind",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- calendars -------------------------------------------------------------------------------------
class ClosureDayInline(LabelledTabularInline):
    model = ClosureDay
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "weekdays", "hours", "public_holidays", "time_zone")
    inlines = [ClosureDayInline]
