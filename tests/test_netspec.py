"""netspec.py: a spec's `network:` → Network, with line numbers on every error."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwcheck.spec import network as netspec, yamlio
from hwcheck.errors import SpecError
from hwcheck.engine.network import Network

CORPUS = Path(__file__).parent / "corpus" / "specs"


def parse(text: str, sizes: dict | None = None) -> Network:
    root = yamlio.load_text(text, "spec.yaml")
    return netspec.parse_network(root.value["network"], sizes)


def names(net: Network) -> list[str]:
    return [row.name for row in net.summary().layers]


P3 = """\
network:
  input: [3, 32, 32]
  layers:
    - conv2d: {out: 32, kernel: 5, padding: 2}
    - relu
    - maxpool2d: {kernel: 2}
    - conv2d: {out: 48, kernel: 3, padding: 1}
    - relu
    - maxpool2d: {kernel: 2}
    - conv2d: {out: 64, kernel: 3, padding: 1}
    - relu
    - maxpool2d: {kernel: 2}
    - flatten
    - linear: {out: 384}
    - relu
    - linear: {out: 192}
    - relu
    - linear: {out: 10}
"""


def test_the_seed_p3_network():
    net = parse(P3)
    s = net.summary()
    assert s.total_params == 513_466
    assert [r.output_shape for r in s.layers if r.kind == "flatten"] == [(1024,)]
    assert net.layers[0].options["kernel"] == (5, 5) and net.layers[0].line == 4
    assert net.layers[2].options["stride"] == (2, 2)  # pools default stride to kernel


def test_default_names_count_per_kind_and_avoid_explicit_names():
    net = parse("""\
network:
  input: [3, 8, 8]
  layers:
    - conv2d: {out: 4, kernel: 3, padding: 1}
    - relu
    - conv2d: {out: 4, kernel: 3, padding: 1, name: conv2d_2}
    - relu: {name: act}
    - residual:
        layers: [conv2d: {out: 4, kernel: 1}, relu]
    - conv2d: {out: 4, kernel: 1}
""")
    assert names(net) == ["conv2d_1", "relu_1", "conv2d_2", "act", "residual_1", "conv2d_3",
                          "relu_2", "conv2d_4"]
    assert [row.depth for row in net.summary().layers] == [0, 0, 0, 0, 0, 1, 1, 0]


def test_bare_names_null_bodies_and_named_bare_layers():
    net = parse("""\
network:
  input: [10]
  layers:
    - sigmoid: {name: s}
    - tanh:
    - softmax
""")
    assert [(lay.kind, lay.name) for lay in net.layers] == [
        ("sigmoid", "s"), ("tanh", "tanh_1"), ("softmax", "softmax_1")]


def test_size_expressions_in_input_and_options():
    net = parse("""\
network:
  input: [1, 2n+k-1, "2m+k-1"]
  layers:
    - conv2d: {out: 1, kernel: k, bias: false, name: C}
    - sigmoid: {name: S}
    - avgpool2d: {kernel: [2, 2], name: P}
""", {"n": 2, "m": 3, "k": 3})
    s = net.summary()
    assert s.input_shape == (1, 6, 8)
    assert [r.output_shape for r in s.layers] == [(1, 4, 6), (1, 4, 6), (1, 2, 3)]
    assert s.total_params == 9


def test_given_values_are_kept_raw_and_bias_false_is_an_option():
    net = parse("""\
network:
  input: [2]
  layers:
    - linear: {out: 2, weight: [[1, 0], [0, -1]], bias: [0, 0], name: c}
    - linear: {out: 2, bias: false, weight: {random: normal, seed: 3, scale: 0.5}}
""")
    first, second = net.layers
    assert first.options["bias"] is True and second.options["bias"] is False
    assert set(first.given) == {"weight", "bias"} and set(second.given) == {"weight"}
    assert isinstance(first.given["weight"], yamlio.Node)
    assert first.given["weight"].plain() == [[1, 0], [0, -1]]
    assert first.given["bias"].line == 4
    assert second.given["weight"].plain() == {"random": "normal", "seed": 3, "scale": 0.5}


def test_optional_options_take_a_whole_number_or_null_as_torch_none():
    text = """\
network:
  input: [3]
  layers:
    - embedding: {num_embeddings: 5, embedding_dim: 4, padding_idx: %s}
    - multiheadattention: {embed_dim: 4, num_heads: 2, kdim: %s}
"""
    net = parse(text % ("null", "null"))
    assert net.layers[0].options["padding_idx"] is None
    assert net.layers[1].options["kdim"] is None
    net = parse(text % ("-1", "4"))
    assert net.layers[0].options["padding_idx"] == -1 and net.layers[1].options["kdim"] == 4
    assert "in_proj_weight" in net.summary().layers[1].param_shapes


def test_batchnorm_takes_given_weight_and_bias_but_has_no_bias_switch():
    net = parse("""\
network:
  input: [3, 4]
  layers:
    - batchnorm1d: {weight: [1, 2, 3], bias: {random: normal}, running_var: [1, 1, 1]}
""")
    (bn,) = net.layers
    assert set(bn.given) == {"weight", "bias", "running_var"}
    assert "bias" not in bn.options and bn.options["affine"] is True
    with pytest.raises(SpecError) as err:
        parse("network:\n  input: [3, 4]\n  layers:\n    - batchnorm1d: {bias: false}\n")
    assert err.value.render().startswith("spec.yaml:4:27: batchnorm1d has no `bias` switch")


def test_residual_shortcut_absent_empty_or_given():
    block = "    - residual: {{layers: [conv2d: {{out: {c}, kernel: 3, padding: 1}}]{extra}}}\n"
    head = "network:\n  input: [4, 6, 6]\n  layers:\n"
    assert parse(head + block.format(c=4, extra="")).layers[0].shortcut is None
    assert parse(head + block.format(c=4, extra=", shortcut: []")).layers[0].shortcut == ()
    net = parse(head + block.format(c=8, extra=", shortcut: [conv2d: {out: 8, kernel: 1}]"))
    assert net.summary().output_shape == (8, 6, 6)
    assert net.summary().total_params == (4 * 9 + 1) * 8 + (4 + 1) * 8


def test_shape_errors_carry_the_file():
    with pytest.raises(SpecError) as err:
        parse("network:\n  input: [10]\n  layers:\n    - conv2d: {out: 2, kernel: 1}\n")
    assert err.value.render().startswith("spec.yaml:4:7: conv2d 'conv2d_1': needs a (C, H, W)")


def test_scalar_input_is_a_vector():
    assert parse("network:\n  input: 784\n  layers: [linear: {out: 10}]\n").summary() \
        .total_params == 7850


# ---- the malformed-spec corpus ----------------------------------------------------------------

def _expected() -> list[tuple[str, int, str]]:
    rows = []
    for line in (CORPUS / "expected.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, lineno, fragment = (part.strip() for part in line.split("|", 2))
            rows.append((name, int(lineno), fragment))
    return rows


def test_corpus_lists_every_file():
    assert sorted(name for name, _, _ in _expected()) == sorted(
        p.name for p in CORPUS.glob("*.yaml"))


@pytest.mark.parametrize("name, line, fragment", _expected(), ids=lambda v: str(v))
def test_malformed_spec(name, line, fragment):
    root = yamlio.load_file(CORPUS / name, display=name)
    sizes = root.value["sizes"].plain() if "sizes" in root.value else {}
    with pytest.raises(SpecError) as err:
        netspec.parse_network(root.value["network"], sizes)
    text = err.value.render()
    assert err.value.file == name and err.value.line == line, text
    assert fragment in text
    assert "\n" not in text
