"""Admin of the diagnostics: grid versions are written as YAML (a new version, or a draft edited), copied
into a new draft, published and retired through diagnostics.actions; diagnostics, findings and the audit
are read here (they are prepared, recorded and converted in the web pages and the API)."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from diagnostics import actions, definitions
from diagnostics.models import Diagnostic, DiagnosticAuditEntry, Finding, GridVersion, RouteTrack
from engine.errors import InvalidFields


class GridVersionForm(forms.ModelForm):
    class Meta:
        model = GridVersion
        fields = ["source"]
        widgets = {"source": forms.Textarea(attrs={"rows": 30, "cols": 110, "spellcheck": "false"})}

    def clean_source(self):
        source = self.cleaned_data["source"]
        try:
            definitions.parse(source)
        except definitions.GridInvalid as exc:
            raise forms.ValidationError(exc.problems) from None
        return source


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GridVersion)
class GridVersionAdmin(admin.ModelAdmin):
    form = GridVersionForm
    list_display = ("__str__", "grid", "number", "status", "published_at", "retired_at")
    list_filter = ("status", "grid")
    actions = ["copy_versions", "publish_versions", "retire_versions"]
    readonly_fields = ("grid", "number", "status", "copied_from", "created_at", "published_at", "retired_at")

    def get_fields(self, request, obj=None):
        return ("source",) if obj is None else (*self.readonly_fields, "source")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return self.readonly_fields if obj.status == "draft" else (*self.readonly_fields, "source")

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        source = form.cleaned_data["source"]
        if change:
            version = actions.do_edit_grid_version(obj, source, acting_user=request.user)
        else:
            version = actions.do_create_grid_version(source, acting_user=request.user)
        obj.pk, obj.grid, obj.number, obj.definition = (
            version.pk,
            version.grid,
            version.number,
            version.definition,
        )

    def save_related(self, request, form, formsets, change):
        pass

    def _each(self, request, queryset, action, done):
        count = 0
        for version in queryset:
            try:
                action(version, acting_user=request.user)
                count += 1
            except InvalidFields as exc:
                self.message_user(
                    request, f"{version}: {' '.join(map(str, exc.errors.values()))}", messages.ERROR
                )
        if count:
            self.message_user(request, done % {"n": count}, messages.SUCCESS)

    @admin.action(description=_("Copy as a new draft"))
    def copy_versions(self, request, queryset):
        self._each(request, queryset, actions.do_copy_grid_version, _("%(n)d draft(s) created."))

    @admin.action(description=_("Publish"))
    def publish_versions(self, request, queryset):
        self._each(request, queryset, actions.do_publish_grid_version, _("%(n)d version(s) published."))

    @admin.action(description=_("Retire"))
    def retire_versions(self, request, queryset):
        self._each(request, queryset, actions.do_retire_grid_version, _("%(n)d version(s) retired."))


@admin.register(Diagnostic)
class DiagnosticAdmin(ReadOnlyAdmin):
    list_display = ("title", "commune", "qpv", "date", "status", "grid_version")
    list_filter = ("status", "commune")
    search_fields = ("title",)


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ("pk", "diagnostic", "item", "rating", "outcome", "request", "observed_at")
    list_filter = ("outcome",)
    list_select_related = ("diagnostic", "item", "request")


@admin.register(RouteTrack)
class RouteTrackAdmin(ReadOnlyAdmin):
    list_display = ("pk", "diagnostic", "recorded_by", "points_count", "length_m", "started_at", "ended_at")
    list_select_related = ("diagnostic", "recorded_by")


@admin.register(DiagnosticAuditEntry)
class DiagnosticAuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "event", "target")
    list_filter = ("event",)
    search_fields = ("target",)
