"""load_procedure on malformed YAML: a seeded, deterministic fuzz. Every case ends with a CommandError whose
message is one line naming the key (or the file) and the reason, a non-zero exit, and nothing saved."""

import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from engine.models import Procedure, ProcedureVersion, VersionEvent
from tests.engine.conftest import FULL_YAML

pytestmark = pytest.mark.django_db

SEED = 311
CASES = 60

BAD_SCALARS = [
    "123456789012345678901",  # a 20-digit number
    "-1",
    "1.5",
    "'x\\0y'",
    '"x\\0y"',
    "!!binary aGVsbG8=",
    "2026-03-02",
    ".inf",
    ".nan",
    "[1, [2, {a: 3}]]",
    "{a: {b: {c: 1}}}",
    "!!set {a, b}",
    "null",
    "true",
    "'" + "é" * 201 + "'",
]


def _replace_line(text, prefix, value):
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith(prefix):
            lines[index] = f"{prefix} {value}"
    return "\n".join(lines) + "\n"


def mutations():
    """Functions text -> bytes, each of which makes FULL_YAML invalid whatever the random choices."""

    def nul_anywhere(rng, text):
        at = rng.randrange(len(text))
        return (text[:at] + "\x00" + text[at:]).encode()

    def invalid_utf8(rng, text):
        at = rng.randrange(len(text))
        raw = text.encode()
        return raw[:at] + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80\x80"]) + raw[at:]

    def bad_version(rng, text):
        value = rng.choice([v for v in BAD_SCALARS if v not in ("true",)] + ["99999999999"])
        return _replace_line(text, "version:", value).encode()

    def bad_code(rng, text):
        value = rng.choice(["a" * rng.randint(65, 300), "Bad Code", "[repair]", "{a: 1}", "42", '"x\\0"'])
        return _replace_line(text, "procedure:", value).encode()

    def bad_title(rng, text):
        value = rng.choice(
            [
                "'" + "t" * rng.randint(201, 2000) + "'",
                "{fr: '" + "t" * 201 + "', en: x}",
                "[a, b]",
                "null",
                "''",
                "!!binary aGVsbG8=",
                '"R\\0paration"',
                '{fr: "R\\udc00", en: x}',
            ]
        )
        return _replace_line(text, "title:", value).encode()

    def bad_description(rng, text):
        return (text + f"description: {rng.choice(BAD_SCALARS[5:12])}\n").encode()

    def deep_nesting(rng, text):
        depth = rng.choice([25, 200, 1000])
        return (text + "description: " + "[" * depth + "]" * depth + "\n").encode()

    def long_name(rng, text):
        name = "s" * rng.randint(65, 200)
        section = rng.choice(["states:\n", "roles: [", "transitions:\n", "deadlines:\n"])
        if section == "roles: [":
            return text.replace(section, f"roles: [{name}, ", 1).encode()
        if section == "transitions:\n":
            entry = f"  {name}: {{from: [submitted], to: done, roles: [handler]}}\n"
        elif section == "deadlines:\n":
            entry = (
                f"  {name}: {{starts: {{enter: submitted}}, stops: {{leave: submitted}}, duration: 1 days}}\n"
            )
        else:
            entry = f"  {name}: {{phase: open}}\n"
        return text.replace(section, section + entry, 1).encode()

    def missing_key(rng, text):
        key = rng.choice(["procedure:", "version:", "title:", "roles:", "states:", "transitions:"])
        lines = text.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith(key))
        end = start + 1
        while end < len(lines) and lines[end].startswith(" "):
            end += 1
        return ("\n".join(lines[:start] + lines[end:]) + "\n").encode()

    def wrong_type(rng, text):
        key = rng.choice(["roles:", "states:", "transitions:", "deadlines:", "opened_by:"])
        value = rng.choice(["42", "'text'", "[[1]]", "{a: 1}", "2026-03-02", ".nan"])
        lines = text.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith(key))
        end = start + 1
        while end < len(lines) and lines[end].startswith(" "):
            end += 1
        return ("\n".join([*lines[:start], f"{key} {value}", *lines[end:]]) + "\n").encode()

    def not_a_mapping(rng, text):
        return rng.choice([b"", b"- a\n- b\n", b"42\n", b"'text'\n", b"? [a, b]\n: 1\n", b"{a: 1, a: 2}\n"])

    def unhashable_key(rng, text):
        return (text + rng.choice(["? [a, b]\n: 1\n", "? {a: 1}\n: 1\n"])).encode()

    def broken_syntax(rng, text):
        at = rng.randrange(len(text))
        return (
            text[:at] + rng.choice(["\n\t: [", "{{", "]]", "\n  - :\n- ", '"', "&a *b"]) + text[at:]
        ).encode()

    def aliases(rng, text):
        bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
        for level in range(1, 9):
            bomb += f"{'b' * level}: &{'b' * level} [{', '.join(['*' + ('b' * (level - 1) or 'a')] * 9)}]\n"
        return (text + bomb).encode()

    return [
        nul_anywhere,
        invalid_utf8,
        bad_version,
        bad_code,
        bad_title,
        bad_description,
        deep_nesting,
        long_name,
        missing_key,
        wrong_type,
        not_a_mapping,
        unhashable_key,
        broken_syntax,
        aliases,
    ]


def generated_cases():
    rng = random.Random(SEED)
    mutation_list = mutations()
    for number in range(CASES):
        mutate = mutation_list[number % len(mutation_list)]
        yield mutate.__name__, mutate(rng, FULL_YAML)


def test_every_malformed_definition_exits_non_zero_with_one_line_and_saves_nothing(tmp_path):
    path = tmp_path / "fuzz.yaml"
    failures = []
    for name, raw in generated_cases():
        path.write_bytes(raw)
        try:
            call_command("load_procedure", str(path), "--publish", stdout=StringIO(), stderr=StringIO())
        except CommandError as error:
            message = str(error)
            if "\n" in message or not message.startswith(str(path)) or error.returncode == 0:
                failures.append((name, raw[:200], message[:300]))
        except Exception as error:  # any other exception is what this test looks for
            failures.append((name, raw[:200], f"{type(error).__name__}: {str(error)[:300]}"))
        else:
            failures.append((name, raw[:200], "accepted"))
    assert not failures, failures[:5]
    assert (Procedure.objects.count(), ProcedureVersion.objects.count(), VersionEvent.objects.count()) == (
        0,
        0,
        0,
    )


def test_the_unmutated_definition_loads_so_the_fuzz_starts_from_a_valid_file(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(FULL_YAML, encoding="utf-8")
    call_command("load_procedure", str(path), stdout=StringIO())
    assert ProcedureVersion.objects.count() == 1
