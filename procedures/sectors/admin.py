"""Sub-sector procedures in the Django admin: read everything, and change a version's lifecycle (submit,
suspend, resume, end, recompute its land shares) through the same actions as the API. Content is edited
through the API and its actions (every field checked there); the admin never writes a row itself."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from engine.errors import EngineError
from procedures.sectors import actions, approvals
from procedures.sectors.models import (
    SectorApproval,
    SectorAuditEntry,
    SectorEvaluation,
    SectorPartner,
    SectorProcedure,
    SectorSplitRow,
    SectorVersion,
    SectorZone,
    ServiceLevelOverride,
)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PartnerInline(ReadOnlyMixin, admin.TabularInline):
    model = SectorPartner
    fields = ("organisation", "referent", "role")
    extra = 0


class ZoneInline(ReadOnlyMixin, admin.TabularInline):
    model = SectorZone
    fields = ("name", "area_m2")
    readonly_fields = ("area_m2",)
    extra = 0


class SplitInline(ReadOnlyMixin, admin.TabularInline):
    model = SectorSplitRow
    fields = ("category", "category_group", "zone", "season_start", "season_end", "unit", "what")
    extra = 0


class OverrideInline(ReadOnlyMixin, admin.TabularInline):
    model = ServiceLevelOverride
    fields = ("category", "urgency", "acknowledge_hours", "resolve_hours")
    extra = 0


class ApprovalInline(ReadOnlyMixin, admin.TabularInline):
    model = SectorApproval
    fields = ("round", "partner", "state", "comment", "remind_at", "reminded_at", "answered_at")
    extra = 0


def _run(modeladmin, request, queryset, call, done):
    for version in queryset:
        try:
            call(version, acting_user=request.user)
        except EngineError as exc:
            modeladmin.message_user(request, f"{version}: {exc}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"{version}: {done}", messages.SUCCESS)


@admin.action(description=_("Send for approval"))
def submit(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, approvals.do_submit_sector_version, _("sent for approval"))


@admin.action(description=_("Suspend"))
def suspend(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, actions.do_suspend_sector_version, _("suspended"))


@admin.action(description=_("Resume"))
def resume(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, actions.do_resume_sector_version, _("resumed"))


@admin.action(description=_("End"))
def end(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, actions.do_end_sector_version, _("ended"))


@admin.action(description=_("Recompute the land shares"))
def recompute(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, actions.do_recompute_sector_shares, _("land shares recomputed"))


@admin.register(SectorVersion)
class SectorVersionAdmin(admin.ModelAdmin):
    list_display = ("procedure", "number", "status", "effective_from", "delegated_manager", "area_m2")
    list_filter = ("status",)
    search_fields = ("procedure__code", "procedure__title")
    inlines = [PartnerInline, ZoneInline, SplitInline, OverrideInline, ApprovalInline]
    actions = [submit, suspend, resume, end, recompute]
    readonly_fields = (
        "procedure", "number", "status", "description", "goals", "starts_on", "ends_on", "effective_from",
        "evaluation_month", "perimeter_source", "area_m2", "land_shares", "land_area_m2", "delegated_manager",
        "intervention_version", "created_by", "created_at", "submitted_at", "activated_at", "ended_at",
    )  # fmt: skip
    exclude = ("geometry", "min_lon", "min_lat", "max_lon", "max_lat", "subsectors", "parcels")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SectorProcedure)
class SectorProcedureAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "title", "project_lead", "created_at")
    search_fields = ("code", "title")


@admin.register(SectorEvaluation)
class SectorEvaluationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("procedure", "year", "version", "decision", "decided_at")
    list_filter = ("decision",)


@admin.register(SectorAuditEntry)
class SectorAuditEntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("at", "procedure", "event", "actor")
    list_filter = ("event",)
