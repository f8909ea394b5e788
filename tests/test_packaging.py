"""Packaging holds on upgrade: pyproject.toml and environment.yml declare the same packages with the same
version specifiers; the constraints pin them all within those specifiers; every third-party import of the
package is declared; `python -m vidensdata` works; the wheel installs the Voila template as shared data."""

import ast
import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from vidensdata.parameters import notebook_parameters
from vidensdata.themes import TEMAER

#: conda-only entries of environment.yml (not Python packages of the project)
CONDA_ONLY = {"python", "pip", "nodejs"}


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject_specs(repo) -> dict[str, SpecifierSet]:
    py = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in py["dependencies"] + py["optional-dependencies"]["test"]]
    return {_name(r.name): r.specifier for r in reqs}


def _conda_specs(repo) -> dict[str, SpecifierSet]:
    env = yaml.safe_load((repo / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name = _name(dep)
            spec = dep.strip()[len(name):].strip().replace(" ", "")
            if re.fullmatch(r"=[^=<>!].*", spec):  # conda's "python=3.11" is pip's "==3.11.*"
                spec = f"={spec}.*"
            out[name] = SpecifierSet(spec)
    return out


def _pins(repo) -> dict[str, str]:
    pins = {}
    for line in (repo / "requirements/constraints.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[_name(name)] = version.strip()
    return pins


def test_environment_yml_matches_pyproject(repo):
    pyproject = _pyproject_specs(repo)
    conda = {k: v for k, v in _conda_specs(repo).items() if k not in CONDA_ONLY}
    assert set(conda) == set(pyproject), f"listed in only one of the two: {sorted(set(conda) ^ set(pyproject))}"
    differ = {k: (str(pyproject[k]), str(conda[k])) for k in pyproject if pyproject[k] != conda[k]}
    assert not differ, f"version specifiers differ (pyproject.toml, environment.yml): {differ}"


def test_environment_yml_has_python_and_nodejs(repo):
    conda = _conda_specs(repo)
    assert "python" in conda and conda["python"].contains("3.11")
    # the accessibility test installs axe-core with npm (tests/a11y/package.json, `make test`)
    assert "nodejs" in conda, "environment.yml must provide nodejs (npm) for the a11y tests"


def test_constraints_pin_every_dependency_within_its_specifier(repo):
    wanted, pins = _pyproject_specs(repo), _pins(repo)
    assert set(wanted) <= set(pins), f"not pinned in requirements/constraints.txt: {sorted(set(wanted) - set(pins))}"
    outside = {k: (pins[k], str(spec)) for k, spec in wanted.items() if not spec.contains(Version(pins[k]))}
    assert not outside, f"pinned version outside pyproject's specifier (pin, specifier): {outside}"


def test_installed_versions_satisfy_pyproject(repo):
    """What the tests run against is what pyproject.toml allows (catches a venv older than a new cap)."""
    from importlib.metadata import PackageNotFoundError, version

    bad = {}
    for name, spec in _pyproject_specs(repo).items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            bad[name] = ("not installed", str(spec))
            continue
        if not spec.contains(Version(installed), prereleases=True):
            bad[name] = (installed, str(spec))
    assert not bad, f"installed version outside pyproject's specifier: {bad}"


# import name -> distribution name, where they differ
IMPORT_TO_DIST = {"yaml": "pyyaml", "IPython": "ipython", "sklearn": "scikit-learn", "PIL": "pillow"}


def _third_party_imports(root) -> dict[str, set[str]]:
    """Top-level modules imported anywhere under ``root`` (imports inside functions too), with the files."""
    found: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for n in names:
                top = n.split(".")[0]
                if top not in sys.stdlib_module_names and top != "vidensdata":
                    found.setdefault(top, set()).add(path.name)
    return found


def _lazy_imports(root) -> set[str]:
    """Third-party modules imported on first use through ``vidensdata.methods._lazy.lazy("scipy.stats")`` (the
    package's own modules, e.g. ``lazy("vidensdata.presentation.plots")``, are not dependencies)."""
    out = set()
    for path in root.rglob("*.py"):
        out |= {m.split(".")[0] for m in re.findall(r"\blazy\(\s*[\"']([\w.]+)[\"']\s*\)", path.read_text())}
    return out - {"vidensdata"}


def test_every_third_party_import_of_the_package_is_declared(repo):
    declared = set(_pyproject_specs(repo))
    src = repo / "src" / "vidensdata"
    imports = _third_party_imports(src)
    for mod in _lazy_imports(src):
        imports.setdefault(mod, set()).add("(lazy)")
    missing = {mod: sorted(files) for mod, files in imports.items()
               if _name(IMPORT_TO_DIST.get(mod, mod)) not in declared}
    assert not missing, f"imported by the package but not declared in pyproject.toml dependencies: {missing}"


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


def test_python_m_vidensdata_runs_the_cli():
    """`python -m vidensdata` is the CLI (e.g. where the venv's bin/ is not on PATH)."""
    done = subprocess.run([sys.executable, "-m", "vidensdata", "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: vidensdata "), done.stdout
    for command in ("run", "app", "audit", "data"):
        assert command in done.stdout
    bad = subprocess.run([sys.executable, "-m", "vidensdata", "no-such-command"], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "no-such-command" in bad.stderr


TEMPLATE = "share/jupyter/voila/templates/vidensdata"


def _template_files(repo) -> dict[str, bytes]:
    src = repo / "src/vidensdata/app_template/voila/templates/vidensdata"
    return {p.relative_to(src).as_posix(): p.read_bytes() for p in src.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_wheel_installs_the_voila_template_as_shared_data(repo, tmp_path):
    """`pip install .` puts the template where a plain `voila --template=vidensdata` looks for it."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
         "--wheel-dir", str(tmp_path), str(repo)],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = tmp_path.glob("vidensdata-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        prefix = next((n.split("/data/")[0] for n in names if n.endswith(".data/data/" + TEMPLATE + "/conf.json")),
                      None)
        assert prefix, f"no {TEMPLATE}/ among the wheel's data files: {[n for n in names if '.data/' in n][:20]}"
        shipped = {n[len(f"{prefix}/data/{TEMPLATE}/"):]: zf.read(n) for n in names
                   if n.startswith(f"{prefix}/data/{TEMPLATE}/")}
        assert "vidensdata/__main__.py" in names and "vidensdata/_snapshots/manifest.json" in names
    assert shipped == _template_files(repo), "the wheel's template differs from src/vidensdata/app_template"


def test_voila_finds_the_installed_template_without_jupyter_path(repo):
    """In this environment (installed with pip, editable or not), Voila's own lookup finds the template in
    <prefix>/share/jupyter, with no JUPYTER_PATH set; the copy there is the current one."""
    code = ("import json; from voila.paths import collect_template_paths; "
            "print(json.dumps(collect_template_paths(['voila', 'nbconvert'], 'vidensdata', prune=True)))")
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_PATH"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    found = Path(json.loads(done.stdout)[0])
    assert found == Path(sys.prefix) / TEMPLATE, found
    installed = {p.relative_to(found).as_posix(): p.read_bytes() for p in found.rglob("*") if p.is_file()}
    assert installed == _template_files(repo), (
        f"{found} is out of date with src/vidensdata/app_template: reinstall (make setup)")


def test_make_test_lints_before_pytest(repo):
    """`make test` runs `make lint` (ruff, configured in pyproject.toml) before the tests."""
    ruff = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["ruff"]
    assert ruff["line-length"] == 120 and {"E", "F", "W", "B"} <= set(ruff["lint"]["select"])
    assert not {"I", "I001"} & set(ruff["lint"]["select"]), "no import sorting"
    done = subprocess.run(["make", "-n", "test"], cwd=repo, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    lint = next(i for i, line in enumerate(lines) if "ruff check" in line)
    pytest_ = next(i for i, line in enumerate(lines) if "-m pytest" in line)
    assert lint < pytest_
