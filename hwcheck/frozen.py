"""``@frozen``: a frozen dataclass whose methods are made from its field list, not compiled
for the class.

``dataclass(frozen=True)`` writes six methods for each class (``__init__``, ``__repr__``,
``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``) as source text and ``exec``s
it. Compiling that text is nearly all of the 0.4–1.8 ms a class costs to define, and a
one-file grade defines 57 classes: ~40 ms of a command that must stay within 2× a bare
``import numpy``. ``frozen`` lets ``dataclass`` collect the fields (so ``fields``,
``replace``, ``asdict``, ``is_dataclass`` and pickling work as ever) and builds the six
methods from closures over the field names, with ``dataclass``'s behaviour:
``tests/test_frozen.py`` compares every class in hwcheck with a twin that ``dataclass``
made (construction and its errors, repr, equality, hashing, immutability, signature).

A class that defines ``__repr__``, ``__eq__`` or ``__hash__`` itself keeps its own, as
with ``dataclass``. ``@frozen(many=True)`` keeps ``dataclass``'s own ``__init__`` (see
``frozen``) for the few classes made tens of times for every submission graded. Not
supported (refused at import): ``__slots__``, and ``ClassVar``, ``InitVar`` or
keyword-only fields; none is used.

Three differences remain: ``pprint`` and ``rich.pretty`` lay out only ``dataclass``'s own
generated ``__repr__`` field by field, so they print these on one line;
``inspect.signature(Cls.__init__)`` is ``(self, *args, **kwargs)`` (that of ``Cls`` names
the fields); and equality compares the tuples of fields, as ``dataclass`` does up to
Python 3.12 (3.13 compares field by field, so a NaN field would differ there).
"""

from __future__ import annotations

import dataclasses
from _thread import get_ident
from dataclasses import MISSING, FrozenInstanceError
from operator import attrgetter

try:
    from typing import dataclass_transform
except ImportError:   # Python 3.10: type checkers then do not see the fields
    def dataclass_transform(**_):
        return lambda decorator: decorator

_UNSET = object()   # an argument not given (None is a value)
_set = object.__setattr__


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def frozen(cls: type | None = None, /, *, many: bool = False):
    """``@dataclass(frozen=True)``, without compiling code for the class.

    ``@frozen(many=True)``: a class made many times for each submission (a YAML node, a
    part's result) keeps ``dataclass``'s compiled ``__init__`` and frozen
    ``__setattr__``/``__delattr__``. Those bind keyword arguments in C, ~1 µs less per
    instance than ``_init``'s binding; compiling them costs ~0.3 ms once."""
    if cls is None:
        return lambda c: frozen(c, many=many)
    if "__slots__" in cls.__dict__:
        raise TypeError(f"@frozen {cls.__qualname__}: __slots__ is not supported")
    own = dict(cls.__dict__)   # what the class itself defines, before dataclass adds to it
    bases = [b.__dataclass_params__.frozen for b in cls.__mro__[1:]
             if "__dataclass_params__" in b.__dict__]
    if not all(bases):   # dataclass's own rule, which frozen=False below would not apply
        raise TypeError("cannot inherit frozen dataclass from a non-frozen one")
    # (a frozen base: dataclass then insists on frozen=True, and compiles the two refusals)
    cls = dataclasses.dataclass(cls, init=many, frozen=many or bool(bases), repr=False,
                                eq=False)
    fields = dataclasses.fields(cls)
    # (fields() leaves out ClassVar and InitVar pseudo-fields, which __dataclass_fields__ has)
    if any(f.kw_only is True for f in fields) or len(fields) != len(cls.__dataclass_fields__):
        raise TypeError(f"@frozen {cls.__qualname__}: keyword-only, ClassVar and InitVar "
                        "fields are not supported")
    if not many:
        cls.__init__ = _init(cls, fields)
        cls.__signature__ = _SIGNATURE
        cls.__setattr__, cls.__delattr__ = _refusals(cls, frozenset(f.name for f in fields))
    if "__repr__" not in own:
        cls.__repr__ = _repr([f.name for f in fields if f.repr])
    if "__eq__" not in own:
        cls.__eq__ = _eq(_values([f.name for f in fields if f.compare]))
    # dataclass's rule: a hash from the fields unless the class wrote its own __hash__
    # (a class body that defines __eq__ alone gets __hash__ = None, which is not its own)
    explicit = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    if not explicit:
        hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
        cls.__hash__ = _hash(_values(hashed))
    params = cls.__dataclass_params__   # what the class does, as dataclass would report it
    params.init = params.repr = params.eq = params.frozen = True
    if own.get("__doc__") is None:   # as dataclass documents a class without a docstring
        import inspect

        cls.__doc__ = cls.__name__ + str(inspect.signature(cls)).replace(" -> None", "")
    return cls


def _init(cls, fields):
    """``__init__(self, *fields in order)``. Every field given by position is the fast
    path; otherwise a copy of the defaults is updated with the arguments and checked as
    Python checks a call (dict operations in C; still ~1 µs slower than ``dataclass``'s
    compiled ``__init__``, hence ``many``)."""
    taken = [f for f in fields if f.init]
    names = tuple(f.name for f in taken)
    count = len(names)
    defaults = {f.name: f.default if f.default is not MISSING else _UNSET for f in taken}
    factories = tuple((f.name, f.default_factory) for f in taken
                      if f.default_factory is not MISSING)
    required = tuple(f.name for f in taken
                     if f.default is MISSING and f.default_factory is MISSING)
    for before, after in zip(taken, taken[1:]):   # dataclass refuses it at definition
        if after.name in required and before.name not in required:
            raise TypeError(f"non-default argument {after.name!r} follows default argument")
    # a plain default of a field __init__ does not take stays on the class, as dataclass
    # leaves it; a factory's value is made for each instance
    made = tuple((f.name, f.default_factory) for f in fields
                 if not f.init and f.default_factory is not MISSING)
    post = hasattr(cls, "__post_init__")
    where = f"{cls.__qualname__}.__init__()"

    def bind(args, kwargs) -> dict:
        given = len(args)
        if given > count:
            most = f"from {len(required) + 1} to {count + 1}" if len(required) < count \
                else f"{count + 1}"
            raise TypeError(f"{where} takes {most} positional argument"
                            f"{'s' if count else ''} but {given + 1} were given")
        values = defaults.copy()
        values.update(zip(names, args))
        values.update(kwargs)
        if len(values) != count or (given and kwargs and
                                    not kwargs.keys().isdisjoint(names[:given])):
            for name in kwargs:   # in the call's order, as Python reports them
                if name not in defaults:
                    raise TypeError(f"{where} got an unexpected keyword argument {name!r}")
                if name in names[:given]:
                    raise TypeError(f"{where} got multiple values for argument {name!r}")
        for name, make in factories:
            if values[name] is _UNSET:
                values[name] = make()
        missing = [name for name in required if values[name] is _UNSET]
        if missing:
            raise TypeError(f"{where} missing {len(missing)} required positional argument"
                            f"{'s' if len(missing) > 1 else ''}: {_listed(missing)}")
        return values

    # Each field is set with object.__setattr__, in field order, as dataclass does:
    # through self.__dict__ instead, CPython gives up the instance's compact attribute
    # layout, and every later read of a field costs ~3× as much.
    def __init__(self, *args, **kwargs):
        if kwargs or len(args) != count:
            for name, value in bind(args, kwargs).items():
                _set(self, name, value)
        else:
            for name, value in zip(names, args):
                _set(self, name, value)
        for name, make in made:
            _set(self, name, make())
        if post:
            self.__post_init__()

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    __init__.frozen_fields_of = cls   # for _Signature: this __init__ takes cls's fields
    return __init__


def _listed(names: list[str]) -> str:
    quoted = [repr(n) for n in names]
    if len(quoted) < 3:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def _refusals(cls, names: frozenset):
    """The frozen ``__setattr__`` and ``__delattr__``: a field, or anything on the class
    itself, is refused; a subclass that is not a dataclass may add attributes."""
    def __setattr__(self, name, value):
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self, name):
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)
    return __setattr__, __delattr__


class _Signature:
    """``inspect.signature(cls)`` (for ``help`` and IPython): built when asked, from the
    fields, as ``dataclass``'s generated ``__init__`` would show it."""

    def __get__(self, obj, cls):
        import inspect

        owner = getattr(cls.__init__, "frozen_fields_of", None)
        if owner is None:   # a subclass with an __init__ of its own: inspect reads that
            return None
        cls = owner
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        params = [inspect.Parameter(
            f.name, kind, annotation=f.type,
            default=f.default if f.default is not MISSING else (
                _FACTORY_DEFAULT if f.default_factory is not MISSING
                else inspect.Parameter.empty))
            for f in dataclasses.fields(cls) if f.init]
        return inspect.Signature(params, return_annotation=None)


class _FactoryDefault:
    """A default made by a factory, shown as dataclass shows it."""

    def __repr__(self) -> str:
        return "<factory>"


_SIGNATURE = _Signature()
_FACTORY_DEFAULT = _FactoryDefault()


def _values(names: list[str]):
    """self → the tuple of those fields, in order."""
    if not names:
        return lambda self: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda self: (one(self),)
    return attrgetter(*names)


def _eq(values):
    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented
    return __eq__


def _hash(values):
    def __hash__(self):
        return hash(values(self))
    return __hash__


def _repr(names: list[str]):
    shown = [(name, attrgetter(name)) for name in names]
    running: set = set()   # dataclass's guard: a value that contains itself shows as "..."

    def __repr__(self):
        key = (id(self), get_ident())
        if key in running:
            return "..."
        running.add(key)
        try:
            inner = ", ".join(f"{name}={get(self)!r}" for name, get in shown)
        finally:
            running.discard(key)
        return f"{self.__class__.__qualname__}({inner})"
    return __repr__
