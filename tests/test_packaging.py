"""pyproject.toml and environment.yml list the same packages; the constraints pin them all."""

import re
import tomllib

import yaml

from vidensdata.parameters import notebook_parameters
from vidensdata.themes import TEMAER


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject(repo):
    py = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    pyproject = {_name(r) for r in py["dependencies"]} | {_name(r) for r in py["optional-dependencies"]["test"]}
    env = yaml.safe_load((repo / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert conda == pyproject, (conda ^ pyproject)


def test_constraints_pin_every_dependency(repo):
    py = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in py["dependencies"]} | {_name(r) for r in py["optional-dependencies"]["test"]}
    pins = {}
    for line in (repo / "requirements/constraints.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[_name(name)] = version
    assert wanted <= set(pins), wanted - set(pins)


def test_every_theme_has_a_parameter_file_matching_its_notebook(repo):
    nbs = sorted(p.stem for p in (repo / "notebooks/temaer").glob("*.ipynb"))
    assert nbs and sorted(TEMAER) == nbs
    for tema in nbs:
        declared = notebook_parameters(repo / "notebooks/temaer" / f"{tema}.ipynb")
        assert "geografi" in declared
        values = yaml.safe_load((repo / "parameters" / f"{tema}.yaml").read_text())
        assert set(values) <= set(declared), set(values) - set(declared)
        for key, value in values.items():
            assert type(value) is type(declared[key]), key


def test_ci_runs_make_test_and_readme_starts_with_the_two_commands(repo):
    assert "make test" in (repo / ".ci/run").read_text()
    head = "\n".join((repo / "README.md").read_text().splitlines()[:8])
    assert "make reports" in head and "make test" in head
