"""The hardened YAML reader: what it accepts, what it refuses, and where it says so."""

import math

import pytest

from hwcheck.errors import HwcheckError
from hwcheck.spec.yamlio import MAX_BYTES, load_bytes, load_file, load_text, resolve_scalar


@pytest.mark.parametrize("text, value", [
    ("1e3", 1000.0), ("-2", -2), ("0.5", 0.5), (".5", 0.5), ("1.0e+3", 1000.0),
    ("0x1F", 31), ("0o17", 15), ("yes", "yes"), ("no", "no"), ("on", "on"), ("1:30", "1:30"),
    ("2001-01-01", "2001-01-01"), ("true", True), ("False", False), ("~", None),
    ("null", None), ("", None), ("1_000", "1_000"), ("+.inf", math.inf), ("-.inf", -math.inf),
])
def test_scalars_follow_yaml_1_2_core_schema(text, value):
    assert resolve_scalar(text) == value


def test_nan_is_a_float():
    assert math.isnan(resolve_scalar(".nan"))


def test_quoted_numbers_stay_text():
    node = load_text('a: "3"\nb: 3\n')
    assert node.value["a"].value == "3" and node.value["a"].quoted
    assert node.value["b"].value == 3


def test_every_value_keeps_its_line_and_column():
    node = load_text("p5:\n  W: [[1, 0],\n      [0, -1]]\n", "f.yaml")
    w = node.value["p5"].value["W"]
    assert (w.line, w.col) == (2, 6)
    assert (w.value[1].line, w.value[1].col) == (3, 7)
    assert node.value["p5"].key_mark("W") == (2, 3)
    assert w.plain() == [[1, 0], [0, -1]]


def test_huge_integer_becomes_infinite_not_an_exception():
    assert load_text("a: " + "9" * 5000).value["a"].value == math.inf


@pytest.mark.parametrize("text, where, fragment", [
    ("a: 1\nb: 2\na: 3\n", "3:1", "duplicate key 'a' (also at line 1)"),
    ("a: &x 1\nb: *x\n", "1:4", "anchors"),
    ("a: !!python/object/apply:os.system [ls]\n", "1:4", "explicit tags"),
    ("a: !!binary aGk=\n", "1:4", "explicit tags"),
    ("a: !!set {x, y}\n", "1:4", "explicit tags"),
    ("a: !mine 3\n", "1:4", "explicit tags"),
    ("<<: {a: 1}\n", "1:1", "merge keys"),
    ("a: 1\n---\nb: 2\n", "2:1", "more than one YAML document"),
    ("a:\n\tb: 1\n", "2:1", "indent with spaces"),
    ("a: [1, 2\n", "2:1", "unclosed"),
    ("1: x\n", "1:1", "is not text"),
    ("? [a]\n: 1\n", "1:3", "plain text"),
    ("[" * 100_000, "1:33", "deeper than 32"),
    ("a: " + "[" * 40 + "]" * 40, "1:35", "deeper than 32"),
    ("", "1:1", "file is empty"),
    ("# only a comment\n", "1:1", "file is empty"),
])
def test_refusals_are_located_errors(text, where, fragment):
    with pytest.raises(HwcheckError) as err:
        load_text(text, "f.yaml")
    rendered = err.value.render()
    assert rendered.startswith(f"f.yaml:{where}: "), rendered
    assert fragment in rendered
    assert "\n" not in rendered


def test_billion_laughs_is_refused_at_the_first_anchor():
    lol = 'a: &a ["lol","lol"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)}]\n" for i in range(8))
    with pytest.raises(HwcheckError, match="anchors"):
        load_text(lol)


def test_recursive_alias_is_refused():
    with pytest.raises(HwcheckError, match="anchors"):
        load_text("a: &a [*a]\n")


def test_bytes_must_be_utf8_without_nul():
    with pytest.raises(HwcheckError, match="not valid UTF-8") as err:
        load_bytes(b"a: 1\nb: \xff\n", "f.yaml")
    assert err.value.render().startswith("f.yaml:2:4:")
    with pytest.raises(HwcheckError, match="NUL byte"):
        load_bytes(b"a: 1\x00\n")


def test_file_size_cap_and_paths(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: 1\n" + b"#" * MAX_BYTES)
    with pytest.raises(HwcheckError, match="limit for a YAML file is 1,048,576"):
        load_file(big)
    with pytest.raises(HwcheckError, match="no such file"):
        load_file(tmp_path / "missing.yaml")
    with pytest.raises(HwcheckError, match="is a folder"):
        load_file(tmp_path)



def test_non_printable_is_pyyamls_set_over_every_code_point():
    # yamlio writes the class as a complement (far cheaper to compile at start-up): it must
    # refuse exactly the code points of PyYAML's own class.
    from yaml.reader import Reader

    from hwcheck.spec.yamlio import _NON_PRINTABLE

    every = "".join(map(chr, range(0x110000)))
    want = [m.start() for m in Reader.NON_PRINTABLE.finditer(every)]
    assert [m.start() for m in _NON_PRINTABLE.finditer(every)] == want
    assert 0xD800 in want and 0x85 not in want and 0x7F in want
