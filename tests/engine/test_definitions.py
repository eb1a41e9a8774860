"""Validation of procedure definitions: one message per problem, naming the key and the reason."""

import copy

import pytest
import yaml

from engine.definitions import load_yaml, parse_definition, validate
from engine.errors import DefinitionInvalid
from tests.engine.conftest import FULL_YAML

pytestmark = pytest.mark.django_db


def base():
    return yaml.safe_load(FULL_YAML)


def problems_of(document):
    with pytest.raises(DefinitionInvalid) as caught:
        validate(document)
    return caught.value.problems


def changed(change):
    document = copy.deepcopy(base())
    change(document)
    return problems_of(document)


def test_the_full_example_is_valid_and_normalised():
    definition = parse_definition(FULL_YAML)
    assert definition["initial"] == "submitted"
    assert definition["states"]["done"] == {
        "initial": False,
        "final": True,
        "phase": "closed",
        "label": {"fr": "Terminée", "en": "Done"},
    }
    assert definition["transitions"]["acknowledge"]["guards"] == [
        {"name": "role_holder_exists", "params": {"role": "handler"}}
    ]
    assert definition["transitions"]["reject"]["guards"] == [{"name": "comment_required", "params": {}}]
    assert [p["offset"] for p in definition["deadlines"]["acknowledge"]["escalations"]] == [-0.25, 0.0, 1.0]


def test_it_rejects_a_transition_to_an_unknown_state():
    problems = changed(lambda d: d["transitions"]["acknowledge"].update(to="acknowledgd"))
    assert "transitions.acknowledge.to: état « acknowledgd » inconnu" in problems


def test_it_rejects_a_transition_from_an_unknown_state():
    problems = changed(lambda d: d["transitions"]["reject"].update({"from": ["submitted", "nowhere"]}))
    assert problems == ["transitions.reject.from: état « nowhere » inconnu"]


def test_it_rejects_a_state_that_no_path_reaches():
    def change(d):
        d["states"]["orphan"] = {"phase": "open"}
        d["transitions"]["leave_orphan"] = {"from": ["orphan"], "to": "done", "roles": ["handler"]}

    assert changed(change) == [
        "states.orphan: aucun chemin ne mène à cet état depuis l'état initial « submitted »"
    ]


def test_it_rejects_a_definition_without_initial_state():
    problems = changed(lambda d: d["states"]["submitted"].pop("initial"))
    assert "states: aucun état initial (marquez-en exactement un avec initial: true)" in problems


def test_it_rejects_several_initial_states():
    problems = changed(lambda d: d["states"]["acknowledged"].update(initial=True))
    assert problems == ["states: plusieurs états initiaux : submitted, acknowledged (un seul est autorisé)"]


def test_it_rejects_a_definition_without_final_state():
    def change(d):
        d["states"]["done"].pop("final")
        d["states"]["rejected"].pop("final")

    problems = changed(change)
    assert "states: aucun état final (marquez-en au moins un avec final: true)" in problems
    assert "states.done: n'est pas final et aucune transition n'en part" in problems


def test_it_rejects_a_non_final_state_with_no_way_out():
    def change(d):
        d["transitions"]["resume"]["from"] = ["acknowledged"]

    problems = changed(change)
    assert problems == ["states.waiting: n'est pas final et aucune transition n'en part"]


def test_it_rejects_a_role_used_but_not_declared():
    problems = changed(lambda d: d["transitions"]["finish"].update(roles=["handler", "mayor"]))
    assert problems == ["transitions.finish.roles: le rôle « mayor » n'est pas déclaré dans roles"]


def test_it_rejects_an_undeclared_role_in_an_action_parameter_and_an_alert():
    def change(d):
        d["transitions"]["acknowledge"]["actions"] = [{"notify": {"role": "mayor"}}]
        d["alerts"]["urgency_check"]["raised_by"] = ["police"]

    problems = changed(change)
    assert (
        "transitions.acknowledge.actions[0].notify.role: le rôle « mayor » n'est pas déclaré dans roles"
        in problems
    )
    assert "alerts.urgency_check.raised_by: le rôle « police » n'est pas déclaré dans roles" in problems


def test_it_rejects_a_guard_not_in_the_registry():
    problems = changed(lambda d: d["transitions"]["reject"].update(guards=["is_sunny"]))
    assert len(problems) == 1
    assert problems[0].startswith(
        "transitions.reject.guards[0]: condition « is_sunny » introuvable dans le registre (disponibles : "
    )
    assert "comment_required" in problems[0]


def test_it_rejects_an_action_not_in_the_registry():
    problems = changed(lambda d: d["transitions"]["acknowledge"].update(actions=[{"send_fax": {"to": "x"}}]))
    assert len(problems) == 1
    assert problems[0].startswith(
        "transitions.acknowledge.actions[0]: action « send_fax » introuvable dans le registre"
    )


def test_it_rejects_a_guard_with_a_missing_parameter():
    problems = changed(lambda d: d["transitions"]["acknowledge"].update(guards=[{"role_holder_exists": {}}]))
    assert problems == ["transitions.acknowledge.guards[0].role_holder_exists: paramètre « role » manquant"]


def test_it_rejects_an_action_with_an_unknown_parameter():
    problems = changed(
        lambda d: d["transitions"]["acknowledge"].update(
            actions=[{"notify": {"role": "requester", "mesage": "typo"}}]
        )
    )
    assert problems == [
        "transitions.acknowledge.actions[0].notify: paramètre « mesage » inconnu (attendus : role, message)"
    ]


def test_it_rejects_a_parameter_of_the_wrong_type():
    problems = changed(
        lambda d: d["transitions"]["acknowledge"].update(
            actions=[{"notify": {"role": "requester", "message": 3}}]
        )
    )
    assert problems == ["transitions.acknowledge.actions[0].notify.message: doit être un texte"]


def test_it_rejects_a_malformed_duration():
    problems = changed(lambda d: d["deadlines"]["acknowledge"].update(duration="2 buisness_days"))
    assert len(problems) == 1
    assert problems[0].startswith("deadlines.acknowledge.duration: durée « 2 buisness_days » mal formée : ")
    assert "unité 'buisness_days' inconnue" in problems[0]


def test_it_rejects_a_duration_reference_to_an_unregistered_resolver():
    problems = changed(lambda d: d["deadlines"]["acknowledge"].update(duration="nowhere.acknowledge"))
    assert problems[0].startswith(
        "deadlines.acknowledge.duration: aucun calcul de durée nommé « nowhere » n'est enregistré"
    )


def test_it_accepts_a_duration_reference_to_a_registered_resolver(monkeypatch):
    from engine import registry

    monkeypatch.setitem(registry.DURATION_RESOLVERS, "service_level", lambda case, key: "1 business_days")
    document = base()
    document["deadlines"]["acknowledge"]["duration"] = "service_level.acknowledge"
    assert validate(document)["deadlines"]["acknowledge"]["duration"] == "service_level.acknowledge"


def test_it_rejects_an_escalation_point_on_an_unknown_deadline():
    def change(d):
        d["escalations"] = [
            {"deadline": "acknowledgement", "at": "0", "actions": [{"notify": {"role": "dvq"}}]}
        ]

    assert changed(change) == ["escalations[0].deadline: échéance « acknowledgement » inconnue"]


def test_it_attaches_a_top_level_escalation_point_to_its_deadline():
    document = base()
    document["escalations"] = [
        {"deadline": "resolve", "at": "+50%", "actions": [{"notify": {"role": "dvq"}}]}
    ]
    points = validate(document)["deadlines"]["resolve"]["escalations"]
    assert [point["offset"] for point in points] == [0.0, 0.5]


def test_it_rejects_a_start_deadline_action_on_an_unknown_deadline():
    problems = changed(
        lambda d: d["transitions"]["resume"].update(actions=[{"start_deadline": {"deadline": "nope"}}])
    )
    assert problems == ["transitions.resume.actions[0].start_deadline.deadline: échéance « nope » inconnue"]


def test_it_rejects_a_malformed_escalation_point():
    problems = changed(lambda d: d["deadlines"]["resolve"]["escalations"][0].update(at="soon"))
    assert len(problems) == 1
    assert problems[0].startswith("deadlines.resolve.escalations[0].at: point d'escalade « soon » mal formé")


def test_it_rejects_a_pause_state_that_does_not_exist():
    problems = changed(lambda d: d["deadlines"]["resolve"].update(pauses_in=["waiting", "sleeping"]))
    assert problems == ["deadlines.resolve.pauses_in: état « sleeping » inconnu"]


def test_it_rejects_an_unknown_calendar():
    problems = changed(lambda d: d["deadlines"]["resolve"].update(calendar="moon"))
    assert problems == ["deadlines.resolve.calendar: calendrier « moon » inconnu"]


def test_it_rejects_duplicate_keys_naming_each_one_and_its_line():
    text = FULL_YAML.replace(
        "  waiting: {phase: waiting, label: {fr: En attente, en: Waiting}}\n",
        "  waiting: {phase: waiting, label: {fr: En attente, en: Waiting}}\n  waiting: {phase: open}\n",
    ).replace(
        "    to: acknowledged\n    roles: [dispatcher, handler]\n",
        "    to: acknowledged\n    to: done\n    roles: [dispatcher, handler]\n",
    )
    with pytest.raises(DefinitionInvalid) as caught:
        parse_definition(text)
    lines = text.splitlines()
    waiting_line = [i for i, line in enumerate(lines, 1) if line.startswith("  waiting:")][1]
    to_line = next(i for i, line in enumerate(lines, 1) if line == "    to: done")
    assert caught.value.problems == [
        f"states.waiting: clé en double (ligne {waiting_line})",
        f"transitions.acknowledge.to: clé en double (ligne {to_line})",
    ]


@pytest.mark.parametrize(
    ("text", "what"),
    [("- a\n- b\n", "list"), ("just text\n", "str"), ("", "rien"), ("42\n", "int")],
)
def test_it_rejects_a_yaml_that_is_not_a_mapping(text, what):
    with pytest.raises(DefinitionInvalid) as caught:
        load_yaml(text)
    assert caught.value.problems == [
        f"(document): une procédure doit être un dictionnaire YAML de clés, reçu : {what}"
    ]


def test_it_rejects_invalid_yaml_with_the_line():
    with pytest.raises(DefinitionInvalid) as caught:
        load_yaml("procedure: x\nstates: [a, b\n")
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith("(document): YAML invalide (ligne ")


def test_it_refuses_yaml_tags_that_would_build_python_objects():
    with pytest.raises(DefinitionInvalid) as caught:
        load_yaml("procedure: !!python/object/apply:os.system ['true']\n")
    assert caught.value.problems[0].startswith("(document): YAML invalide")


def test_it_reports_every_problem_at_once_one_per_line():
    def change(d):
        d.pop("version")
        d["transitions"]["acknowledge"]["to"] = "ack"
        d["deadlines"]["resolve"]["pauses_in"] = ["nap"]
        d["colour"] = "blue"

    problems = changed(change)
    assert "version: manquant ou pas un entier positif" in problems
    assert "transitions.acknowledge.to: état « ack » inconnu" in problems
    assert "deadlines.resolve.pauses_in: état « nap » inconnu" in problems
    assert any(problem.startswith("colour: clé inconnue") for problem in problems)
    assert all("\n" not in problem for problem in problems)


def test_it_rejects_a_field_of_an_unknown_type_and_a_choice_without_choices():
    def change(d):
        d["transitions"]["finish"]["fields"] = {"outcome": {"type": "choice"}, "photo": {"type": "image"}}

    problems = changed(change)
    assert (
        "transitions.finish.fields.outcome.choices: un champ à choix doit avoir une liste de choix non vide"
        in problems
    )
    assert any(
        p.startswith("transitions.finish.fields.photo.type: doit être l'un des types text") for p in problems
    )


def test_it_rejects_an_alert_without_outcomes_or_with_a_malformed_answer_delay():
    def change(d):
        d["alerts"]["urgency_check"]["outcomes"] = []
        d["alerts"]["urgency_check"]["answer_within"] = "three days"

    problems = changed(change)
    assert (
        "alerts.urgency_check.outcomes: manquant (les issues possibles à la clôture de l'alerte)" in problems
    )
    assert any(
        p.startswith("alerts.urgency_check.answer_within: durée « three days » mal formée") for p in problems
    )
