"""Papermill parameter files (``parameters/<tema>.yaml``) and notebook parameter cells.

A parameter file holds the values of a theme notebook's parameters other than
``geografi`` (which ``vidensdata run`` sets per report). Every key must be a
parameter the notebook declares, with a value of the same type as its default.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import yaml

from .config import paths
from .errors import ParameterError, forslag, suggestion


def notebook_celler(notebook: Path) -> list[dict]:
    """A notebook's cells as stored (nbformat 4 JSON), each ``source`` joined into one string.

    Plain JSON, not nbformat: importing nbformat (jsonschema and its grammars) costs ~1.5 s and ~30 MB, paid
    by every app kernel that draws a map or keys a cached view."""
    try:
        cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
        return [{**c, "source": "".join(c["source"]) if isinstance(c["source"], list) else c["source"]}
                for c in cells]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ParameterError(f"{notebook} is not a readable notebook: {exc}",
                             dansk=f"Notesbogen {Path(notebook).name} kan ikke læses ({exc}).") from None


def notebook_parameters(notebook: Path) -> dict:
    """The literal defaults of the cell tagged ``parameters`` (name -> value)."""
    cells = [c for c in notebook_celler(notebook) if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ParameterError(f"{notebook} must have exactly one cell tagged 'parameters', found {len(cells)}",
                             dansk=f"Notesbogen {Path(notebook).name} skal have præcis én celle mærket "
                                   f"»parameters«; den har {len(cells)}.")
    out = {}
    for node in ast.parse(cells[0]["source"]).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                raise ParameterError(
                    f"{notebook}: parameter {node.targets[0].id!r} must be a literal value",
                    dansk=f"{Path(notebook).name}: parameteren {node.targets[0].id} skal have en fast værdi "
                          f"(et tal, en tekst eller en liste), ikke {ast.unparse(node.value)}.",
                ) from None
        else:
            raise ParameterError(f"{notebook}: the parameters cell may only assign literal values",
                                 dansk=f"{Path(notebook).name}: parametercellen må kun give parametre faste "
                                       f"værdier, ikke {ast.unparse(node)[:80]!r}.")
    return out


def read_parameter_file(tema: str) -> dict:
    """Values from ``parameters/<tema>.yaml``, checked against the notebook's declared parameters."""
    p = paths()
    path = p.parameter_file(tema)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParameterError(f"parameter file missing: {path}",
                             dansk=f"Parameterfilen {path.name} mangler (ventet i {path.parent}).") from None
    except yaml.YAMLError as exc:
        where = hvor = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
            hvor = f" (fejl i linje {mark.line + 1}, kolonne {mark.column + 1})"
        raise ParameterError(f"parameter file {path} is not valid YAML{where}: {getattr(exc, 'problem', exc)}",
                             dansk=f"Parameterfilen {path.name} kan ikke læses{hvor}.") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ParameterError(f"parameter file {path} must be a mapping of name: value, got {type(raw).__name__}",
                             dansk=f"Parameterfilen {path.name} skal bestå af linjer »navn: værdi«, "
                                   f"ikke en {type(raw).__name__}.")
    declared = notebook_parameters(p.theme_notebook(tema))
    for key, value in raw.items():
        if key not in declared:
            raise ParameterError(
                f"{path}: unknown parameter {key!r}; the notebook declares {', '.join(declared)}"
                f"{suggestion(key, declared)}",
                dansk=f"{path.name}: ukendt parameter {key!r}; notesbogen har {', '.join(declared)}."
                      f"{forslag(key, declared)}",
            )
        check_type(key, value, declared[key], str(path))
    if "geografi" in raw:  # `vidensdata run` sets it per report, but a misspelt one must not pass silently
        from . import geography
        from .errors import UnknownGeographyError

        try:
            geography.resolve(raw["geografi"])
        except UnknownGeographyError as exc:
            raise UnknownGeographyError(f"{path}: {exc.message}", dansk=f"{path.name}: {exc.dansk}") from None
    return raw


def check_type(name: str, value, default, where: str) -> None:
    """A value must have the type of the notebook default (ints for int, str or list for str/list)."""
    if isinstance(default, bool) or isinstance(value, bool):
        ok = isinstance(value, bool) == isinstance(default, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float))
    elif isinstance(default, (str, list)):
        ok = isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, (str, int)) for v in value))
    else:
        ok = value is None or isinstance(value, type(default))
    if not ok:
        raise ParameterError(
            f"{where}: parameter {name!r} must be of type {type(default).__name__} (like the notebook's "
            f"default {default!r}), got {value!r}",
            dansk=f"Parameteren {name} har forkert type: {value!r} (ventet samme type som notesbogens "
                  f"standardværdi {default!r}).",
        )
