from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError

from api import actions
from api.models import ApiAuditEntry, ApiToken, WebhookDelivery, WebhookSubscription
from engine.errors import InvalidFields, RoleNotAllowed


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued through the API (which shows the key once); the admin revokes them."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at"]
    readonly_fields = ["name", "user", "prefix", "created_at", "last_used_at"]
    search_fields = ["name", "prefix"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        try:
            actions.do_revoke_api_token(obj, acting_user=request.user)
        except RoleNotAllowed as exc:
            raise PermissionDenied(str(exc)) from None

    def delete_queryset(self, request, queryset):
        for token in queryset:
            self.delete_model(request, token)


class WebhookSubscriptionForm(forms.ModelForm):
    """The same checks as the API's, from the action layer."""

    url = forms.URLField(
        label=WebhookSubscription._meta.get_field("url").verbose_name, max_length=500, assume_scheme="https"
    )

    def clean_url(self):
        try:
            return actions.clean_webhook_url(self.cleaned_data.get("url"))
        except InvalidFields as exc:
            raise ValidationError(exc.errors["url"]) from None

    def clean_event_types(self):
        try:
            return actions.webhooks.clean_event_types(self.cleaned_data.get("event_types"))
        except InvalidFields as exc:
            raise ValidationError(exc.errors["event_types"]) from None


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """Created, changed and deleted through api.actions (audited)."""

    form = WebhookSubscriptionForm

    list_display = ["organisation", "created_by", "url", "is_active", "consecutive_failures", "disabled_at"]
    list_filter = ["is_active"]
    fields = [
        "organisation",
        "created_by",
        "url",
        "event_types",
        "is_active",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "created_at",
    ]
    readonly_fields = ["consecutive_failures", "disabled_at", "disabled_reason", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["organisation", "created_by"] if obj is not None else []
        return [*fixed, *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        try:
            self._save(request, obj, form, change)
        except RoleNotAllowed as exc:
            raise PermissionDenied(str(exc)) from None

    def _save(self, request, obj, form, change):
        if change:
            changes = {
                name: form.cleaned_data[name]
                for name in actions.webhooks.EDITABLE
                if name in form.changed_data
            }
            saved = actions.do_update_webhook_subscription(obj, acting_user=request.user, **changes)
        else:
            saved = actions.do_create_webhook_subscription(
                acting_user=request.user,
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["event_types"],
                owner=form.cleaned_data.get("created_by") or request.user,
                organisation=form.cleaned_data.get("organisation"),
            )
            if not form.cleaned_data.get("is_active", True):
                saved = actions.do_update_webhook_subscription(
                    saved, acting_user=request.user, is_active=False
                )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        try:
            actions.do_delete_webhook_subscription(obj, acting_user=request.user)
        except RoleNotAllowed as exc:
            raise PermissionDenied(str(exc)) from None

    def delete_queryset(self, request, queryset):
        for subscription in queryset:
            self.delete_model(request, subscription)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_id", "event_type", "subscription", "status", "attempts", "last_status_code"]
    list_filter = ["status", "event_type"]
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiAuditEntry)
class ApiAuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "event", "object_id", "actor", "owner"]
    list_filter = ["event"]
    readonly_fields = [field.name for field in ApiAuditEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
