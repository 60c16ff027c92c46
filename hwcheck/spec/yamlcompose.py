"""YAML text → ``Node`` tree: our loader over PyYAML's events (libyaml's when present), with
the limits of ``yamlio`` (values, depth, no anchors, aliases, tags or merge keys) and a
located error for every malformed file. ``yamlio.load_text`` calls ``compose`` after its
own checks of the raw text."""

from __future__ import annotations

from hwcheck.errors import HwcheckError
from hwcheck.spec.yamlio import MAX_DEPTH, MAX_NODES, Node, resolve_scalar


def compose(text: str, name: str) -> Node | None:
    """The document's root Node (None for an empty document)."""
    import yaml

    try:
        return _compose(text, name, fast=True)
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" not in str(exc.problem):
            raise _malformed(exc, text, name) from None
        # Newer libyaml stops at its own depth limit (1,000) while reading ahead, before our
        # limit of 32 is reached; the pure-Python reader streams, so it stops at ours.
        return _compose(text, name, fast=False)


def _compose(text: str, name: str, fast: bool) -> Node | None:
    """Compose with our loader; every failure but libyaml's own (the caller's) is ours."""
    import yaml

    loader = None
    try:
        loader = _HardenedLoader(text, name, fast)
        return loader.get_single_node()
    except HwcheckError:
        raise
    except yaml.MarkedYAMLError as exc:
        if fast and "nesting depth" in str(exc.problem):
            raise
        raise _malformed(exc, text, name) from None
    except UnicodeError:  # a lone surrogate in a str that did not come from a file
        raise HwcheckError("text is not valid Unicode", file=name) from None
    except yaml.YAMLError as exc:
        raise HwcheckError(f"malformed YAML: {exc}", file=name) from None
    except RecursionError:
        raise HwcheckError("nesting is too deep", file=name,
                           hint=f"at most {MAX_DEPTH} levels are allowed") from None
    finally:
        if loader is not None:
            loader.dispose()


def _malformed(exc, text: str, name: str) -> HwcheckError:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    problem = exc.problem or exc.context or "malformed YAML"
    if _char_at(text, line, col) == "\t":
        problem, hint = "a tab character where YAML expects spaces", "indent with spaces, not tabs"
    else:
        hint = _yaml_hint(problem)
    return HwcheckError(f"malformed YAML: {problem}", file=name, line=line, col=col, hint=hint)


def _char_at(text: str, line: int, col: int) -> str:
    lines = text.split("\n")
    if 1 <= line <= len(lines) and 1 <= col <= len(lines[line - 1]):
        return lines[line - 1][col - 1]
    return ""


def _yaml_hint(problem: str) -> str | None:
    if "\\t" in problem or "tab" in problem:
        return "indent with spaces, not tabs"
    if "expected ',' or ']'" in problem or "expected ',' or '}'" in problem:
        return "a bracket may be unclosed"
    if "more than one document" in problem or "expected a single document" in problem:
        return "remove the extra `---` document"
    if "mapping values are not allowed" in problem:
        return "quote text that contains ': '"
    return None


def _make_loader_class(fast: bool):
    import yaml
    from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent

    # libyaml's scanner is ~20x faster than PyYAML's pure-Python one, which matters for a
    # 1 MiB file of numbers; both give the same events and marks.
    with_c = fast and getattr(yaml, "__with_libyaml__", False)
    base = yaml.CSafeLoader if with_c else yaml.SafeLoader

    class Loader(base):
        """Composes events into our Node tree, refusing everything safe_load would not need."""

        def __init__(self, text: str, name: str) -> None:
            super().__init__(text)
            self._name = name
            self._depth = 0
            self._nodes = 0

        def dispose(self) -> None:
            if hasattr(super(), "dispose"):
                super().dispose()

        def _fail(self, event, message: str, hint: str | None = None):
            mark = event.start_mark
            raise HwcheckError(message, file=self._name, line=mark.line + 1,
                               col=mark.column + 1, hint=hint)

        def get_single_node(self):
            self.get_event()  # StreamStart
            node = None
            if not self.check_event(yaml.StreamEndEvent):
                self.get_event()  # DocumentStart
                node = self.compose_node(None, None)
                self.get_event()  # DocumentEnd
            if not self.check_event(yaml.StreamEndEvent):
                self._fail(self.peek_event(), "file holds more than one YAML document",
                           "remove the extra `---` document")
            self.get_event()
            return node

        def compose_node(self, parent, index):
            event = self.peek_event()
            if isinstance(event, AliasEvent):
                self._fail(event, f"aliases (*{event.anchor}) are not allowed",
                           "write the value out in full")
            if getattr(event, "anchor", None) is not None:
                self._fail(event, f"anchors (&{event.anchor}) are not allowed",
                           "write the value out in full")
            tag = getattr(event, "tag", None)
            if tag is not None and tag != "!":
                self._fail(event, f"explicit tags ({tag}) are not allowed",
                           "remove the tag; plain values are enough")
            self._nodes += 1
            if self._nodes > MAX_NODES:
                self._fail(event, f"file holds more than {MAX_NODES:,} values",
                           "answers and specs are small; is this the right file?")
            if isinstance(event, ScalarEvent):
                return self._scalar(self.get_event())
            self._depth += 1
            if self._depth > MAX_DEPTH:
                self._fail(event, f"nesting is deeper than {MAX_DEPTH} levels",
                           "flatten the structure")
            try:
                if isinstance(event, SequenceStartEvent):
                    return self._sequence(self.get_event())
                if isinstance(event, MappingStartEvent):
                    return self._mapping(self.get_event())
            finally:
                self._depth -= 1
            self._fail(event, "unexpected YAML event")

        def _mark(self, event) -> tuple[int, int]:
            return event.start_mark.line + 1, event.start_mark.column + 1

        def _scalar(self, event) -> Node:
            line, col = self._mark(event)
            quoted = event.style in ("'", '"', "|", ">")  # libyaml gives '' for plain
            value = event.value if quoted else resolve_scalar(event.value)
            text = event.value if isinstance(value, float) else ""
            return Node("scalar", value, line, col, self._name, quoted=quoted, text=text)

        def _sequence(self, start) -> Node:
            items = []
            while not self.check_event(yaml.SequenceEndEvent):
                items.append(self.compose_node(None, None))
            self.get_event()
            line, col = self._mark(start)
            return Node("seq", tuple(items), line, col, self._name)

        def _mapping(self, start) -> Node:
            values: dict[str, Node] = {}
            keys: dict[str, tuple[int, int]] = {}
            while not self.check_event(yaml.MappingEndEvent):
                key_event = self.peek_event()
                key = self.compose_node(None, None)
                if key.kind != "scalar":
                    self._fail(key_event, "a key must be plain text, not a list or mapping")
                if not isinstance(key.value, str) or (key.value == "" and not key.quoted):
                    source = key_event.value  # as written: `null`, not Python's None
                    self._fail(key_event, f"key '{source}' is not text",
                               f"quote it: \"{source}\"")
                if key.value == "<<" and not key.quoted:
                    self._fail(key_event, "merge keys (<<) are not allowed",
                               "write the keys out in full")
                value = self.compose_node(None, None)
                if key.value in values:
                    first = keys[key.value][0]
                    self._fail(key_event, f"duplicate key '{key.value}' (also at line {first})",
                               "keep only one of the two")
                values[key.value] = value
                keys[key.value] = (key.line, key.col)
            self.get_event()
            line, col = self._mark(start)
            return Node("map", values, line, col, self._name, keys=keys)

    return Loader


class _LazyLoader:
    classes: dict = {}

    def __call__(self, text: str, name: str, fast: bool = True):
        if fast not in self.classes:
            self.classes[fast] = _make_loader_class(fast)
        return self.classes[fast](text, name)


_HardenedLoader = _LazyLoader()
