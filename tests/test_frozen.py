"""``@frozen`` (hwcheck/frozen.py) behaves as ``dataclass(frozen=True)``: every class in the
package is compared with a twin that ``dataclass`` makes from the same fields
(construction and its errors, signature, repr, equality, hashing, immutability, pickling),
and the decorator's own rules are checked on small classes (field options, a class's own
methods, a value that contains itself, what it refuses)."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pickle
from dataclasses import FrozenInstanceError, field
from pathlib import Path
from typing import ClassVar   # at module level: dataclass looks it up here

import pytest

from hwcheck.frozen import frozen
from tests.support import imports as support_imports

ROOT = Path(__file__).resolve().parent.parent


def _decorated() -> list[tuple[str, str]]:
    """(module, class) of every class in hwcheck whose decorator is ``@frozen``."""
    found = []
    for path in sorted((ROOT / "hwcheck").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                    ast.unparse(d).startswith(("frozen", "frozen(")) for d in node.decorator_list):
                found.append((support_imports.module_name(path, ROOT), node.name))
    return found


CLASSES = _decorated()


def test_every_frozen_data_class_is_made_by_frozen():
    """One way to write a data class: ``dataclass(frozen=True)`` itself is not used."""
    stray = []
    for path in sorted((ROOT / "hwcheck").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                stray += [f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
                          for d in node.decorator_list
                          if "dataclass" in ast.unparse(d) and "frozen" in ast.unparse(d)]
    assert not stray, stray
    assert len(CLASSES) > 50 and ("hwcheck.grading.results", "PartResult") in CLASSES


def _twin(cls):
    """The same fields, made by ``dataclass(frozen=True)`` (no ``__post_init__``)."""
    specs = []
    for f in dataclasses.fields(cls):
        specs.append((f.name, f.type, field(default=f.default,
                                            default_factory=f.default_factory,
                                            init=f.init, repr=f.repr, hash=f.hash,
                                            compare=f.compare)))
    return dataclasses.make_dataclass(cls.__name__, specs, frozen=True)


def _filled(cls, values: dict):
    """An instance holding ``values`` without running ``__init__`` (whose checks would
    refuse the placeholders): the state every method below reads."""
    obj = object.__new__(cls)
    obj.__dict__.update(values)
    return obj


@pytest.mark.parametrize("module, name", CLASSES, ids=lambda x: x)
def test_each_class_behaves_as_its_dataclass_twin(module, name):
    cls = getattr(importlib.import_module(module), name)
    assert dataclasses.is_dataclass(cls) and cls.__qualname__ == name
    twin = _twin(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    values = {n: ("value", i, n) for i, n in enumerate(names)}
    ours, theirs = _filled(cls, values), _filled(twin, values)
    if "__repr__" not in cls.__dict__ or cls.__repr__.__module__ == "hwcheck.frozen":
        assert repr(ours) == repr(theirs)
    assert hash(ours) == hash(theirs)
    assert ours == _filled(cls, dict(values)) and not ours != _filled(cls, dict(values))
    assert ours != theirs and ours != values   # another class is never equal
    for f in dataclasses.fields(cls):      # each field, changed alone
        other = dict(values, **{f.name: ("changed",)})
        assert (ours == _filled(cls, other)) == (theirs == _filled(twin, other)), f.name
    with pytest.raises(FrozenInstanceError):
        setattr(ours, names[0] if names else "x", 1)
    with pytest.raises(FrozenInstanceError):
        delattr(ours, names[0] if names else "x")
    assert pickle.loads(pickle.dumps(ours)) == ours   # batch workers send results back


def _same(a, b) -> bool:
    return a is b or (type(a) is type(b) and repr(a) == repr(b))


@pytest.mark.parametrize("module, name", CLASSES, ids=lambda x: x)
def test_each_class_is_constructed_as_its_dataclass_twin(module, name):
    """Positional and keyword arguments, defaults and factories give the twin's values;
    too many, too few, unknown and repeated arguments are refused with a TypeError."""
    cls = getattr(importlib.import_module(module), name)
    twin = _twin(cls)
    assert str(inspect.signature(cls)) == str(inspect.signature(twin))
    taken = [f for f in dataclasses.fields(cls) if f.init]
    required = [f.name for f in taken if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING]
    if "__post_init__" in cls.__dict__:   # checks its values: only its defaults will do
        assert not required
        assert all(_same(getattr(cls(), f.name), getattr(twin(), f.name))
                   for f in dataclasses.fields(cls))
        return
    args = [("arg", n) for n in required]
    ours, theirs = cls(*args), twin(*args)
    for f in dataclasses.fields(cls):
        assert _same(getattr(ours, f.name), getattr(theirs, f.name)), f.name
    assert vars(cls(**dict(zip(required, args)))).keys() == vars(ours).keys()
    everything = [("all", f.name) for f in taken]
    assert [getattr(cls(*everything), f.name) for f in taken] == everything
    last = taken[-1].name if taken else None
    if last is not None and len(required) < len(taken):   # the last one by keyword
        assert getattr(cls(*args, **{last: "kw"}), last) == "kw"
    for bad_args, bad_kwargs in [(everything + ["extra"], {}), (args, {"no_such": 1})] + (
            [(args[:-1], {}), (args, {required[0]: 1})] if required else []):
        with pytest.raises(TypeError):
            cls(*bad_args, **bad_kwargs)
        with pytest.raises(TypeError):
            twin(*bad_args, **bad_kwargs)


@frozen
class _Point:
    """A small class for the decorator's own rules."""

    x: int
    y: int = 0
    label: str = field(default="", compare=False)
    secret: str = field(default="", repr=False)
    cached: tuple = field(default=(), hash=False)
    items: list = field(default_factory=list, compare=False, hash=False)


def test_field_options_and_construction_are_dataclass_s():
    p = _Point(1, label="a", secret="s")
    assert (p.x, p.y, p.label, p.items) == (1, 0, "a", [])
    assert repr(p) == "_Point(x=1, y=0, label='a', cached=(), items=[])"
    assert p == _Point(1, label="b", secret="s") and p != _Point(2, secret="s")  # no label
    assert p != _Point(1, secret="t")                            # repr=False is compared
    assert hash(p) == hash(_Point(1, cached=(9,), secret="s")) != hash(_Point(1, secret="t"))
    assert _Point(1).items is not _Point(1).items               # a factory per instance
    assert dataclasses.replace(p, x=5) == _Point(5, secret="s")
    assert dataclasses.asdict(p)["secret"] == "s"
    assert {p: 1}[_Point(1, secret="s")] == 1
    assert p.__eq__(3) is NotImplemented
    with pytest.raises(TypeError):
        _Point()
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'x'"):
        p.x = 3


def test_a_class_keeps_its_own_methods():
    @frozen
    class Own:
        """Own repr, eq and hash."""

        a: int

        def __repr__(self):
            return "own"

        def __eq__(self, other):
            return True

        def __hash__(self):
            return 7

    assert (repr(Own(1)), Own(1) == 5, hash(Own(1))) == ("own", True, 7)

    @frozen
    class EqOnly:
        """Its own eq (Python sets its __hash__ to None): dataclass still adds a hash."""

        a: int

        def __eq__(self, other):
            return False

    assert hash(EqOnly(1)) == hash((1,)) and EqOnly(1) != EqOnly(1)


def test_a_value_that_contains_itself_shows_as_dots():
    @frozen
    class Box:
        """Holds a list that may come to hold the box."""

        items: list

    box = Box([])
    box.items.append(box)
    assert repr(box) == "test_a_value_that_contains_itself_shows_as_dots.<locals>.Box(" \
                        "items=[...])"


def test_errors_name_the_arguments_as_python_does():
    with pytest.raises(TypeError, match=r"_Point.__init__\(\) missing 1 required "
                                        r"positional argument: 'x'"):
        _Point()
    with pytest.raises(TypeError, match="got multiple values for argument 'x'"):
        _Point(1, x=2)
    with pytest.raises(TypeError, match="got an unexpected keyword argument 'z'"):
        _Point(1, z=2)
    with pytest.raises(TypeError, match="takes from 2 to 7 positional arguments but 8 were given"):
        _Point(1, 2, "", "", (), [], 9)


def test_what_it_refuses_is_refused_at_import():
    with pytest.raises(TypeError, match="__slots__"):
        @frozen
        class Slotted:
            """Slots."""

            __slots__ = ("a",)
            a: int
    with pytest.raises(TypeError, match="ClassVar"):
        @frozen
        class WithClassVar:
            """A class variable."""

            a: int
            b: ClassVar[int] = 3


def test_fields_outside_init_get_their_defaults():
    @frozen
    class Counted:
        """Two fields __init__ does not take."""

        a: int
        count: int = field(default=0, init=False)
        seen: list = field(default_factory=list, init=False)

    one, two = Counted(1), Counted(2)
    assert (one.a, one.count, one.seen) == (1, 0, []) and one.seen is not two.seen
    assert str(inspect.signature(Counted)) == "(a: 'int') -> None"
    with pytest.raises(TypeError):
        Counted(1, 2)


DC = dataclasses.dataclass(frozen=True)


def _base(decorator):
    @decorator
    class Base:
        """A base data class."""

        a: int

    return Base


@pytest.mark.parametrize("decorator", [frozen, frozen(many=True), DC],
                         ids=["frozen", "frozen-many", "dataclass"])
def test_a_frozen_class_may_extend_a_frozen_class(decorator):
    @frozen
    class Sub(_base(decorator)):
        """Adds a field."""

        b: int = 0

    sub = Sub(1, 2)
    assert (sub.a, sub.b) == (1, 2) and repr(sub).endswith("Sub(a=1, b=2)")
    assert str(inspect.signature(Sub)) == "(a: 'int', b: 'int' = 0) -> None"
    with pytest.raises(FrozenInstanceError):
        sub.a = 3


def test_a_frozen_class_over_a_mutable_one_is_refused_as_by_dataclass():
    with pytest.raises(TypeError, match="cannot inherit frozen dataclass from a non-frozen"):
        @frozen
        class Sub(_base(dataclasses.dataclass)):
            """Frozen over mutable."""

            b: int = 0


def test_a_required_field_after_a_default_is_refused_at_definition():
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
        @frozen
        class Bad:
            """A field order dataclass refuses."""

            a: int = 0
            b: int


def test_a_subclass_with_its_own_init_has_that_signature():
    class Sub(_base(frozen)):
        def __init__(self, y, z):
            object.__setattr__(self, "a", y + z)

    assert str(inspect.signature(Sub)) == "(y, z)" and Sub(1, 2).a == 3


def test_positional_counts_and_keyword_order_are_reported_as_python_does():
    @frozen
    class Pair:
        """Required and defaulted."""

        a: int
        b: str = "x"

    @frozen
    class Empty:
        """No fields."""

    with pytest.raises(TypeError, match=r"takes from 2 to 3 positional arguments but 4"):
        Pair(1, 2, 3)
    with pytest.raises(TypeError, match=r"takes 1 positional argument but 2 were given"):
        Empty(1)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'zz'"):
        Pair(1, zz=2, a=3)   # the first wrong keyword in the call, as Python reports it
    with pytest.raises(TypeError, match=r"multiple values for argument 'a'"):
        Pair(1, a=3, zz=2)


def test_a_default_outside_init_stays_on_the_class():
    @frozen
    class Counted:
        """A default __init__ does not take."""

        a: int
        count: int = field(default=5, init=False)

    assert vars(Counted(1)) == {"a": 1} and Counted(1).count == 5


def test_a_class_without_a_docstring_is_documented_by_its_signature():
    @frozen
    class Plain:
        a: int
        b: str = "x"

    assert Plain.__doc__ == "Plain(a: 'int', b: 'str' = 'x')"


def test_no_fields():
    @frozen
    class Empty:
        """Nothing."""

    assert Empty() == Empty() and hash(Empty()) == hash(()) and repr(Empty()).endswith("Empty()")
