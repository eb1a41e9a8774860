"""Forms of the interface. They collect and present input; the checks that matter (and every rule about
what a request may become) are made by procedures.actions and the engine, whose errors are put back on
the fields here (``add_engine_errors``)."""

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from directory.models import Organisation, OrganisationKind, Unit, User
from engine.errors import GuardFailed, InvalidFields
from procedures import conf
from procedures.actions.references import put_in_charge_candidates
from procedures.attributes import number_error_message, parse_number
from procedures.models import AttributeType, Category, Urgency
from procedures.uploads import max_size_text
from web.labels import localized


def _file_help():
    return gettext("JPEG, PNG, GIF, WebP or PDF, %(size)s at most.") % {"size": max_size_text()}


def _photos_help():
    return gettext("JPEG, PNG, GIF, WebP or PDF: up to %(count)d files, %(size)s at most each.") % {
        "count": conf.get("GUP_UPLOAD_MAX_FILES"),
        "size": max_size_text(),
    }


# Said when the form is shown, in its language and with the limits configured then.
file_help = lazy(_file_help, str)
photos_help = lazy(_photos_help, str)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class NumberField(forms.FloatField):
    """A decimal number typed with a point or a comma ("49.0085" or "49,0085"); anything ambiguous is
    refused with a message (procedures.attributes.parse_number), never changed. A text input with a
    decimal keypad, not <input type=number>: a browser may read a comma as a thousands separator there
    (or drop the value) depending on its language."""

    widget = forms.TextInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault("invalid", number_error_message())
        super().__init__(*args, **kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"})
        return attrs

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, int | float):
            return float(value)
        try:
            return parse_number(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


def add_engine_errors(form, error, prefix_map=None):
    """Put an engine/action error on the form's fields (unknown fields become form-wide errors)."""
    prefix_map = prefix_map or {}
    if isinstance(error, InvalidFields):
        items = error.errors.items()
    elif isinstance(error, GuardFailed):
        items = [(error.field, str(error))]
    else:
        items = [(None, str(error))]
    for field, message in items:
        name = prefix_map.get(field, field)
        if name and name.startswith("attributes."):
            name = "attr_" + name.split(".", 1)[1]
        if name == "location":
            name = "lat"
        if name in form.fields:
            form.add_error(name, str(message))
        else:
            form.add_error(None, str(message))
    return form


# --- filing ----------------------------------------------------------------------------------------------
def category_choices():
    """Active categories grouped by their group, as <optgroup>s."""
    groups = {}
    for category in (
        Category.objects.filter(is_active=True)
        .select_related("group")
        .order_by("group__position", "group__name", "name")
    ):
        groups.setdefault(category.group.localized_name, []).append((category.code, category.localized_name))
    return [("", "---------"), *groups.items()]


class FileRequestForm(forms.Form):
    """File a request. The category's own attributes and urgency criteria are added for the chosen one."""

    category = forms.ChoiceField(label=_("Category"))
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What is wrong, and where exactly (landmarks)."),
        max_length=5000,
    )
    address = forms.CharField(label=_("Address or landmark"), required=False, max_length=300)
    lat = NumberField(
        label=_("Latitude"),
        help_text=_("Click the map to place the point, or type the coordinates (WGS84 degrees)."),
    )
    lon = NumberField(label=_("Longitude"))
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL, widget=forms.RadioSelect
    )
    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
        help_text=photos_help(),
        widget=MultipleFileInput(attrs={"accept": "image/*,application/pdf"}),
    )
    confirm_no_criterion = forms.BooleanField(
        label=_("I file it as urgent without an objective criterion (the DVQ will be alerted)"),
        required=False,
    )
    personal_data = forms.BooleanField(
        label=_("This description holds personal data (a name, contact details, a person's situation)"),
        help_text=_("It will be erased when the retention period of the closed request ends."),
        required=False,
    )

    def __init__(self, *args, category=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        self.category = category
        self.attribute_names = []
        self.needs_urgency_confirmation = False
        if category is None:
            return
        criteria = [(c.code, c.localized_label) for c in category.urgency_criteria.filter(is_active=True)]
        if criteria:
            self.fields["urgency_criteria"] = forms.MultipleChoiceField(
                label=_("Urgency criteria"),
                choices=criteria,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text=_("An urgent request needs at least one of these objective reasons."),
            )
        for attribute in category.attributes.all():
            name = f"attr_{attribute.code}"
            self.fields[name] = attribute_field(attribute)
            self.attribute_names.append((name, attribute.code))

    def attribute_fields(self):
        return [self[name] for name, _code in self.attribute_names]

    def clean(self):
        """Urgent without a criterion is allowed (the DVQ is then alerted), but never without a word: the
        first time, the form comes back with the warning and a box to confirm it."""
        data = super().clean()
        unjustified = data.get("urgency") == Urgency.URGENT and not data.get("urgency_criteria")
        if unjustified and not data.get("confirm_no_criterion"):
            self.needs_urgency_confirmation = True
            if "urgency_criteria" in self.fields:
                message = _(
                    "Without an objective criterion, the DVQ will be alerted and may ask you to justify "
                    "the urgency. Tick one of the urgency criteria above, or confirm below that you file "
                    "it as urgent without one."
                )
            else:
                message = _(
                    "Without an objective criterion, the DVQ will be alerted and may ask you to justify "
                    "the urgency (this category has none). Confirm below that you file it as urgent."
                )
            self.add_error("urgency", message)
        return data

    def shows_urgency_confirmation(self):
        confirmed = self.is_bound and self.data.get("confirm_no_criterion")
        return self.needs_urgency_confirmation or bool(confirmed)

    def attribute_values(self):
        values = {}
        for name, code in self.attribute_names:
            value = self.cleaned_data.get(name)
            if value not in (None, "", []):
                values[code] = value.isoformat() if hasattr(value, "isoformat") else value
        return values


def attribute_field(attribute):
    common = {
        "label": attribute.localized_label,
        "required": attribute.required,
        "help_text": attribute.localized_help_text,
    }
    kind = attribute.type
    if kind == AttributeType.TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    if kind == AttributeType.NUMBER:
        return NumberField(min_value=attribute.min_value, max_value=attribute.max_value, **common)
    if kind == AttributeType.DATETIME:
        return forms.DateTimeField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
            **common,
        )
    if kind == AttributeType.SINGLE_CHOICE:
        choices = [(c, attribute.choice_label(c)) for c in attribute.choices]
        return forms.ChoiceField(choices=[("", "---------"), *choices], **common)
    if kind == AttributeType.MULTIPLE_CHOICE:
        return forms.MultipleChoiceField(
            choices=[(c, attribute.choice_label(c)) for c in attribute.choices],
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    return forms.CharField(max_length=attribute.max_length or 200, **common)


# --- lists -----------------------------------------------------------------------------------------------
STATUS_CHOICES = [("open", _("Open")), ("closed", _("Closed")), ("all", _("All"))]


class RequestFilterForm(forms.Form):
    q = forms.CharField(label=_("Reference or text"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    state = forms.ChoiceField(label=_("Step"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=[("", _("Any")), *Urgency.choices], required=False
    )
    commune = forms.ModelChoiceField(
        label=_("Commune"),
        queryset=Organisation.objects.filter(kind=OrganisationKind.COMMUNE),
        required=False,
        empty_label=_("Any"),
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    unjustified = forms.BooleanField(label=_("Unjustified urgencies"), required=False)
    alert = forms.ChoiceField(
        label=_("Urgency check"),
        required=False,
        choices=[
            ("", _("Any")),
            ("raised", _("Waiting for the commune")),
            ("answered", _("Answered, waiting for the DVQ")),
            ("open", _("Open")),
        ],
    )

    def __init__(self, *args, states=(), show_commune=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("Any")), *states]
        self.fields["category"].choices = [("", _("Any")), *category_choices()[1:]]
        if not show_commune:
            del self.fields["commune"]


# --- transitions and the other actions on a request --------------------------------------------------------
class TransitionForm(forms.Form):
    """The fields a transition asks for (from the procedure definition), plus a comment."""

    reason = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )

    def __init__(self, *args, transition=None, request_obj=None, **kwargs):
        self.code = transition.code
        kwargs.setdefault("prefix", f"t-{self.code}")
        super().__init__(*args, **kwargs)
        needs_comment = any(f.get("guard") == "comment_required" for f in transition.guard_failures)
        self.fields["reason"].required = needs_comment
        if needs_comment:
            self.fields["reason"].help_text = _("Required for this step.")
        for name, spec in transition.fields.items():
            self.fields[name] = definition_field(name, spec)
        if self.code == "qualify" and request_obj is not None:
            add_qualify_fields(self, request_obj)
        if self.code == "redirect":
            units = Unit.objects.select_related("organisation").order_by("organisation__name", "name")
            self.fields["target"] = forms.ModelChoiceField(
                label=self.fields["target"].label, queryset=units, required=False,
                empty_label=_("The unit the routing finds now"),
            )  # fmt: skip
        self.fields["personal_data"] = forms.BooleanField(
            label=_("What I write at this step holds personal data (a name, contact details)"),
            help_text=_(
                "The note and the message to the commune will be erased when the retention period of the "
                "closed request ends."
            ),
            required=False,
        )
        last = ["reason", "personal_data"]
        self.order_fields([name for name in self.fields if name not in last] + last)

    def action_fields(self):
        own = ("reason", "personal_data")
        data = {name: value for name, value in self.cleaned_data.items() if name not in own}
        for name, value in list(data.items()):
            if value in (None, "") and not self.fields[name].required:
                data.pop(name)
            elif hasattr(value, "isoformat"):
                data[name] = value.isoformat()
        return data


def definition_field(name, spec):
    label = localized(spec.get("label"), name)
    required = bool(spec.get("required"))
    kind = spec.get("type", "string")
    if kind == "text":
        return forms.CharField(label=label, required=required, widget=forms.Textarea(attrs={"rows": 2}))
    if kind == "date":
        return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}))
    if kind == "datetime":
        return forms.DateTimeField(
            label=label, required=required, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
        )
    if kind == "number":
        return NumberField(label=label, required=required)
    if kind == "boolean":
        return forms.BooleanField(label=label, required=False)
    if kind == "choice":
        choices = [(c, localized(spec.get("choice_labels", {}).get(c), c)) for c in spec.get("choices", [])]
        return forms.ChoiceField(label=label, required=required, choices=[("", "---------"), *choices])
    return forms.CharField(label=label, required=required, max_length=500)


def add_qualify_fields(form, request_obj):
    """Qualifying confirms or corrects the category, the urgency and who handles it (unit and agent)."""
    form.fields["category"] = forms.ChoiceField(
        label=_("Category"), choices=category_choices()[1:], initial=request_obj.category.code
    )
    form.fields["urgency"] = forms.ChoiceField(
        label=_("Urgency"), choices=Urgency.choices, initial=request_obj.urgency
    )
    units = Unit.objects.select_related("organisation").order_by("organisation__name", "name")
    form.fields["handler_unit"] = forms.ModelChoiceField(
        label=_("Handler unit"), queryset=units, initial=request_obj.handler_unit_id, required=False
    )
    # the one rule of who may be put in charge (qualify, assign and the queues' bulk form)
    agents = put_in_charge_candidates(request_obj)
    form.fields["handler_agent"] = AgentChoiceField(
        label=_("Agent in charge"),
        queryset=agents,
        initial=request_obj.handler_agent_id,
        required=False,
        empty_label=_("Nobody yet"),
    )


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    internal = forms.BooleanField(
        label=_("Internal (not shown to the commune)"), required=False, initial=False
    )
    personal_data = forms.BooleanField(
        label=_("This comment holds personal data (a name, contact details, a person's situation)"),
        help_text=_("It will be erased when the retention period of the closed request ends."),
        required=False,
    )


class PersonalDataMarkForm(forms.Form):
    """Mark a text of the request as holding personal data, whole or some passages of it."""

    text = forms.CharField(widget=forms.HiddenInput, max_length=20)
    object_id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    passages = forms.CharField(
        label=_("Passages holding personal data (optional)"),
        help_text=_("Copy them from the text, one a line; leave empty to mark the whole text."),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def passage_list(self):
        return [line.strip() for line in self.cleaned_data.get("passages", "").splitlines() if line.strip()]


class AttachForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=file_help(),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/gif,image/webp,application/pdf"}
        ),
    )
    description = forms.CharField(label=_("Description"), required=False, max_length=500)


class AlertRaiseForm(forms.Form):
    reason = forms.CharField(
        label=_("What the commune must justify"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class AlertAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Your justification"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class AlertCloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("upheld", _("Uphold: the urgency is not justified (it is removed)")),
            ("dismissed", _("Dismiss: the urgency is justified")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.username


class BulkAssignForm(forms.Form):
    requests = forms.ModelMultipleChoiceField(
        queryset=None,
        label=_("Requests"),
        error_messages={"required": _("Select at least one request.")},
    )
    agent = AgentChoiceField(queryset=None, label=_("Qualify and assign to"))

    def __init__(self, *args, requests=None, agents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requests"].queryset = requests
        self.fields["agent"].queryset = agents


# --- queue search ---------------------------------------------------------------------------------------
class QueueFilterForm(forms.Form):
    """Search and filters inside a handler's queue (the queue itself is chosen by its tab)."""

    q = forms.CharField(label=_("Reference or text"), required=False, max_length=100)
    category = forms.ChoiceField(label=_("Category"), required=False)
    commune = forms.ModelChoiceField(
        label=_("Commune"),
        queryset=Organisation.objects.filter(kind=OrganisationKind.COMMUNE).order_by("name"),
        required=False,
        empty_label=_("Any"),
    )
    state = forms.ChoiceField(label=_("Step"), required=False)

    def __init__(self, *args, states=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("Any")), *states]
        self.fields["category"].choices = [("", _("Any")), *category_choices()[1:]]

    def apply(self, requests):
        """The requests narrowed by the valid filters (invalid ones are ignored, and shown on the form)."""
        from web import queries

        data = self.cleaned_data if self.is_valid() else {}
        if data.get("q"):
            requests = requests.filter(queries.search_q(data["q"]))
        if data.get("category"):
            requests = requests.filter(category__code=data["category"])
        if data.get("commune"):
            requests = requests.filter(commune=data["commune"])
        if data.get("state"):
            requests = requests.filter(case__state=data["state"])
        return requests


# --- sharing ---------------------------------------------------------------------------------------------
def share_people_choices(acting_user, exclude=()):
    """The people of the directory one may pick to share with: active users (not oneself, not those
    already listed), by organisation, shown by full name; the value sent is the username, which
    do_share_request resolves (as the API does)."""
    people = (
        User.objects.filter(is_active=True)
        .exclude(pk__in=[acting_user.pk if acting_user else None, *exclude])
        .select_related("organisation")
        .order_by("organisation__name", "last_name", "first_name", "username")
    )
    groups = {}
    for person in people:
        name = person.get_full_name() or person.username
        group = person.organisation.name if person.organisation else _("No organisation")
        groups.setdefault(group, []).append((person.username, f"{name} ({person.username})"))
    return [("", _("Choose a person")), *groups.items()]


# --- sub-sector procedures (web/views_sectors.py) ------------------------------------------------------
class SectorProcedureForm(forms.Form):
    """A new sub-sector procedure with its perimeter (drawn on the map, pasted or imported as GeoJSON)."""

    code = forms.SlugField(label=_("Code"), max_length=64)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description of the experiment"), widget=forms.Textarea, required=False
    )
    goals = forms.CharField(label=_("Goals"), widget=forms.Textarea, required=False)
    starts_on = forms.DateField(
        label=_("Start of the experiment"), widget=forms.DateInput(attrs={"type": "date"})
    )
    evaluation_month = forms.TypedChoiceField(
        label=_("Evaluation month"), coerce=int, choices=[(month, str(month)) for month in range(1, 13)]
    )
    referents = forms.ModelMultipleChoiceField(
        label=_("Partners' referents"),
        queryset=User.objects.none(),
        help_text=_("Each referent's organisation is a partner; hold Ctrl to choose several."),
    )
    intervention_version = forms.ModelChoiceField(
        label=_("Procedure followed by the requests"), queryset=None, required=False
    )
    geometry = forms.CharField(
        label=_("Perimeter (GeoJSON, WGS84)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("Draw it on the map, or paste a GeoJSON polygon, or import a file below."),
    )
    geometry_file = forms.FileField(label=_("Import a GeoJSON file"), required=False)

    def __init__(self, *args, **kwargs):
        from engine.models import ProcedureVersion, VersionStatus

        super().__init__(*args, **kwargs)
        self.fields["referents"].queryset = (
            User.objects.filter(is_active=True, organisation__isnull=False)
            .select_related("organisation")
            .order_by("organisation__name", "last_name", "username")
        )
        self.fields["referents"].label_from_instance = lambda user: (
            f"{user.organisation.name} – {user.get_full_name() or user.username}"
        )
        self.fields["intervention_version"].queryset = ProcedureVersion.objects.filter(
            status=VersionStatus.PUBLISHED
        ).select_related("procedure")
        self.fields["intervention_version"].label_from_instance = lambda version: (
            f"{version.procedure.title} (v{version.number})"
        )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("geometry_file")
        if upload is not None:
            if upload.size > 5 * 1024 * 1024:
                self.add_error("geometry_file", _("At most 5 MB."))
            else:
                try:
                    cleaned["geometry"] = upload.read().decode("utf-8")
                except UnicodeDecodeError:
                    self.add_error("geometry_file", _("This file is not GeoJSON text (UTF-8)."))
        if not (cleaned.get("geometry") or "").strip() and not self.errors:
            self.add_error("geometry", _("Draw the perimeter on the map, paste it or import it."))
        return cleaned
