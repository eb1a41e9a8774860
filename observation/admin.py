"""The observation's admin: fines are added through the action; the rest is read only (written by the
actions, the worker and the commands)."""

from django import forms
from django.contrib import admin

from observation import actions
from observation.actions.fines import fine_errors
from observation.models import (
    AggregatedMonth,
    AnnualReview,
    BacklogSnapshot,
    Fine,
    ObservationAuditEntry,
    ReviewRun,
    SnapshotMonth,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FineForm(forms.ModelForm):
    class Meta:
        model = Fine
        fields = ("request", "issued_on", "kind", "amount_eur")

    def clean(self):
        data = super().clean()
        if data.get("request") is not None:
            errors, _amount = fine_errors(
                data["request"], issued_on=data.get("issued_on"), kind=data.get("kind"),
                amount_eur=data.get("amount_eur"),
            )  # fmt: skip
            for field, message in errors.items():
                self.add_error(field, message)
        return data


@admin.register(Fine)
class FineAdmin(admin.ModelAdmin):
    form = FineForm
    list_display = ("issued_on", "kind", "amount_eur", "request", "recorded_by")
    list_filter = ("kind",)
    autocomplete_fields = ("request",)
    fields = ("request", "issued_on", "kind", "amount_eur")

    def has_change_permission(self, request, obj=None):
        return obj is None  # a fine is recorded, never edited

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = actions.do_record_fine(
            obj.request, issued_on=obj.issued_on, kind=obj.kind, amount_eur=obj.amount_eur,
            acting_user=request.user,
        )  # fmt: skip
        obj.pk = saved.pk


@admin.register(SnapshotMonth)
class SnapshotMonthAdmin(ReadOnlyAdmin):
    list_display = ("month", "taken_at", "rows")


@admin.register(AggregatedMonth)
class AggregatedMonthAdmin(ReadOnlyAdmin):
    list_display = ("month", "refreshed_at")


@admin.register(BacklogSnapshot)
class BacklogSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("month", "commune", "in_qpv", "category", "handler_unit", "open_count", "overdue_count")
    list_filter = ("month", "in_qpv")


@admin.register(AnnualReview)
class AnnualReviewAdmin(ReadOnlyAdmin):
    list_display = ("year", "commune", "version", "state", "generated_at", "published_at")
    list_filter = ("state", "year")
    exclude = ("figures", "charts")


@admin.register(ReviewRun)
class ReviewRunAdmin(ReadOnlyAdmin):
    list_display = ("year", "state", "done", "total", "requested_at", "finished_at")


@admin.register(ObservationAuditEntry)
class ObservationAuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "event", "target", "actor")
    list_filter = ("event",)
