"""Procedure definitions: YAML loading (duplicate keys refused) and validation with one message per problem.

``parse_definition(text)`` returns the normalised definition (a plain dict stored on the version) or
raises ``DefinitionInvalid(problems)``. Each problem is one line ``<key>: <reason>``, the key being a
dotted path into the document (``transitions.acknowledge.to``). The format is documented in
docs/procedure-format.md.
"""

import contextlib
import re
from collections import deque

import yaml
from django.utils.translation import gettext as _

from engine import registry
from engine.errors import DefinitionInvalid

PHASES = ("open", "waiting", "closed")
FIELD_TYPES = ("text", "string", "integer", "number", "boolean", "date", "choice")
TOP_LEVEL_KEYS = {
    "procedure",
    "version",
    "title",
    "description",
    "roles",
    "opened_by",
    "states",
    "transitions",
    "deadlines",
    "escalations",
    "alerts",
}
CODE_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
REFERENCE_RE = re.compile(r"^([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)$")
DEFAULT_ALERT = "escalation"


# --- YAML -----------------------------------------------------------------------------------------
class DuplicateKey(Exception):
    def __init__(self, key, path, line):
        super().__init__(key)
        self.key, self.path, self.line = key, path, line


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a mapping with the same key twice (PyYAML keeps the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:  # a list or mapping as a key: the base constructor refuses it
                continue
            if key in seen:
                raise DuplicateKey(key, None, key_node.start_mark.line + 1)
            seen[key] = True
        return super().construct_mapping(node, deep=deep)


def _duplicate_keys(text):
    """All duplicate keys of the document, as problems naming the dotted key and the line."""
    problems = []

    visited = [0]

    def walk(node, path):
        visited[0] += 1
        if visited[0] > MAX_VALUES:
            return
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                where = f"{path}.{key}" if path else str(key)
                if key in seen:
                    problems.append(
                        _("%(key)s: duplicate key (line %(line)s)")
                        % {"key": where, "line": key_node.start_mark.line + 1}
                    )
                seen.add(key)
                walk(value_node, where)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, f"{path}[{index}]")

    with contextlib.suppress(yaml.YAMLError):
        walk(yaml.compose(text, Loader=yaml.SafeLoader), "")
    return problems


def _one_line(text):
    return " ".join(str(text).split())


def load_yaml(text):
    """Parse YAML text; raises DefinitionInvalid on a syntax error, duplicate keys or a non-mapping."""
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)
    except DuplicateKey:
        raise DefinitionInvalid(_duplicate_keys(text)) from None
    except yaml.reader.ReaderError as error:  # a NUL or another character YAML does not accept
        line = text[: error.position].count("\n") + 1 if isinstance(error.position, int) else "?"
        raise DefinitionInvalid(
            [
                _("(document): not valid YAML at %(where)s: %(reason)s")
                % {
                    "where": _("line %(line)s") % {"line": line},
                    "reason": _("character %(char)s is not allowed") % {"char": f"#x{error.character:04x}"}
                    if isinstance(error.character, int)
                    else _one_line(error.reason),
                }
            ]
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = _("line %(line)s") % {"line": mark.line + 1} if mark else _("document")
        reason = getattr(error, "problem", None) or str(error)
        raise DefinitionInvalid(
            [
                _("(document): not valid YAML at %(where)s: %(reason)s")
                % {"where": where, "reason": _one_line(reason)}
            ]
        ) from None
    except RecursionError:
        raise DefinitionInvalid([_("(document): nested too deeply")]) from None
    if not isinstance(document, dict):
        kind = _("nothing") if document is None else type(document).__name__
        raise DefinitionInvalid(
            [_("(document): a procedure must be a YAML mapping of keys, got %(kind)s") % {"kind": kind}]
        )
    problem = _plain_data_problem(document)
    if problem:
        raise DefinitionInvalid([problem])
    return document


MAX_DEPTH = 20
MAX_VALUES = 100_000  # values once aliases are expanded (a "billion laughs" document stops here)
MAX_NAME = 64  # codes and names stored in columns of 64 characters (procedure, states, roles, events)
MAX_TITLE = 200
MAX_INTEGER = 2**31 - 1  # the database's integer columns (version number)


def _plain_data_problem(document):
    """The first value that is not plain data (text, number, boolean, list, mapping), as a problem."""
    stack = [("", document, 0)]
    visited = 0
    while stack:
        where, value, depth = stack.pop()
        label = where or _("(document)")
        visited += 1
        if visited > MAX_VALUES:
            return _("(document): more than %(n)d values (aliases included)") % {"n": MAX_VALUES}
        if depth > MAX_DEPTH:
            return _("%(key)s: nested too deeply") % {"key": label}
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str | int) or isinstance(key, bool):
                    return _("%(key)s: a key must be a name") % {"key": label}
                name = str(key).replace("\x00", "")
                stack.append((f"{where}.{name}" if where else name, item, depth + 1))
                if isinstance(key, str):
                    stack.append((where, key, depth))  # the key itself is text too
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((f"{where}[{index}]", item, depth + 1))
        elif isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                return _("%(key)s: must be a finite number") % {"key": label}
        elif isinstance(value, int):
            if abs(value) > MAX_INTEGER:
                return _("%(key)s: the number is too large") % {"key": label}
        elif isinstance(value, str):
            if "\x00" in value:
                return _("%(key)s: NUL characters are not allowed") % {"key": label}
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return _("%(key)s: not valid Unicode text") % {"key": label}
        elif value is not None:
            return _("%(key)s: must be a text, a number, a boolean, a list or a mapping (not %(kind)s)") % {
                "key": label,
                "kind": type(value).__name__,
            }
    return None


def parse_definition(text, *, check_calendars=True):
    return validate(load_yaml(text), check_calendars=check_calendars)


# --- validation -----------------------------------------------------------------------------------
def _label(value, default):
    if value is None:
        return {"fr": default, "en": default}
    if isinstance(value, str):
        return {"fr": value, "en": value}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return None


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, str | int):
        return [value]
    return value


class _Validator:
    def __init__(self, document, check_calendars):
        self.doc = document
        self.check_calendars = check_calendars
        self.problems = []
        self.out = {}

    def problem(self, key, message, **params):
        self.problems.append(f"{key}: {message % params if params else message}")

    # helpers
    def mapping(self, key, value, *, required=False):
        if value is None:
            if required:
                self.problem(key, _("missing (a mapping is required)"))
            return {}
        if not isinstance(value, dict):
            self.problem(key, _("must be a mapping"))
            return {}
        return value

    def string_list(self, key, value):
        items = _as_list(value)
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            self.problem(key, _("must be a name or a list of names"))
            return []
        return items

    def check_roles(self, key, roles):
        for role in roles:
            if role not in self.roles:
                self.problem(key, _("role '%(role)s' is not declared in roles"), role=role)

    def check_states(self, key, states):
        for state in states:
            if state not in self.states:
                self.problem(key, _("unknown state '%(state)s'"), state=state)

    def check_duration(self, key, value, *, allow_reference):
        from engine import durations

        if not isinstance(value, str) or not value.strip():
            self.problem(key, _("must be a duration such as '2 business_days'"))
            return
        match = REFERENCE_RE.match(value.strip())
        if allow_reference and match:
            if match.group(1) not in registry.DURATION_RESOLVERS:
                self.problem(
                    key,
                    _("no duration resolver named '%(name)s' is registered (known: %(known)s)"),
                    name=match.group(1),
                    known=", ".join(sorted(registry.DURATION_RESOLVERS)) or "-",
                )
            return
        try:
            durations.parse_duration(value)
        except durations.DurationError as error:
            self.problem(key, _("malformed duration '%(value)s': %(reason)s"), value=value, reason=error)

    def calls(self, key, value, table, kind):
        """A list of guard/action calls: each item is ``name`` or ``{name: {param: value}}``."""
        items = _as_list(value)
        if not isinstance(items, list):
            self.problem(key, _("must be a list of %(kind)ss"), kind=kind)
            return []
        calls = []
        for index, item in enumerate(items):
            where = f"{key}[{index}]"
            if isinstance(item, str):
                name, params = item, {}
            elif isinstance(item, dict) and len(item) == 1:
                name, params = next(iter(item.items()))
                params = {} if params is None else params
            else:
                self.problem(where, _("must be a %(kind)s name or {name: {parameters}}"), kind=kind)
                continue
            entry = table.get(name)
            if entry is None:
                self.problem(
                    where,
                    _("unknown %(kind)s '%(name)s' (known: %(known)s)"),
                    kind=kind,
                    name=name,
                    known=", ".join(sorted(table)),
                )
                continue
            where = f"{where}.{name}"
            if not isinstance(params, dict):
                self.problem(where, _("parameters must be a mapping"))
                continue
            for param in params:
                if param not in entry.params:
                    self.problem(
                        where,
                        _("unknown parameter '%(param)s' (expected: %(expected)s)"),
                        param=param,
                        expected=", ".join(entry.params) or "-",
                    )
            clean = {}
            for param, spec in entry.params.items():
                if param not in params:
                    if spec.required:
                        self.problem(where, _("missing parameter '%(param)s'"), param=param)
                    continue
                if self.check_param(f"{where}.{param}", params[param], spec):
                    clean[param] = params[param]
            calls.append({"name": name, "params": clean})
        return calls

    def check_param(self, key, value, spec):
        kind = spec.type
        if kind is registry.ANY:
            return True
        if isinstance(kind, registry.Ref):
            if not isinstance(value, str):
                self.problem(key, _("must be %(what)s"), what=spec.describe())
                return False
            known = {
                registry.ROLE: (self.roles, _("role '%(value)s' is not declared in roles")),
                registry.STATE: (self.states, _("unknown state '%(value)s'")),
                registry.DEADLINE: (self.deadline_names, _("unknown deadline '%(value)s'")),
                registry.ALERT: (self.alert_names, _("unknown alert '%(value)s'")),
            }.get(kind)
            if known and value not in known[0]:
                self.problem(key, known[1], value=value)
                return False
            if kind is registry.DURATION:
                before = len(self.problems)
                self.check_duration(key, value, allow_reference=True)
                return len(self.problems) == before
            return True
        ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            self.problem(key, _("must be %(what)s"), what=spec.describe())
        return ok

    # sections
    def run(self):
        doc = self.doc
        for key in doc:
            if key not in TOP_LEVEL_KEYS:
                self.problem(
                    str(key),
                    _("unknown key (expected one of: %(keys)s)"),
                    keys=", ".join(sorted(TOP_LEVEL_KEYS)),
                )
        code = doc.get("procedure")
        if not isinstance(code, str) or not CODE_RE.match(code):
            self.problem("procedure", _("missing or not a code (lowercase letters, digits, - and _)"))
        elif len(code) > MAX_NAME:
            self.problem("procedure", _("longer than %(n)d characters"), n=MAX_NAME)
        version = doc.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            self.problem("version", _("missing or not a positive integer"))
        if isinstance(version, int) and version > MAX_INTEGER:
            self.problem("version", _("at most %(n)d"), n=MAX_INTEGER)
        title = _label(doc.get("title"), code or "")
        if title is None or not doc.get("title"):
            self.problem("title", _("missing (a text, or {fr: ..., en: ...})"))
        elif any(len(text) > MAX_TITLE for text in title.values()):
            self.problem("title", _("longer than %(n)d characters"), n=MAX_TITLE)
        if not isinstance(doc.get("description", ""), str):
            self.problem("description", _("must be a text"))
        for section in ("roles", "opened_by", "states", "transitions", "deadlines", "alerts"):
            names = doc.get(section)
            names = [names] if isinstance(names, str) else names
            for name in names if isinstance(names, dict | list) else ():
                if isinstance(name, str | int) and len(str(name)) > MAX_NAME:
                    self.problem(
                        f"{section}.{str(name)[:MAX_NAME]}...",
                        _("a name is limited to %(n)d characters"),
                        n=MAX_NAME,
                    )
        self.out.update(
            procedure=code, version=version, title=title or {}, description=doc.get("description", "")
        )

        self.roles = self.string_list("roles", doc.get("roles"))
        if not self.roles:
            self.problem("roles", _("declare at least one role"))
        self.out["roles"] = self.roles
        opened_by = self.string_list("opened_by", doc.get("opened_by"))
        self.check_roles("opened_by", opened_by)
        self.out["opened_by"] = opened_by

        raw_states = self.mapping("states", doc.get("states"), required=True)
        self.states = {str(name) for name in raw_states}
        raw_deadlines = self.mapping("deadlines", doc.get("deadlines"))
        self.deadline_names = {str(name) for name in raw_deadlines}
        raw_alerts = self.mapping("alerts", doc.get("alerts"))
        self.alert_names = {str(name) for name in raw_alerts} | {DEFAULT_ALERT}

        self.validate_states(raw_states)
        self.validate_transitions(self.mapping("transitions", doc.get("transitions"), required=True))
        self.validate_deadlines(raw_deadlines)
        self.validate_escalations(doc.get("escalations"))
        self.validate_alerts(raw_alerts)
        self.validate_graph()
        return self.out

    def validate_states(self, raw_states):
        states = {}
        for name, spec in raw_states.items():
            key = f"states.{name}"
            spec = self.mapping(key, {} if spec is None else spec)
            for option in spec:
                if option not in ("initial", "final", "phase", "label", "description"):
                    self.problem(key, _("unknown option '%(option)s'"), option=option)
            final = bool(spec.get("final"))
            phase = spec.get("phase", "closed" if final else "open")
            if phase not in PHASES:
                self.problem(f"{key}.phase", _("must be one of %(phases)s"), phases=", ".join(PHASES))
            if final and phase != "closed":
                self.problem(f"{key}.phase", _("a final state must be in the closed phase"))
            label = _label(spec.get("label"), str(name))
            if label is None:
                self.problem(f"{key}.label", _("must be a text or {fr: ..., en: ...}"))
            states[str(name)] = {
                "initial": bool(spec.get("initial")),
                "final": final,
                "phase": phase,
                "label": label or {},
            }
        initial = [name for name, spec in states.items() if spec["initial"]]
        if not initial and states:
            self.problem("states", _("no initial state (mark exactly one with initial: true)"))
        elif len(initial) > 1:
            self.problem(
                "states",
                _("several initial states: %(names)s (exactly one is allowed)"),
                names=", ".join(initial),
            )
        if states and not any(spec["final"] for spec in states.values()):
            self.problem("states", _("no final state (mark at least one with final: true)"))
        self.out["states"] = states
        self.out["initial"] = initial[0] if len(initial) == 1 else None

    def validate_transitions(self, raw):
        transitions = {}
        for code, spec in raw.items():
            key = f"transitions.{code}"
            if not CODE_RE.match(str(code)):
                self.problem(key, _("a transition code uses lowercase letters, digits, - and _"))
            spec = self.mapping(key, spec)
            for option in spec:
                if option not in (
                    "from",
                    "to",
                    "roles",
                    "guards",
                    "actions",
                    "fields",
                    "label",
                    "description",
                ):
                    self.problem(key, _("unknown option '%(option)s'"), option=option)
            sources = self.string_list(f"{key}.from", spec.get("from"))
            if not sources:
                self.problem(f"{key}.from", _("missing (the state or states this transition leaves)"))
            self.check_states(f"{key}.from", sources)
            target = spec.get("to")
            if not isinstance(target, str):
                self.problem(f"{key}.to", _("missing (the state this transition enters)"))
            else:
                self.check_states(f"{key}.to", [target])
            roles = self.string_list(f"{key}.roles", spec.get("roles"))
            if not roles:
                self.problem(f"{key}.roles", _("missing (the roles allowed to fire it)"))
            self.check_roles(f"{key}.roles", roles)
            transitions[str(code)] = {
                "from": sources,
                "to": target,
                "roles": roles,
                "guards": self.calls(f"{key}.guards", spec.get("guards"), registry.GUARDS, _("guard")),
                "actions": self.calls(f"{key}.actions", spec.get("actions"), registry.ACTIONS, _("action")),
                "fields": self.validate_fields(f"{key}.fields", spec.get("fields")),
                "label": _label(spec.get("label"), str(code)) or {},
            }
        self.out["transitions"] = transitions

    def validate_fields(self, key, raw):
        fields = {}
        for name, spec in self.mapping(key, raw).items():
            where = f"{key}.{name}"
            spec = self.mapping(where, {} if spec is None else spec)
            kind = spec.get("type", "text")
            if kind not in FIELD_TYPES:
                self.problem(f"{where}.type", _("must be one of %(types)s"), types=", ".join(FIELD_TYPES))
            choices = spec.get("choices", [])
            if kind == "choice" and (not isinstance(choices, list) or not choices):
                self.problem(f"{where}.choices", _("a choice field needs a non-empty list of choices"))
            for option in spec:
                if option not in ("type", "required", "label", "choices", "help"):
                    self.problem(where, _("unknown option '%(option)s'"), option=option)
            fields[str(name)] = {
                "type": kind,
                "required": bool(spec.get("required", False)),
                "label": _label(spec.get("label"), str(name)) or {},
                "choices": [str(choice) for choice in choices] if isinstance(choices, list) else [],
            }
        return fields

    def validate_deadlines(self, raw):
        deadlines = {}
        for name, spec in raw.items():
            key = f"deadlines.{name}"
            spec = self.mapping(key, spec)
            for option in spec:
                if option not in (
                    "starts",
                    "stops",
                    "duration",
                    "calendar",
                    "pauses_in",
                    "escalations",
                    "label",
                ):
                    self.problem(key, _("unknown option '%(option)s'"), option=option)
            starts = self.mapping(f"{key}.starts", spec.get("starts"))
            stops = self.mapping(f"{key}.stops", spec.get("stops"))
            for where, section, allowed in (
                (f"{key}.starts", starts, ("enter",)),
                (f"{key}.stops", stops, ("enter", "leave")),
            ):
                for option in section:
                    if option not in allowed:
                        self.problem(
                            where,
                            _("unknown option '%(option)s' (expected: %(expected)s)"),
                            option=option,
                            expected=", ".join(allowed),
                        )
            start_states = self.string_list(f"{key}.starts.enter", starts.get("enter"))
            self.check_states(f"{key}.starts.enter", start_states)
            stop_enter = self.string_list(f"{key}.stops.enter", stops.get("enter"))
            self.check_states(f"{key}.stops.enter", stop_enter)
            stop_leave = self.string_list(f"{key}.stops.leave", stops.get("leave"))
            self.check_states(f"{key}.stops.leave", stop_leave)
            if "duration" not in spec:
                self.problem(
                    f"{key}.duration", _("missing (e.g. '2 business_days' or service_level.acknowledge)")
                )
            else:
                self.check_duration(f"{key}.duration", spec["duration"], allow_reference=True)
            calendar = spec.get("calendar", "default")
            if not isinstance(calendar, str):
                self.problem(f"{key}.calendar", _("must be a calendar code"))
            elif self.check_calendars:
                from engine.models import BusinessCalendar

                # "default" always exists: created by a migration, and again on first use if deleted.
                if calendar != "default" and not BusinessCalendar.objects.filter(code=calendar).exists():
                    self.problem(f"{key}.calendar", _("unknown calendar '%(code)s'"), code=calendar)
            pauses = self.string_list(f"{key}.pauses_in", spec.get("pauses_in"))
            self.check_states(f"{key}.pauses_in", pauses)
            escalations = []
            raw_points = _as_list(spec.get("escalations"))
            if not isinstance(raw_points, list):
                self.problem(f"{key}.escalations", _("must be a list of {at: ..., actions: [...]}"))
                raw_points = []
            for index, point in enumerate(raw_points):
                escalations.append(self.escalation(f"{key}.escalations[{index}]", point))
            deadlines[str(name)] = {
                "starts": {"enter": start_states},
                "stops": {"enter": stop_enter, "leave": stop_leave},
                "duration": spec.get("duration") if isinstance(spec.get("duration"), str) else "",
                "calendar": calendar if isinstance(calendar, str) else "default",
                "pauses_in": pauses,
                "escalations": escalations,
                "label": _label(spec.get("label"), str(name)) or {},
            }
        self.out["deadlines"] = deadlines

    def escalation(self, key, point):
        from engine import durations

        point = self.mapping(key, point)
        for option in point:
            if option not in ("at", "actions", "deadline"):
                self.problem(key, _("unknown option '%(option)s'"), option=option)
        at = point.get("at")
        offset = 0.0
        if at is None:
            self.problem(f"{key}.at", _("missing (e.g. '-25%%', '0' or '+100%%')"))
        else:
            try:
                offset = durations.parse_offset(str(at))
            except durations.DurationError as error:
                self.problem(
                    f"{key}.at", _("malformed escalation point '%(at)s': %(reason)s"), at=at, reason=error
                )
            else:
                if offset < -1:
                    self.problem(f"{key}.at", _("an escalation point cannot be before the deadline starts"))
        actions = self.calls(f"{key}.actions", point.get("actions"), registry.ACTIONS, _("action"))
        if not actions and "actions" not in point:
            self.problem(f"{key}.actions", _("missing (what to do at this point)"))
        return {"at": str(at), "offset": offset, "actions": actions}

    def validate_escalations(self, raw):
        """Top-level escalations name their deadline: ``- {deadline: ack, at: '0', actions: [...]}``."""
        items = _as_list(raw)
        if not isinstance(items, list):
            self.problem("escalations", _("must be a list of {deadline: ..., at: ..., actions: [...]}"))
            return
        for index, point in enumerate(items):
            key = f"escalations[{index}]"
            if not isinstance(point, dict):
                self.problem(key, _("must be a mapping {deadline: ..., at: ..., actions: [...]}"))
                continue
            deadline = point.get("deadline")
            parsed = self.escalation(key, point)
            if not isinstance(deadline, str):
                self.problem(f"{key}.deadline", _("missing (the deadline this escalation point belongs to)"))
            elif deadline not in self.out["deadlines"]:
                self.problem(f"{key}.deadline", _("unknown deadline '%(name)s'"), name=deadline)
            else:
                self.out["deadlines"][deadline]["escalations"].append(parsed)

    def validate_alerts(self, raw):
        alerts = {}
        for name, spec in raw.items():
            key = f"alerts.{name}"
            spec = self.mapping(key, spec)
            for option in spec:
                if option not in (
                    "raised_by",
                    "answered_by",
                    "answer_within",
                    "outcomes",
                    "calendar",
                    "label",
                    "on_late",
                ):
                    self.problem(key, _("unknown option '%(option)s'"), option=option)
            raised_by = self.string_list(f"{key}.raised_by", spec.get("raised_by"))
            self.check_roles(f"{key}.raised_by", raised_by)
            answered_by = self.string_list(f"{key}.answered_by", spec.get("answered_by"))
            self.check_roles(f"{key}.answered_by", answered_by)
            if not answered_by:
                self.problem(f"{key}.answered_by", _("missing (the roles that answer this alert)"))
            if spec.get("answer_within") is not None:
                self.check_duration(f"{key}.answer_within", spec["answer_within"], allow_reference=False)
            outcomes = self.string_list(f"{key}.outcomes", spec.get("outcomes"))
            if not outcomes:
                self.problem(f"{key}.outcomes", _("missing (the possible outcomes when the alert is closed)"))
            alerts[str(name)] = {
                "raised_by": raised_by,
                "answered_by": answered_by,
                "answer_within": spec.get("answer_within"),
                "calendar": spec.get("calendar", "default"),
                "outcomes": outcomes,
                "label": _label(spec.get("label"), str(name)) or {},
                # actions run once by the sweeper when the answer is late (the alert's answer clock)
                "on_late": self.calls(f"{key}.on_late", spec.get("on_late"), registry.ACTIONS, _("action")),
            }
            if spec.get("on_late") and spec.get("answer_within") is None:
                self.problem(f"{key}.on_late", _("needs answer_within (when the answer is late)"))
        self.out["alerts"] = alerts

    def validate_graph(self):
        states = self.out["states"]
        transitions = self.out["transitions"]
        initial = self.out.get("initial")
        exits = {name: set() for name in states}
        for spec in transitions.values():
            for source in spec["from"]:
                if source in exits and spec["to"] in states:
                    exits[source].add(spec["to"])
        if initial:
            reached = {initial}
            queue = deque([initial])
            while queue:
                for target in exits[queue.popleft()]:
                    if target not in reached:
                        reached.add(target)
                        queue.append(target)
            for name in states:
                if name not in reached:
                    self.problem(
                        f"states.{name}",
                        _("no path reaches this state from the initial state '%(initial)s'"),
                        initial=initial,
                    )
        for name, spec in states.items():
            if not spec["final"] and not any(name in t["from"] for t in transitions.values()):
                self.problem(f"states.{name}", _("not final and no transition leaves it"))


def validate(document, *, check_calendars=True):
    """Validate a loaded YAML mapping; return the normalised definition or raise DefinitionInvalid."""
    if not isinstance(document, dict):
        raise DefinitionInvalid([_("(document): a procedure must be a YAML mapping of keys")])
    validator = _Validator(document, check_calendars)
    definition = validator.run()
    if validator.problems:
        raise DefinitionInvalid(validator.problems)
    return definition


def alert_spec(definition, code):
    """The alert's spec; the built-in ``escalation`` alert is answered by the role it is raised to."""
    if code in definition.get("alerts", {}):
        return definition["alerts"][code]
    return {
        "raised_by": [],
        "answered_by": [],
        "answer_within": None,
        "calendar": "default",
        "outcomes": ["resolved"],
    }
