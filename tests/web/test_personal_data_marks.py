"""Marking personal data from the request pages: the boxes of the filing, comment and step forms, and
the « Holds personal data? » form beside each text (whole or passages), with its refusals in French."""

import pytest
from django.urls import reverse

from accounts.models import PersonalDataMark
from directory.models import DirectoryAuditEntry
from engine.models import Comment
from tests.web.test_requests import body_of, file_request, step


@pytest.fixture
def setup(world, procedure, category):
    return world


def marks():
    return sorted(PersonalDataMark.objects.values_list("text", "spans", "marked_by__username"))


def test_the_filing_and_comment_boxes_mark_the_texts_and_the_page_says_so(client, setup):
    filed = file_request(
        client, setup.commune_user, description="Mme Durand ne peut plus sortir", personal_data="on"
    )
    assert marks() == [("description", [], "commune")]
    url = reverse("request-comment", args=[filed.reference])
    assert client.post(url, {"body": "Elle est au 3e étage", "personal_data": "on"}).status_code == 302
    assert client.post(url, {"body": "Le trou s'agrandit"}).status_code == 302
    marked = Comment.objects.get(body="Elle est au 3e étage")
    assert marks() == [("comment", [], "commune"), ("description", [], "commune")]
    assert PersonalDataMark.objects.get(text="comment").object_id == marked.pk
    page = body_of(client.get(reverse("request-detail", args=[filed.reference])))
    assert page.count("Contient des données personnelles") == 2
    assert "Des données personnelles ?" in page  # the unmarked comment and the messages can be marked
    assert 'name="personal_data"' in page


def test_a_step_s_box_marks_its_note_and_its_message_to_the_commune(client, setup):
    filed = file_request(client, setup.commune_user)
    client.force_login(setup.ctc_agent)
    fields = {"category": "encombrants", "urgency": "normal", "handler_unit": setup.ctc.pk}
    assert step(client, filed, "qualify", fields).status_code == 302
    response = step(client, filed, "finish", {"resolution_note": "Vu avec M. Martin", "personal_data": "on"})
    assert response.status_code == 302
    assert [text for text, _spans, _who in marks()] == ["message", "resolution_note"]


def test_passages_are_marked_from_the_page_and_a_wrong_one_is_refused_naming_it(client, setup):
    filed = file_request(client, setup.commune_user)
    client.force_login(setup.ctc_agent)
    comment_url = reverse("request-comment", args=[filed.reference])
    client.post(comment_url, {"body": "Appeler M. Martin, gardien"})
    comment = Comment.objects.get(body="Appeler M. Martin, gardien")
    mark_url = reverse("request-personal-data-mark", args=[filed.reference])
    audit = DirectoryAuditEntry.objects.count()
    refused = client.post(mark_url, {"text": "comment", "object_id": comment.pk, "passages": "Mme Durand"})
    assert refused.status_code == 400
    assert "Ce passage n'est pas dans le texte : « Mme Durand »" in body_of(refused).replace("&#x27;", "'")
    refused = client.post(mark_url, {"text": "comment", "object_id": 999_999})
    assert refused.status_code == 400
    assert "Cette demande n'a pas ce commentaire." in body_of(refused).replace("&#x27;", "'")
    assert marks() == [] and DirectoryAuditEntry.objects.count() == audit
    ok = client.post(mark_url, {"text": "comment", "object_id": comment.pk, "passages": "m. martin\n\n"})
    assert ok.status_code == 302
    assert marks() == [("comment", [[8, 17]], "ctc")]
    page = body_of(client.get(reverse("request-detail", args=[filed.reference])))
    assert "1 passage de données personnelles" in page

    client.force_login(setup.commune_2_user)  # out of scope: 404, nothing taken back
    unmark_url = reverse("request-personal-data-unmark", args=[filed.reference])
    assert client.post(unmark_url, {"text": "comment", "object_id": comment.pk}).status_code == 404
    client.force_login(setup.commune_user)  # in scope, but not who marked it
    assert client.post(unmark_url, {"text": "comment", "object_id": comment.pk}).status_code == 403
    client.force_login(setup.ctc_agent)
    assert client.post(unmark_url, {"text": "comment", "object_id": comment.pk}).status_code == 302
    assert marks() == []
