"""Read models of the steering pages: the compiled answers of a questionnaire ("état des lieux"), per
commune and per question."""

from django.utils.translation import gettext as _

from steering.models import QuestionType, ResponseStatus


def _text(question, value):
    if value is None or value == "" or value == []:
        return ""
    if question.type == QuestionType.MULTIPLE_CHOICE:
        return ", ".join(value)
    if question.type == QuestionType.NUMBER:
        return str(value).replace(".", ",")
    return str(value)


def compile_answers(questionnaire):
    """``{"questions", "communes": [{commune, status, status_label, cells{question id: text}}],
    "per_question": [{question, values: [(answer, [commune names])]}], "answered", "asked"}`` (4 queries)."""
    questions = list(questionnaire.questions.all())
    communes = list(questionnaire.communes.order_by("name"))
    responses = {r.commune_id: r for r in questionnaire.responses.prefetch_related("files")}
    rows, per_question = [], {q.pk: {} for q in questions}
    for commune in communes:
        response = responses.get(commune.pk)
        answers = response.answers if response else {}
        files = {f.question_id: f.name for f in response.files.all()} if response else {}
        cells = {}
        for question in questions:
            text = (
                files.get(question.pk, "")
                if question.type == QuestionType.FILE
                else _text(question, answers.get(str(question.pk)))
            )
            cells[question.pk] = text
            if text:
                values = answers.get(str(question.pk))
                keys = values if question.type == QuestionType.MULTIPLE_CHOICE else [text]
                for key in keys or [text]:
                    per_question[question.pk].setdefault(key, []).append(commune.name)
        status = response.status if response else None
        label = (
            _("Submitted")
            if status == ResponseStatus.SUBMITTED
            else _("Draft")
            if status == ResponseStatus.DRAFT
            else _("No answer yet")
        )
        rows.append(
            {
                "commune": commune,
                "status": status,
                "status_label": label,
                "cells": cells,
                "response": response,
            }
        )
    return {
        "questions": questions,
        "communes": rows,
        "per_question": [{"question": q, "values": sorted(per_question[q.pk].items())} for q in questions],
        "answered": sum(1 for r in rows if r["status"] == ResponseStatus.SUBMITTED),
        "asked": len(rows),
    }
