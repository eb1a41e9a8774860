"""Forms of access (invitations, access requests, the people page). They collect input; the rules are
in accounts.actions, whose errors are put back on the fields (web.forms.add_engine_errors)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import Organisation
from directory.roles import Role


def role_choices(roles):
    return [(value, label) for value, label in Role.choices if value in roles]


class AcceptInvitationForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and @ . + - _ only; you will sign in with it."),
    )
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password_again = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") and cleaned.get("password") != cleaned.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return cleaned


class AccessRequestForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("Professional e-mail"))
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.order_by("name"), empty_label=_("Choose…")
    )
    job_title = forms.CharField(label=_("Function"), max_length=200)
    reason = forms.CharField(
        label=_("Why do you need access?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    job_title = forms.CharField(label=_("Function"), max_length=200, required=False)
    roles = forms.MultipleChoiceField(label=_("Roles"), widget=forms.CheckboxSelectMultiple, choices=())

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = role_choices(roles)


class ApproveForm(forms.Form):
    roles = forms.MultipleChoiceField(label=_("Roles"), widget=forms.CheckboxSelectMultiple, choices=())

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = role_choices(roles)


class RefuseForm(forms.Form):
    refusal_reason = forms.CharField(
        label=_("Reason for refusal"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
