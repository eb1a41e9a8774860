from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from engine.models import ProcedureVersion, VersionStatus
from procedures.management.commands.setup_procedures import DEFINITIONS_DIR


def run(*args):
    out = StringIO()
    call_command("setup_procedures", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_publishes_the_intervention_request_procedure_once(db):
    output = run()
    assert "intervention-request version 1 published" in output
    assert "intervention-request version 2 published" in output
    assert "intervention-request version 3 published" in output
    assert "already there" in run()
    assert ProcedureVersion.objects.filter(procedure__code="intervention-request").count() == 3
    version = ProcedureVersion.objects.get(procedure__code="intervention-request", number=3)
    assert version.status == VersionStatus.PUBLISHED
    assert version.procedure.latest_published() == version  # new cases use version 3
    definition = version.definition
    assert set(definition["states"]) >= {
        "submitted", "acknowledged", "qualified", "planned", "in_progress", "waiting", "done", "closed",
        "rejected", "redirected", "duplicate",
    }  # fmt: skip
    assert definition["states"]["waiting"]["phase"] == "waiting"
    assert set(definition["roles"]) == {"requester", "dispatcher", "handler", "supervisor", "dvq"}
    assert definition["deadlines"]["resolve"]["pauses_in"] == ["waiting"]
    assert [p["offset"] for p in definition["deadlines"]["resolve"]["escalations"]] == [-0.25, 0.0, 1.0]
    assert definition["alerts"]["urgency_check"]["outcomes"] == ["upheld", "dismissed"]
    assert definition["alerts"]["urgency_check"]["on_late"] == [
        {"name": "notify", "params": {"role": "dvq", "message": "urgency_check_late"}}
    ]
    assert definition["transitions"]["finish"]["actions"] == [
        {"name": "request_effect", "params": {"effect": "finish"}}
    ]  # version 3: the effects are named by the definition


def test_it_refuses_a_changed_definition_that_keeps_its_version_number(db, tmp_path):
    source = (DEFINITIONS_DIR / "intervention-request.yaml").read_text(encoding="utf-8")
    (tmp_path / "intervention-request.yaml").write_text(source, encoding="utf-8")
    run("--directory", str(tmp_path))
    (tmp_path / "intervention-request.yaml").write_text(source + "\n# changed\n", encoding="utf-8")
    with pytest.raises(CommandError, match="new version number"):
        run("--directory", str(tmp_path))
    assert ProcedureVersion.objects.count() == 1


def test_it_refuses_an_invalid_definition_and_saves_nothing(db, tmp_path):
    (tmp_path / "broken.yaml").write_text("procedure: broken\nversion: 1\nroles: []\n", encoding="utf-8")
    with pytest.raises(CommandError, match="problem"):
        run("--directory", str(tmp_path))
    assert ProcedureVersion.objects.count() == 0
