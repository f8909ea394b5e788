"""The domain vocabulary is defined once (vidensdata.vocabulary); the ground floors import without cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import vidensdata
from vidensdata import audit, disclosure, vocabulary
from vidensdata.datasets import derive, registry
from vidensdata.errors import UnknownDatasetError
from vidensdata.methods import mortality
from vidensdata import formatting
from vidensdata.presentation import komponenter
from vidensdata.sources import synthetic
from vidensdata.themes import serviceudvikling

PACKAGE = Path(vidensdata.__file__).parent


def test_age_groups_of_the_pure_methods_equal_the_vocabulary():
    # methods import nothing of the package but errors, so they keep their own copy; it must not drift
    assert tuple(mortality.AGE_GROUPS) == vocabulary.ALDERSGRUPPER_5
    assert vocabulary.ALDERSGRUPPER_5[0] == "0-4" and vocabulary.ALDERSGRUPPER_5[-1] == "95+"


def test_old_names_are_the_vocabulary_itself():
    assert formatting.SUPPRESSED is vocabulary.PRIMAER == "<5"
    assert audit.SECONDARY is vocabulary.SEKUNDAER == "x"
    assert disclosure.SEKUNDAER is vocabulary.SEKUNDAER and komponenter.SEKUNDAER is vocabulary.SEKUNDAER
    assert synthetic.YDELSER is vocabulary.YDELSER
    assert serviceudvikling.YDELSE_NAVNE is vocabulary.YDELSE_NAVNE
    assert vidensdata.datasets.YDELSE_NAVNE is vocabulary.YDELSE_NAVNE
    assert derive.REGISTRE is vocabulary.REGISTRE and derive.ALLE == vocabulary.ALLE
    assert vocabulary.YDELSE_KODER == (*vocabulary.YDELSER, "alle")
    assert set(vocabulary.KONTAKT_REGISTRE) < set(vocabulary.REGISTRE)


def _literal_definitions(name: str) -> list[str]:
    """Modules of the package that assign ``name`` at module level (a definition, not an import)."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, ast.AnnAssign) else []
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                found.append(path.relative_to(PACKAGE).as_posix())
    return found


@pytest.mark.parametrize("name", ["SEKUNDAER", "SUPPRESSED", "PRIMAER", "YDELSER", "YDELSE_NAVNE", "REGISTRE",
                                  "KONTAKT_REGISTRE", "ALDERSGRUPPER_5", "AGE_GROUPS_5", "ALLE"])
def test_vocabulary_is_defined_once(name):
    assert set(_literal_definitions(name)) <= {"vocabulary.py"}


def test_sources_import_nothing_from_the_layers_above():
    above = ("datasets", "methods", "themes", "presentation", "reporting", "report", "app")
    for path in (PACKAGE / "sources").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 2 and node.module:
                assert node.module.split(".")[0] not in above, f"{path.name} imports ..{node.module}"


def test_invalidate_forgets_the_memoised_frames():
    registry.frame("regioner")
    registry.frame("kommuner")
    registry.invalidate("regioner")
    assert not any(k[0] == "regioner" for k in registry._FRAMES)
    assert any(k[0] == "kommuner" for k in registry._FRAMES)
    registry.invalidate()
    assert not registry._FRAMES
    with pytest.raises(UnknownDatasetError):
        registry.invalidate("kommunerr")


def test_protect_group_is_public():
    values = np.array([3, 10, 12, 25])  # three cells and their total
    mask = np.array([True, False, False, False])
    assert disclosure.protect_group(values, mask)
    assert mask.sum() == 2 and mask[0] and not mask[-1]
