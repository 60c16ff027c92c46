"""``hwcheck solve --format json``. Its keys are stable: add keys freely, rename none."""

from __future__ import annotations

import json
import math

import numpy as np

from hwcheck.report.precision import precision_text


def plain(value):
    """Arrays, numpy scalars and nested containers as JSON-ready Python values."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def document(solved) -> dict:
    spec, sol = solved.spec, solved.solution
    doc = {
        "problem": spec.id, "title": spec.title, "points": spec.points, "kind": spec.kind,
        "sizes": dict(solved.instance.sizes),
        "given": plain(sol.given),
        "parts": {p.name: _part(spec, p, sol) for p in spec.parts},
        "steps": [{"name": s.name, "value": plain(s.value)} for s in sol.steps],
    }
    if solved.student is not None:
        doc["student"], doc["seed"] = solved.student, solved.instance.student_seed
    summary = solved.summary
    if summary is not None:
        doc["layers"] = [{"name": s.name, "type": s.kind, "depth": s.depth,
                          "output_shape": list(s.output_shape), "params": s.params,
                          "mult_adds": s.mult_adds} for s in summary.layers]
        doc["total_params"] = summary.total_params
        doc["total_mult_adds"] = summary.total_mult_adds
    if solved.norms is not None:
        doc["norms"] = plain(solved.norms)
    return doc


def _part(spec, part, sol) -> dict:
    out = {"value": plain(sol.parts.get(part.name)), "points": part.points,
           "reference": part.reference}
    if part.answer not in ("formula", "text"):
        out["precision"] = precision_text(part.tolerance or spec.tolerance)
    return out


def render(solved_list, stream) -> None:
    docs = [document(s) for s in solved_list]
    json.dump(docs[0] if len(docs) == 1 else {"problems": docs}, stream, indent=2)
    stream.write("\n")
