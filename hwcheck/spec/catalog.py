"""Finding problem specs: ``--problems DIR`` (or one ``FILE.yaml``), else ``./problems``, else
the shipped copy."""

from __future__ import annotations

from pathlib import Path

from hwcheck.errors import UsageError
from hwcheck.frozen import frozen
from hwcheck.spec import readers
from hwcheck.spec.load import Spec, load_spec


def problems_dir(explicit: str | Path | None = None) -> Path:
    """The folder that holds the problem specs: ``--problems DIR``, else ``./problems``, else
    the copy shipped inside the package (README, "Commands")."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_dir():
            raise UsageError(f"--problems {explicit}: no such folder",
                             hint="give the folder that holds p1.yaml, p2.yaml, …")
        return path
    local = Path("problems")
    if local.is_dir() and any(local.glob("*.yaml")):
        return local
    here = Path(__file__).resolve().parents[1]  # the package root
    for candidate in (here / "problems", here.parent / "problems"):
        if candidate.is_dir():
            return candidate
    raise UsageError("no problems folder found", hint="pass --problems DIR")


@frozen
class Catalog:
    """Every spec in one folder (or the one spec file of ``--problems FILE.yaml``), by id."""

    folder: Path
    specs: dict

    def get(self, problem_id: str) -> Spec:
        if problem_id in self.specs:
            return self.specs[problem_id]
        close = readers.close_match(problem_id, self.specs)
        raise UsageError(f"unknown problem '{problem_id}'",
                         hint=(f"did you mean '{close}'? " if close else "")
                         + "problems: " + ", ".join(sorted(self.specs)))


def load_catalog(explicit: str | Path | None = None, solve: bool = False) -> Catalog:
    """Every spec in the problems folder. With ``solve``, each spec's own instance is also
    solved, so that a name only the solver can check (a part's ``quantity:``) is refused
    here as it would be by ``solve`` and ``grade`` (the six seed keys take ~40 ms)."""
    one = _spec_file(explicit)
    folder = one or problems_dir(explicit)
    paths = [one] if one else sorted(folder.glob("*.yaml"), key=lambda p: _natural(p.stem))
    specs: dict[str, Spec] = {}
    for path in paths:
        spec = load_spec(path)
        if spec.id in specs:
            raise UsageError(f"problem id '{spec.id}' is used twice",
                             file=str(path), hint=f"also in {specs[spec.id].file}")
        specs[spec.id] = spec
        if solve:
            from hwcheck.kinds import solve_spec   # the kinds read the Spec model: lazily

            solve_spec(spec)
    if not specs:
        raise UsageError(f"{folder} holds no *.yaml problem specs",
                         hint="pass --problems with the folder that holds p1.yaml, p2.yaml, …")
    return Catalog(folder, specs)


def resolve(target: str, catalog_dir: str | Path | None = None) -> Spec:
    """A problem id (``p5``) or a path to a spec file."""
    path = Path(target)
    if target.endswith((".yaml", ".yml")) or path.is_file():
        if not path.is_file():
            raise UsageError("no such spec file", file=target, hint="check the path")
        return load_spec(path)
    if _spec_file(catalog_dir):
        return load_catalog(catalog_dir).get(target)
    # `p5` is usually problems/p5.yaml: read that one file rather than every spec.
    guess = problems_dir(catalog_dir) / f"{target}.yaml"
    if guess.is_file():
        spec = load_spec(guess)
        if spec.id == target:
            return spec
    return load_catalog(catalog_dir).get(target)


def _spec_file(explicit: str | Path | None) -> Path | None:
    """``--problems FILE.yaml``: one spec as the whole catalog, to try a spec alone."""
    if explicit is None or not str(explicit).endswith((".yaml", ".yml")):
        return None
    path = Path(explicit)
    if not path.is_file():
        raise UsageError(f"--problems {explicit}: no such spec file", hint="check the path")
    return path


def _natural(stem: str) -> tuple:
    digits = "".join(ch for ch in stem if ch.isdigit())
    return (stem.rstrip("0123456789"), int(digits) if digits else -1, stem)
