"""The questionnaire of a workshop: the commune's form (draft or submit, until the deadline; made for a
phone as much as a desk), and the organiser's compiled answers per commune and per question, printable
and exported as XLSX."""

import io

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from engine.errors import EngineError, RoleNotAllowed
from steering import actions, scope
from steering.models import Questionnaire, QuestionnaireResponse, QuestionType, ResponseStatus
from steering.queries import compile_answers
from web.views_steering.common import add_errors, get_visible


def _field(question):
    label = question.text
    required = False  # drafts may be partial; the action checks required answers on submit
    help_text = _("Required to submit.") if question.required else ""
    if question.type == QuestionType.NUMBER:
        return forms.CharField(
            label=label,
            required=required,
            help_text=help_text,
            widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        )
    if question.type == QuestionType.CHOICE:
        return forms.ChoiceField(
            label=label,
            required=required,
            help_text=help_text,
            choices=[(c, c) for c in question.choices],
            widget=forms.RadioSelect,
        )
    if question.type == QuestionType.MULTIPLE_CHOICE:
        return forms.MultipleChoiceField(
            label=label,
            required=required,
            help_text=help_text,
            choices=[(c, c) for c in question.choices],
            widget=forms.CheckboxSelectMultiple,
        )
    if question.type == QuestionType.FILE:
        return forms.FileField(
            label=label, required=required, help_text=help_text or _("PDF or office document.")
        )
    return forms.CharField(
        label=label, required=required, help_text=help_text, widget=forms.Textarea(attrs={"rows": 4})
    )


class AnswersForm(forms.Form):
    def __init__(self, questions, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[f"question_{question.pk}"] = _field(question)


def _questionnaires(user):
    return scope.questionnaires_visible_to(user, Questionnaire.objects.select_related("meeting__kind"))


@login_required
@require_http_methods(["GET", "POST"])
def questionnaire_answer(request, pk):
    questionnaire = get_visible(_questionnaires(request.user), pk)
    commune = request.user.organisation
    if commune is None or not questionnaire.communes.filter(pk=commune.pk).exists():
        raise Http404
    questions = list(questionnaire.questions.all())
    response = QuestionnaireResponse.objects.filter(questionnaire=questionnaire, commune=commune).first()
    saved = response.answers if response else {}
    files = {f.question_id: f for f in response.files.all()} if response else {}
    open_now = questionnaire.is_open()
    status = 200
    if request.method == "POST":
        form = AnswersForm(questions, request.POST, request.FILES)
        if form.is_valid():
            answers = {
                str(q.pk): form.cleaned_data.get(f"question_{q.pk}")
                for q in questions
                if q.type != QuestionType.FILE
            }
            uploads = {
                str(q.pk): request.FILES.get(f"question_{q.pk}")
                for q in questions
                if q.type == QuestionType.FILE
            }
            submit = "submit" in request.POST
            try:
                actions.do_save_answers(
                    questionnaire,
                    commune=commune,
                    answers=answers,
                    files=uploads,
                    submit=submit,
                    acting_user=request.user,
                )
            except RoleNotAllowed:
                raise Http404 from None
            except EngineError as exc:
                add_errors(form, exc)
            else:
                messages.success(
                    request, _("Your answers are submitted.") if submit else _("Your draft is saved.")
                )
                return redirect("steering-questionnaire-answer", pk=questionnaire.pk)
        status = 400
    else:
        form = AnswersForm(questions, initial={f"question_{k}": v for k, v in saved.items()})
    context = {
        "questionnaire": questionnaire,
        "form": form,
        "response": response,
        "files": files,
        "open_now": open_now,
        "commune": commune,
    }
    return render(request, "web/steering/questionnaire_answer.html", context, status=status)


def _results_or_404(request, pk):
    if not scope.sees_everything(request.user):
        raise Http404
    return get_visible(Questionnaire.objects.select_related("meeting"), pk)


@login_required
@require_GET
def questionnaire_results(request, pk):
    questionnaire = _results_or_404(request, pk)
    compiled = compile_answers(questionnaire)
    return render(
        request,
        "web/steering/questionnaire_results.html",
        {
            "questionnaire": questionnaire,
            "compiled": compiled,
            "now": timezone.now(),
            "submitted": ResponseStatus.SUBMITTED,
        },
    )


@login_required
@require_GET
def questionnaire_export(request, pk):
    from openpyxl import Workbook

    questionnaire = _results_or_404(request, pk)
    compiled = compile_answers(questionnaire)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Per commune")[:31]
    sheet.append([_("Commune"), _("Status"), *[q.text for q in compiled["questions"]]])
    for row in compiled["communes"]:
        sheet.append(
            [row["commune"].name, row["status_label"], *[row["cells"][q.pk] for q in compiled["questions"]]]
        )
    per_question = workbook.create_sheet(_("Per question")[:31])
    per_question.append([_("Question"), _("Answer"), _("Communes")])
    for item in compiled["per_question"]:
        for answer, communes in item["values"]:
            per_question.append([item["question"].text, answer, ", ".join(communes)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="questionnaire-{questionnaire.pk}.xlsx"'
    return response
