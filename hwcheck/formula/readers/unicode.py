"""Unicode math → the LaTeX-like ASCII that ``formula.latex`` reads.

A student who types `⌈d/2⌉`, `σ′(c)`, `x²` or `qₓ` means exactly what the LaTeX spelling
means, so each character maps to that spelling and one reader handles both. Characters
without a mapping are left alone; the tokenizer refuses them by name.
"""

from __future__ import annotations

_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿʰᵃᵇᶜᵈᵉᶠᵍᵏˡᵐᵒᵖʳˢᵗᵘᵛʷˣʸᶻ",
                         "0123456789+-=()inhabcdefgklmoprstuvwxyz"))
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼᵤᵥ",
                       "0123456789+-=()aeoxhklmnpstijuv"))

_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta",
    "η": "eta", "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu",
    "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau", "φ": "phi",
    "χ": "chi", "ψ": "psi", "ω": "omega", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda",
    "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega", "ϕ": "phi", "ϵ": "epsilon",
}

_SYMBOLS = {
    "⌈": r"\lceil ", "⌉": r"\rceil ", "⌊": r"\lfloor ", "⌋": r"\rfloor ",
    "·": r"\cdot ", "⋅": r"\cdot ", "∙": r"\cdot ", "×": r"\times ", "⊙": r"\odot ",
    "∘": r"\circ ", "⊗": r"\otimes ", "−": "-", "–": "-", "—": "-", "‐": "-", "‑": "-",
    "Σ": r"\sum ", "∑": r"\sum ", "∏": r"\prod ", "Π": r"\prod ", "∫": r"\int ",
    "∂": r"\partial ", "√": r"\sqrt ", "≤": r"\le ", "≥": r"\ge ", "≠": r"\ne ",
    "⩽": r"\le ", "⩾": r"\ge ", "∈": r"\in ", "∀": r"\forall ", "≈": r"\approx ",
    "¼": r"\frac{1}{4}", "½": r"\frac{1}{2}", "¾": r"\frac{3}{4}",
    "′": "'", "″": "''", "’": "'", "ᵀ": "^T", "⊤": r"\top ", "÷": "/",
    "𝟙": r"\mathbb{1}", "⟨": "(", "⟩": ")", "∞": r"\infty ", "…": r"\dots ", "⋯": r"\dots ",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2003": " ", "\u2002": " ",
}


def is_unicode(text: str) -> bool:
    return any(ord(ch) > 126 for ch in text)


def to_latex(text: str) -> str:
    return to_latex_mapped(text)[0]


def to_latex_mapped(text: str) -> tuple[str, list[int]]:
    """Rewrite every known Unicode math character as LaTeX; runs of super- and
    subscript characters become one ``^{…}`` or ``_{…}`` group. The list gives, for each
    character written, the index of the character it came from, so errors point at what
    the student typed."""
    out: list[str] = []
    origin: list[int] = []
    i = 0
    while i < len(text):
        ch = text[i]
        start = i
        for table, mark in ((_SUPERSCRIPTS, "^"), (_SUBSCRIPTS, "_")):
            if ch in table:
                j = i
                while j < len(text) and text[j] in table:
                    j += 1
                piece = mark + "{" + "".join(table[c] for c in text[i:j]) + "}"
                i = j
                break
        else:
            piece = "\\" + _GREEK[ch] + " " if ch in _GREEK else _SYMBOLS.get(ch, ch)
            i += 1
        out.append(piece)
        origin.extend([start] * len(piece))
    return "".join(out), origin
