"""Invitations, access requests and retention records in the admin: read only (they are written by
accounts.actions, from the people page, the login page and the worker)."""

from django.contrib import admin

from accounts.models import AccessRequest, Invitation, RetentionRecord


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("email", "organisation", "roles", "invited_by", "created_at", "expires_at", "accepted_at")
    list_filter = ("organisation",)
    search_fields = ("email", "last_name")
    exclude = ("secret",)


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyAdmin):
    list_display = ("email", "organisation", "status", "created_at", "decided_by", "decided_at")
    list_filter = ("status", "organisation")
    search_fields = ("email", "last_name")


@admin.register(RetentionRecord)
class RetentionRecordAdmin(ReadOnlyAdmin):
    list_display = ("request", "anonymised_at", "changes")
