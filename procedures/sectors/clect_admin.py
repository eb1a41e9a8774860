"""CLECT groups in the Django admin: a group is created and renamed, a member added and its membership
ended, each through the actions of procedures.sectors.clect (their refusals show on the form's fields and
nothing is saved); the audit trail is read only."""

from django import forms
from django.contrib import admin
from django.forms.models import construct_instance

from engine.errors import EngineError, InvalidFields
from procedures.sectors import clect
from procedures.sectors.clect_models import ClectAuditEntry, ClectGroup, ClectMembership


class ActionForm(forms.ModelForm):
    """Calls ``call(cleaned_data)`` (set by the admin) once the form is valid: the action's refusal becomes
    the form's errors; ``save_model`` only keeps what it returned."""

    call = None
    result = None

    def _post_clean(self):  # no model validation: the action checks everything, then writes
        self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)
        if self.errors or self.call is None:
            return
        try:
            self.result = self.call(self.cleaned_data)
        except InvalidFields as exc:
            for field, message in exc.errors.items():
                name = "perimeter" if field == "member" else field
                self.add_error(name if name in self.fields else None, str(message))
        except EngineError as exc:
            self.add_error(None, str(exc))


class MembershipInline(admin.TabularInline):
    model = ClectMembership
    fields = ("perimeter", "procedure", "starts_on", "ends_on", "added_by", "added_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ClectGroup)
class ClectGroupAdmin(admin.ModelAdmin):
    form = ActionForm
    list_display = ("name", "code", "created_at")
    search_fields = ("code", "name")
    inlines = [MembershipInline]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # no members before the group exists

    def get_fields(self, request, obj=None):
        return (
            ("code", "name", "description") if obj is None else ("code", "name", "description", "created_by")
        )

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("code", "created_by")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        user = request.user

        def call(cleaned):
            if obj is None:
                return clect.do_create_clect_group(
                    acting_user=user,
                    code=cleaned.get("code"),
                    name=cleaned.get("name"),
                    description=cleaned.get("description", ""),
                )
            return clect.do_change_clect_group(
                ClectGroup.objects.get(pk=obj.pk),
                acting_user=user,
                name=cleaned.get("name"),
                description=cleaned.get("description", ""),
            )

        form.call = staticmethod(call)
        return form

    def save_model(self, request, obj, form, change):
        form.instance = form.result  # written by the action in the form's validation

    def save_related(self, request, form, formsets, change):
        for formset in formsets:  # the inline is read only
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ClectMembership)
class ClectMembershipAdmin(admin.ModelAdmin):
    """Add a member (perimeter or procedure) from a date; on an existing membership only its end changes."""

    form = ActionForm
    list_display = ("group", "perimeter", "procedure", "starts_on", "ends_on")
    list_filter = ("group",)
    raw_id_fields = ("perimeter",)

    def get_fields(self, request, obj=None):
        return ("group", "perimeter", "procedure", "starts_on", "ends_on")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("group", "perimeter", "procedure", "starts_on")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        user = request.user

        def call(cleaned):
            if obj is None:
                return clect.do_add_clect_member(
                    cleaned.get("group"),
                    acting_user=user,
                    perimeter=cleaned.get("perimeter"),
                    procedure=cleaned.get("procedure"),
                    starts_on=cleaned.get("starts_on"),
                    ends_on=cleaned.get("ends_on"),
                )
            current = ClectMembership.objects.get(pk=obj.pk)
            if cleaned.get("ends_on") == current.ends_on:
                return current
            return clect.do_end_clect_membership(current, acting_user=user, ends_on=cleaned.get("ends_on"))

        form.call = staticmethod(call)
        return form

    def save_model(self, request, obj, form, change):
        form.instance = form.result
        obj.pk = form.result.pk

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ClectAuditEntry)
class ClectAuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "group", "event", "actor")
    list_filter = ("event",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
