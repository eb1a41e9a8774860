"""Invitations, access requests and retention records in the admin: read only (they are written by
accounts.actions, from the people page, the login page and the worker)."""

import json

from django.contrib import admin, messages
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.actions import personal_data
from accounts.models import AccessRequest, Invitation, RetentionRecord
from directory.admin import UserAdmin
from engine.errors import EngineError


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


# --- a person's data from the users' list: export (JSON) and anonymisation on request ----------------


@admin.action(description=_("Export the personal data (JSON)"))
def export_personal_data(modeladmin, request, queryset):
    people = queryset.select_related("organisation", "unit").order_by("pk")
    data = [personal_data.export_person_data(person) for person in people]
    response = HttpResponse(
        json.dumps(data[0] if len(data) == 1 else data, ensure_ascii=False, indent=1),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="personal-data.json"'
    return response


@admin.action(description=_("Anonymise (on the person's request)"))
def anonymise_people(modeladmin, request, queryset):
    people = list(queryset.order_by("pk"))
    if request.POST.get("confirm") != "yes":
        return TemplateResponse(
            request,
            "admin/accounts/confirm_anonymise.html",
            {**modeladmin.admin_site.each_context(request), "people": people, "opts": modeladmin.model._meta},
        )
    done = 0
    for person in people:
        try:
            personal_data.do_anonymise_person(person, acting_user=request.user)
        except EngineError as exc:
            modeladmin.message_user(request, str(exc), messages.ERROR)
            return None
        done += 1
    modeladmin.message_user(
        request, ngettext("%(n)d account anonymised.", "%(n)d accounts anonymised.", done) % {"n": done}
    )
    return None


# The users' admin is directory's (directory must not depend on accounts): its actions are added here.
UserAdmin.actions = [*(UserAdmin.actions or []), export_personal_data, anonymise_people]
