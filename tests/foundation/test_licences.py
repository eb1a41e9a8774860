"""Every installed distribution's licence is in the allowed list the README documents (gup/licences.py)."""

import re
from pathlib import Path

from gup import licences

BASE = Path(__file__).resolve().parents[2]


def fake_distribution(directory, name, version, **fields):
    info = directory / f"{name}-{version}.dist-info"
    info.mkdir()
    lines = ["Metadata-Version: 2.4", f"Name: {name}", f"Version: {version}"]
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            lines.append(f"{key.replace('_', '-')}: {item}")
    (info / "METADATA").write_text("\n".join(lines) + "\n")
    return directory


def test_every_installed_distribution_has_an_allowed_licence():
    findings = licences.check()
    print(licences.report(findings))
    assert len(findings) > 20
    assert {"django", "djangorestframework", "psycopg"} <= {licences.canonical(f.name) for f in findings}
    assert [(f.name, f.licence) for f in findings if not f.allowed] == []


def test_it_refuses_a_distribution_whose_licence_is_outside_the_list(tmp_path):
    fake_distribution(tmp_path, "fake_pkg", "1.0", License="Proprietary")
    fake_distribution(tmp_path, "fine_pkg", "2.0", License_Expression="MIT")
    findings = {f.name: f for f in licences.check(path=[str(tmp_path)])}
    assert set(findings) == {"fake_pkg", "fine_pkg"}
    assert findings["fake_pkg"].allowed is False
    assert findings["fake_pkg"].licence == "UNKNOWN (Proprietary)"
    assert findings["fine_pkg"].allowed is True
    assert "REFUSED  fake_pkg 1.0: UNKNOWN (Proprietary)" in licences.report(findings.values())


def test_it_refuses_a_known_licence_that_is_not_allowed_and_one_said_only_by_an_unclear_classifier(tmp_path):
    fake_distribution(tmp_path, "gpl_pkg", "1.0", License_Expression="GPL-2.0-only")
    fake_distribution(tmp_path, "bsd_pkg", "1.0", Classifier="License :: OSI Approved :: BSD License")
    fake_distribution(tmp_path, "silent_pkg", "1.0")
    findings = {f.name: f for f in licences.check(path=[str(tmp_path)])}
    assert {name: f.allowed for name, f in findings.items()} == {
        "gpl_pkg": False,
        "bsd_pkg": False,
        "silent_pkg": False,
    }
    assert findings["silent_pkg"].licence == "UNKNOWN (nothing)"


def test_an_or_needs_one_allowed_side_and_an_and_needs_both():
    assert licences.is_allowed("MIT OR GPL-2.0-only")
    assert not licences.is_allowed("MIT AND GPL-2.0-only")
    assert licences.is_allowed("(Apache-2.0 OR GPL-2.0-only) AND BSD-3-Clause")
    assert licences.is_allowed("AGPL-3.0-only WITH Classpath-exception-2.0")
    assert not licences.is_allowed("MIT AND")
    assert not licences.is_allowed("(MIT")


def test_the_command_exits_non_zero_when_a_distribution_is_refused(tmp_path, monkeypatch, capsys):
    fake_distribution(tmp_path, "fake_pkg", "1.0", License="Proprietary")
    real_check = licences.check
    monkeypatch.setattr(licences, "check", lambda: real_check(path=[str(tmp_path)]))
    assert licences.main() == 1
    assert "1 distributions, 1 refused" in capsys.readouterr().out


def test_the_readme_documents_the_allowed_list_and_the_project_licence():
    readme = (BASE / "README.md").read_text()
    section = readme[readme.index("## Licence") :]
    section = section[: section.index("\n## ", 1)]
    documented = set(re.findall(r"`([A-Za-z0-9.+-]+)`", section))
    assert sorted(licences.ALLOWED - documented) == []
    assert "EUPL-1.2" in section
    assert (BASE / "LICENSE").read_text().startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2")
    assert 'SPDX-License-Identifier = "EUPL-1.2"' in (BASE / "REUSE.toml").read_text()
