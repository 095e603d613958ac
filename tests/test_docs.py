"""Every command has help, and the README shows every command."""
from __future__ import annotations

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from provenance.cli import app
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands() -> list[str]:
    root = get_command(app)
    names = []
    for name, cmd in root.commands.items():
        sub = getattr(cmd, "commands", None)
        names += [f"{name} {s}" for s in sub] if sub else [name]
    return sorted(names)


@pytest.mark.parametrize("command", commands())
def test_every_command_has_help_and_appears_in_the_readme(command):
    result = CliRunner().invoke(app, [*command.split(), "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
    assert f"provenance {command}" in README, f"README has no example of 'provenance {command}'"
