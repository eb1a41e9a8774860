"""Personal data marks through the API: ``personal_data`` when filing and commenting, and the request's
``personal-data-marks/`` (list, mark a text or passages, take a mark back), with the refusals."""

from accounts.models import PersonalDataMark
from directory.models import DirectoryAuditEntry
from engine.models import Comment
from tests.api.test_requests import file_as


def test_marks_are_set_when_writing_and_afterwards_and_taken_back(as_user, world, potholes):
    commune = as_user(world.commune_user)
    request = file_as(commune, personal_data=True)
    assert list(PersonalDataMark.objects.values_list("text", "spans")) == [("description", [])]
    base = f"/api/v1/requests/{request.pk}/"
    agent = as_user(world.ctc_agent)
    response = agent.post(
        base + "comments/", {"body": "Vu avec M. Martin", "personal_data": True}, format="json"
    )
    assert response.status_code == 201
    plain = agent.post(base + "comments/", {"body": "Passage mardi, M. Martin"}, format="json").json()
    internal = agent.post(base + "comments/", {"body": "Interne", "internal": True}, format="json").json()
    marked = agent.post(
        base + "personal-data-marks/",
        {"text": "comment", "object_id": plain["id"], "passages": ["M. Martin"]},
        format="json",
    )
    assert marked.status_code == 201 and marked.json()["spans"] == [[15, 24]]
    agent.post(base + "personal-data-marks/", {"text": "comment", "object_id": internal["id"]}, format="json")
    listed = [m["text"] for m in agent.get(base + "personal-data-marks/").json()["results"]]
    assert listed == ["description", "comment", "comment", "comment"]
    seen_by_commune = commune.get(base + "personal-data-marks/").json()["results"]
    assert internal["id"] not in [m["object_id"] for m in seen_by_commune]  # it does not read it
    assert len(seen_by_commune) == 3

    mark_id = marked.json()["id"]
    assert commune.delete(base + f"personal-data-marks/{mark_id}/").status_code == 403
    assert agent.delete(base + f"personal-data-marks/{mark_id}/").status_code == 204
    assert not PersonalDataMark.objects.filter(pk=mark_id).exists()
    assert agent.delete(base + f"personal-data-marks/{mark_id}/").status_code == 404


def test_a_bad_mark_is_refused_naming_the_field_and_nothing_is_written(as_user, world, potholes):
    commune = as_user(world.commune_user)
    request = file_as(commune)
    base = f"/api/v1/requests/{request.pk}/personal-data-marks/"
    before = (PersonalDataMark.objects.count(), DirectoryAuditEntry.objects.count(), Comment.objects.count())
    cases = [
        ({"text": "title"}, "text"),
        ({"text": "description", "spans": [[1]]}, "spans"),
        ({"text": "description", "spans": [[30, 10]]}, "spans"),
        ({"text": "description", "passages": ["pas dans le texte"]}, "passages"),
        ({"text": "comment", "object_id": 123456}, "object_id"),
    ]
    for body, field in cases:
        response = commune.post(base, body, format="json")
        assert response.status_code == 400, body
        assert field in response.json()["errors"], response.json()
    assert as_user(world.commune_2_user).post(base, {"text": "description"}, format="json").status_code == 404
    assert (
        PersonalDataMark.objects.count(),
        DirectoryAuditEntry.objects.count(),
        Comment.objects.count(),
    ) == before
