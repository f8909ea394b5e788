"""Every error message the package gives a person is Danish.

A static scan of ``src/vidensdata``: each exception constructed in the package (``raise X(...)`` and any call of a
class named ``…Error``/``…Exception``) has its text for people checked for English. For our own errors
(:class:`vidensdata.errors.VidensdataError`) that text is ``dansk=`` when given (``str(error)``; the positional
message is the English one for the CLI and logs, see ``docs/fejl.md``), else the positional message; for any other
exception it is every string argument. A message held in a variable is followed to its assignments in the same
function. Only the literal parts are read: the names of parameters, datasets, columns and commands inside the
message (snake_case, ``--options``, `backticks`, quoted values) are left out, so a Danish message may name them.

The StatBank client and its mappings are left out: their messages quote the API's own English terms.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "vidensdata"
ALLOWED_FILES = {"sources/statbank.py", "sources/statbank_mappings.py"}

# Words that give an English sentence away and are not Danish words (Danish "to", "at", "for", "type", "have" and
# "data" are left out on purpose: they occur in Danish messages).
ENGLISH = frozenset("""
    the an is are was were be been being not no cannot can't could would should must needs need does doesn't did
    unknown invalid expected missing failed found exists exist already only got has than with without which while
    of and or in on into from this that these those it its there their please use using try again
    error file files value values number numbers column columns table tables row rows dataset datasets
    empty cell cells notebook notebooks parameters readable read written write mismatch listed valid
    parsed parse started within seconds needed package address duplicate names labelled published count counts
    unique outside between least whole holds warm kernel folder
""".split())

# names and code inside a message: `…`, '…', "…", «…», »…«, --options, words with _ / = \ digits or an inner dot
_CODE = re.compile(r"`[^`]*`|'[^']*'|\"[^\"]*\"|«[^»]*»|»[^«]*«|--?[\w-]+|\S*(?:[_/=\\\d]|\.\w)\S*")
_WORD = re.compile(r"[^\W\d_]+(?:'[a-z]+)?", re.UNICODE)


def english_words(text: str) -> list[str]:
    """The English give-away words in ``text`` (empty for a Danish text)."""
    return [w for w in _WORD.findall(_CODE.sub(" ", text)) if w.lower() in ENGLISH]


def _literal_text(node: ast.AST) -> str | None:
    """The literal parts of a string expression (f-string holes become a space); None if not a string."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else " " for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        parts = [_literal_text(node.left), _literal_text(node.right) if isinstance(node.op, ast.Add) else None]
        parts = [p for p in parts if p is not None]
        return " ".join(parts) if parts else None
    if isinstance(node, ast.IfExp):
        parts = [p for p in (_literal_text(node.body), _literal_text(node.orelse)) if p is not None]
        return " ".join(parts) if parts else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("join", "format"):
        base = _literal_text(node.func.value)
        return base
    return None


def _own_error_names() -> set[str]:
    import inspect

    from vidensdata import errors

    return {n for n, c in vars(errors).items() if inspect.isclass(c) and issubclass(c, errors.VidensdataError)}


OWN = _own_error_names()


def _exception_name(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _assigned_texts(func: ast.AST | None, name: str) -> list[tuple[int, str]]:
    """The literal texts assigned (``=``, ``+=``) to ``name`` in ``func``."""
    if func is None:
        return []
    out = []
    for n in ast.walk(func):
        value = None
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in n.targets):
            value = n.value
        elif isinstance(n, (ast.AugAssign, ast.AnnAssign)) and isinstance(n.target, ast.Name) \
                and n.target.id == name:
            value = n.value
        if value is not None:
            text = _literal_text(value)
            if text is not None:
                out.append((n.lineno, text))
    return out


def _texts_for_people(call: ast.Call, func: ast.AST | None) -> list[tuple[int, str]]:
    kw = {k.arg: k.value for k in call.keywords}
    if _exception_name(call) in OWN and "dansk" in kw:
        exprs = [kw["dansk"]]
    else:
        exprs = list(call.args) + [v for k, v in kw.items() if k in ("message", "dansk", "reason", "log_message")]
    out = []
    for e in exprs:
        if isinstance(e, ast.Name):
            out += _assigned_texts(func, e.id)
        else:
            text = _literal_text(e)
            if text is not None:
                out.append((e.lineno, text))
    return out


def _is_exception_call(node: ast.AST, raised: set[int]) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = _exception_name(node)
    return id(node) in raised or name.endswith(("Error", "Exception")) or name in OWN


def english_messages(source: str, filename: str = "<src>") -> list[str]:
    """``file:line: words: text`` for every error text for people in ``source`` that reads as English."""
    tree = ast.parse(source)
    parents: dict[int, ast.AST] = {}
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            parents[id(child)] = parent
    raised = {id(n.exc) for n in ast.walk(tree) if isinstance(n, ast.Raise) and isinstance(n.exc, ast.Call)}

    def enclosing_function(node):
        while id(node) in parents:
            node = parents[id(node)]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                return node
        return tree

    found = []
    for node in ast.walk(tree):
        if _is_exception_call(node, raised):
            for line, text in _texts_for_people(node, enclosing_function(node)):
                words = english_words(text)
                if words:
                    found.append(f"{filename}:{line}: {sorted(set(words))}: {text.strip()[:120]!r}")
    return found


def _package_files():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel not in ALLOWED_FILES:
            yield rel, path


def test_every_error_message_for_people_is_danish():
    found = [m for rel, path in _package_files() for m in english_messages(path.read_text(encoding="utf-8"), rel)]
    assert not found, "English error messages (give them a Danish text):\n" + "\n".join(found)


def test_the_scan_covers_the_package():
    files = [rel for rel, _ in _package_files()]
    assert {"publish.py", "parameters.py", "snapshots.py", "report.py", "config.py"} <= set(files)
    n = sum(1 for _, p in _package_files() for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
            if isinstance(node, ast.Raise))
    assert n > 200  # a scan that finds nothing to check proves nothing


@pytest.mark.parametrize("source", [
    'raise ValueError("unknown control kind")',
    'raise ParameterError(f"parameter file missing: {path}")',
    'raise ReportError(f"tables {a!r} and {b!r} would both be written to {fil}")',
    'raise DataError("manifest is broken", dansk="The manifest cannot be read")',
    'def f(x):\n    msg = f"invalid value {x}"\n    raise InvalidValueError(msg)',
    'err = UnknownColumnError(f"publicer({n!r}): {k!r} is not a count column")',
    'raise click.UsageError(f"reports folder {folder} does not exist")',
])
def test_the_scan_finds_english(source):
    assert english_messages(source)


@pytest.mark.parametrize("source", [
    'raise ParameterError(f"parameter file missing: {path}", dansk=f"Parameterfilen {path.name} mangler.")',
    'raise ValueError(f"{navn}={value!r} er ikke et gyldigt valg.")',
    'raise ReportError(f"publicer({navn!r}): total_raekke kræver en kolonne med etiketter før antallene")',
    'raise UnavailableDatasetError("x", dansk="Hent det med `vidensdata data refresh --datasets befolkning`.")',
    'raise web.HTTPError(503, "For mange samtidige brugere lige nu. Prøv igen om et øjeblik.")',
    'raise KeyError(name)',
])
def test_danish_messages_pass(source):
    assert english_messages(source) == []
