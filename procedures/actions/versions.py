"""actions: procedure versions, for the API and the web (the engine's actions; one rule,
engine.actions.may_manage_procedure, decides who may store, publish or retire them)."""

from engine import actions as engine


def may_manage_procedure(procedure, user):
    return engine.may_manage_procedure(procedure, user)


def do_store_procedure_version(text, *, acting_user, publish=False):
    return engine.do_store_version(text, acting_user=acting_user, publish=publish)


def do_publish_procedure_version(version, *, acting_user):
    return engine.do_publish_version(version, acting_user=acting_user)


def do_retire_procedure_version(version, *, acting_user):
    return engine.do_retire_version(version, acting_user=acting_user)
