"""The committed schemas/ files, which shipped YAML files point editors at, are current."""

import json

import pytest

from tests.support.helpers import ROOT
from tests.support.runners import run


@pytest.mark.parametrize("which", ["problem", "answers"])
def test_committed_schema_matches_the_command(which):
    committed = json.loads((ROOT / "schemas" / f"{which}.schema.json").read_text())
    printed = json.loads(run("schema", which).stdout)
    assert committed == printed, f"regenerate: hwcheck schema {which} > schemas/{which}.schema.json"


def test_shipped_yaml_points_at_existing_schemas():
    for path in list((ROOT / "problems").glob("*.yaml")) + [ROOT / "examples" / "seed-answers.yaml"]:
        first = path.read_text().splitlines()[0]
        if "$schema=" in first:
            target = (path.parent / first.split("$schema=", 1)[1].strip()).resolve()
            assert target.is_file(), f"{path.name} points at missing {target}"
