from engine.models import ProcedureVersion

SOURCE = """
procedure: tiny
version: 1
title: {fr: "Petite", en: "Tiny"}
roles: [requester, handler]
opened_by: [requester]
states:
  open: {initial: true, label: {fr: Ouverte, en: Open}}
  done: {final: true, label: {fr: Faite, en: Done}}
transitions:
  finish: {from: [open], to: done, roles: [handler]}
"""


def test_procedures_list_with_their_versions_and_definitions(as_user, world, procedure):
    client = as_user(world.commune_user)
    listing = client.get("/api/v1/procedures/").json()["results"]
    assert [(p["code"], [v["status"] for v in p["versions"]]) for p in listing] == [
        ("intervention-request", ["published", "published", "published"]),  # 2: on_late, 3: effects
        ("intervention-request-caretaker-check", ["published"]),  # the sub-sector procedures' variant
    ]
    version = client.get("/api/v1/procedures/intervention-request/versions/1/").json()
    assert version["definition"]["procedure"] == "intervention-request" and "states:" in version["source"]
    mermaid = client.get("/api/v1/procedures/intervention-request/versions/1/diagram/")
    assert mermaid.status_code == 200 and "submitted" in mermaid.json()["mermaid"]
    svg = client.get("/api/v1/procedures/intervention-request/versions/1/diagram/?output=svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    assert client.get("/api/v1/procedures/intervention-request/versions/9/").status_code == 404


def test_an_administrator_stores_and_publishes_a_version_and_others_may_not(as_user, world, db):
    commune = as_user(world.commune_user)
    refused = commune.post("/api/v1/procedures/versions/", {"source": SOURCE}, format="json")
    assert refused.status_code == 403 and ProcedureVersion.objects.count() == 0
    admin = as_user(world.admin_user)
    stored = admin.post("/api/v1/procedures/versions/", {"source": SOURCE}, format="json")
    assert stored.status_code == 201 and stored.json()["status"] == "draft"
    again = admin.post("/api/v1/procedures/versions/", {"source": SOURCE}, format="json")
    assert again.status_code == 400 and "existe déjà" in again.json()["errors"]["source"][0]
    broken = admin.post(
        "/api/v1/procedures/versions/", {"source": "procedure: x\nversion: 1\n"}, format="json"
    )
    assert broken.status_code == 400 and broken.json()["code"] == "definition_invalid"
    assert ProcedureVersion.objects.count() == 1
    assert commune.post("/api/v1/procedures/tiny/versions/1/publish/").status_code == 403
    published = admin.post("/api/v1/procedures/tiny/versions/1/publish/")
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert ProcedureVersion.objects.get().status == "published"
    assert admin.post("/api/v1/procedures/tiny/versions/1/publish/").status_code == 400
