"""The licences of every installed Python distribution, checked against the allowed list.

The project is EUPL-1.2 (LICENSE, README "Licence"). A dependency is accepted when its licence, read
from its own metadata (License-Expression, else the License field when it is an SPDX id, else the
"License ::" classifiers) or from the explicit table below, is in ALLOWED (for an SPDX "OR", one
allowed alternative is enough; for "AND", every part must be allowed).

`python -m gup.licences` prints every distribution with its licence and exits 1 when one is refused.
"""

import importlib.metadata
import re
import sys
from dataclasses import dataclass

PROJECT = "gup"
PROJECT_LICENCE = "EUPL-1.2"

# The README's "Licence" section lists the same ids, with why each is compatible with EUPL-1.2.
ALLOWED = frozenset(
    {
        "0BSD",
        "AGPL-3.0-only",
        "AGPL-3.0-or-later",
        "Apache-2.0",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "CC0-1.0",
        "EUPL-1.2",
        "HPND",
        "ISC",
        "LGPL-2.1-only",
        "LGPL-2.1-or-later",
        "LGPL-3.0-only",
        "LGPL-3.0-or-later",
        "MIT",
        "MIT-0",
        "MIT-CMU",
        "MPL-2.0",
        "PSF-2.0",
        "Unlicense",
        "Zlib",
    }
)

# Trove classifiers that name exactly one licence. "BSD License" is not here: it names no variant.
CLASSIFIERS = {
    "License :: OSI Approved :: MIT License": "MIT",
    "License :: OSI Approved :: Apache Software License": "Apache-2.0",
    "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "License :: OSI Approved :: ISC License (ISCL)": "ISC",
    "License :: OSI Approved :: Python Software Foundation License": "PSF-2.0",
    "License :: OSI Approved :: The Unlicense (Unlicense)": "Unlicense",
    "License :: OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)": "EUPL-1.2",
    "License :: OSI Approved :: GNU Affero General Public License v3": "AGPL-3.0-only",
    "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "License :: OSI Approved :: Historical Permission Notice and Disclaimer (HPND)": "HPND",
    "License :: OSI Approved :: zlib/libpng License": "Zlib",
}

# Free-text License fields that are unambiguous spellings of one SPDX id.
ALIASES = {"Apache 2.0": "Apache-2.0", "Apache License 2.0": "Apache-2.0", "MIT License": "MIT"}

# Distributions whose metadata says only "BSD" (or nothing usable): the licence read from the
# LICENSE file each ships in its .dist-info, with the reason.
KNOWN = {
    "amqp": (
        "BSD-3-Clause",
        "metadata says 'BSD'; its LICENSE has the non-endorsement clause, no advertising",
    ),
    "billiard": ("BSD-3-Clause", "metadata says 'BSD'; its LICENSE is the three-clause text"),
    "vine": ("BSD-3-Clause", "metadata says 'BSD'; its LICENSE is the three-clause text"),
    "click-plugins": ("BSD-3-Clause", "metadata says 'New BSD'; its LICENSE is the three-clause text"),
    "django-filter": (
        "BSD-3-Clause",
        "only the 'BSD License' classifier; its LICENSE is the three-clause text",
    ),
    "drf-spectacular-sidecar": ("BSD-3-Clause", "metadata says 'BSD'; its LICENSE is the three-clause text"),
    "prompt-toolkit": (
        "BSD-3-Clause",
        "only the 'BSD License' classifier; its LICENSE is the three-clause text",
    ),
    "sqlparse": ("BSD-3-Clause", "only the 'BSD License' classifier; its LICENSE is the three-clause text"),
    "pytest-django": ("BSD-3-Clause", "its License field says 'BSD (3-clause)' in a sentence"),
    "python-dateutil": (
        "Apache-2.0 AND BSD-3-Clause",
        "License field 'Dual License': later code Apache-2.0, earlier code BSD-3-Clause (its LICENSE)",
    ),
    "uritemplate": (
        "BSD-3-Clause OR Apache-2.0",
        "License field 'BSD 3-Clause OR Apache-2.0' (not SPDX spelling)",
    ),
    "django-viewflow": (
        "AGPL-3.0-or-later",
        "License field 'AGPL', classifier AGPLv3+; LICENSE: the AGPL-3.0 text (used unmodified)",
    ),
    "pyphen": (
        "GPL-2.0-or-later OR LGPL-2.1-or-later OR MPL-1.1",
        "three classifiers, one licence to choose: GPLv2+, LGPLv2+ or MPL 1.1 (its LICENSE); LGPL taken",
    ),
    "contourpy": ("BSD-3-Clause", "metadata names no variant; its LICENSE is the three-clause text"),
    "cssselect2": ("BSD-3-Clause", "metadata names no variant; its LICENSE is the three-clause text"),
    "cycler": ("BSD-3-Clause", "metadata names no variant; its LICENSE is the three-clause text"),
    "kiwisolver": ("BSD-3-Clause", "metadata names no variant; its LICENSE is the three-clause text"),
    "pydyf": ("BSD-3-Clause", "metadata names no variant; its LICENSE is the three-clause text"),
    "tinycss2": ("BSD-3-Clause", "metadata names no variant; its LICENSE is the three-clause text"),
    "weasyprint": ("BSD-3-Clause", "metadata names no variant; its LICENSE is the three-clause text"),
    "webencodings": ("BSD-3-Clause", "metadata names no variant; its LICENSE is the three-clause text"),
    PROJECT: (PROJECT_LICENCE, "this project (LICENSE)"),
}

SPDX_ID = re.compile(r"^[A-Za-z0-9.+-]+$")
TOKEN = re.compile(r"\(|\)|[^\s()]+")


@dataclass(frozen=True)
class Finding:
    name: str
    version: str
    licence: str  # an SPDX expression, or "UNKNOWN (<what the metadata says>)"
    source: str  # where it was read: License-Expression, License, classifiers, table
    allowed: bool


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def is_allowed(expression, allowed=ALLOWED):
    """Evaluate an SPDX expression: OR needs one allowed side, AND needs both; WITH keeps the licence."""
    tokens = TOKEN.findall(expression)
    position = 0

    def parse_or():
        nonlocal position
        value = parse_and()
        while position < len(tokens) and tokens[position].upper() == "OR":
            position += 1
            right = parse_and()
            value = value or right
        return value

    def parse_and():
        nonlocal position
        value = parse_atom()
        while position < len(tokens) and tokens[position].upper() == "AND":
            position += 1
            right = parse_atom()
            value = value and right
        return value

    def parse_atom():
        nonlocal position
        if position >= len(tokens):
            raise ValueError("expression ends too early")
        token = tokens[position]
        position += 1
        if token == "(":
            value = parse_or()
            if position >= len(tokens) or tokens[position] != ")":
                raise ValueError("unbalanced parenthesis")
            position += 1
        elif SPDX_ID.match(token) and token.upper() not in {"AND", "OR", "WITH"}:
            value = token in allowed
        else:
            raise ValueError(f"unexpected {token!r}")
        if position < len(tokens) and tokens[position].upper() == "WITH":
            position += 2  # an exception only ever adds permissions
        return value

    try:
        value = parse_or()
    except ValueError:
        return False
    return value and position == len(tokens)


def licence_of(distribution):
    """(SPDX expression or UNKNOWN, source) of one installed distribution."""
    metadata = distribution.metadata
    name = canonical(metadata["Name"] or "")
    if name in KNOWN:
        return KNOWN[name][0], "table: " + KNOWN[name][1]
    expression = (metadata.get("License-Expression") or "").strip()
    if expression:
        return expression, "License-Expression"
    field = (metadata.get("License") or "").strip()
    if field in ALIASES:
        return ALIASES[field], "License"
    if field and "\n" not in field and is_allowed(field, allowed=_spdx_like(field)):
        return field, "License"
    classifiers = [c for c in (metadata.get_all("Classifier") or []) if c.startswith("License ::")]
    mapped = [CLASSIFIERS.get(c) for c in classifiers]
    if classifiers and all(mapped):
        return " AND ".join(sorted(set(mapped))), "classifiers"
    said = field.splitlines()[0][:60] if field else ", ".join(classifiers) or "nothing"
    return f"UNKNOWN ({said})", "metadata"


def _spdx_like(field):
    """The ids of a License field that looks like an SPDX expression of known licences."""
    known = ALLOWED | {"GPL-2.0-only", "GPL-3.0-only", "GPL-2.0-or-later", "GPL-3.0-or-later"}
    return (
        known
        if all(t in known or t in {"AND", "OR", "WITH", "(", ")"} for t in TOKEN.findall(field))
        else set()
    )


def check(path=None, allowed=ALLOWED):
    """A Finding per installed distribution (on sys.path, or on `path`), sorted by name."""
    seen, findings = set(), []
    for distribution in importlib.metadata.distributions(**({"path": path} if path is not None else {})):
        name = distribution.metadata["Name"] or "?"
        if canonical(name) in seen:
            continue
        seen.add(canonical(name))
        licence, source = licence_of(distribution)
        findings.append(
            Finding(
                name,
                distribution.version,
                licence,
                source,
                not licence.startswith("UNKNOWN") and is_allowed(licence, allowed),
            )
        )
    return sorted(findings, key=lambda f: canonical(f.name))


def report(findings):
    lines = [
        f"{'ok' if f.allowed else 'REFUSED':8} {f.name} {f.version}: {f.licence} [{f.source}]"
        for f in findings
    ]
    refused = [f for f in findings if not f.allowed]
    lines.append(f"{len(findings)} distributions, {len(refused)} refused")
    return "\n".join(lines)


def main():
    findings = check()
    print(report(findings))
    return 1 if any(not f.allowed for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main())
