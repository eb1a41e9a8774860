"""TFPB in the admin: the axes are edited through tfpb.actions.do_save_axis; conventions, programmes and the
audit are read only here (they are written through the TFPB pages and the API, i.e. tfpb.actions)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from engine.errors import RoleNotAllowed
from gup.admin_inlines import LabelledTabularInline
from tfpb import actions
from tfpb.models import Action, Axis, Convention, Programme, TfpbAuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Axis)
class AxisAdmin(admin.ModelAdmin):
    list_display = ("position", "name", "code", "is_active")
    list_display_links = ("name",)
    ordering = ("position", "name")

    def save_model(self, request, obj, form, change):
        try:
            actions.do_save_axis(obj, acting_user=request.user, changed_fields=form.changed_data)
        except RoleNotAllowed as exc:
            messages.error(request, str(exc))
            raise PermissionDenied(str(exc)) from exc

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Convention)
class ConventionAdmin(ReadOnlyAdmin):
    list_display = ("reference", "landlord", "start_year", "end_year", "dwellings", "expected_abatement_eur")
    list_filter = ("start_year",)
    search_fields = ("reference", "landlord__name")
    list_select_related = ("landlord",)


class ActionInline(LabelledTabularInline):
    model = Action
    fields = ("axis", "title", "planned_amount_eur", "realised_amount_eur")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Programme)
class ProgrammeAdmin(ReadOnlyAdmin):
    list_display = ("convention", "year", "qpv", "expected_abatement_eur", "status", "review_status")
    list_filter = ("year", "status", "review_status")
    list_select_related = ("convention__landlord", "qpv")
    inlines = [ActionInline]


@admin.register(TfpbAuditEntry)
class TfpbAuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "event", "target", "actor")
    list_filter = ("event",)
    search_fields = ("target",)
    list_select_related = ("actor",)
