"""Source maps: where each character of a rendered model came from in the model's template.

While a model's template is compiled, its token stream is instrumented: every piece of literal text the template
itself outputs (its own SQL, a ``{% for %}`` body, an ``{% if %}`` branch, ``{% raw %}`` content) starts with one
private-use marker character, and one marker is put in front of every ``{{ … }}`` and ``{% … %}`` construct. The
markers travel through rendering; :meth:`SourceMapBuilder.finish` strips them from the output and records, for each
rendered offset, the template offset it comes from:

- literal text maps character by character to where it is in the template (Jinja comments, whitespace control
  ``{%- -%}`` and trimmed newlines do not shift it, because positions are taken from the lexer's own tokens);
- whatever a construct outputs (an expression, a macro call emitting several lines, ``{% call %}``, ``{% include %}``,
  ``{% filter %}``) maps to the position of its ``{{`` / ``{%``.

Text that is *not* output directly is left unmarked so that markers never reach a value: macro bodies, ``{% call %}``
bodies, ``{% filter %}`` bodies and ``{% set x %}…{% endset %}`` captures (their output maps to the construct that
prints them). Templates other than the model (macro files, includes) are never instrumented. If instrumenting a
template fails for any reason, the model gets the identity map (rendered positions), never an error.

Compiling a template (lexing, instrumenting, Jinja's code generation, Python's ``compile``) is most of rendering's
cost, so :func:`compile_mapped` can keep what it made in a cache folder (:class:`TemplateCache`, the project's
``.sqlingest/cache/templates/``): the template's Python code object and the source-map state the instrumentation
built (``origins``, ``linear``, ``template_lines``), keyed by the template's text, the environment's lexer and code
generator options, the Jinja, Python and sqlingest versions and this module's own source. A cached template renders
exactly what a freshly compiled one does, with the same source map.
"""

from __future__ import annotations

import bisect
import hashlib
import marshal
import os
import re
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import CodeType

import jinja2
from jinja2.lexer import TokenStream, newline_re

# One marker is one character of Unicode's supplementary private use areas (planes 15 and 16), so a marker can never
# be cut in half by a filter and never looks like SQL.
_PLANE_A, _PLANE_A_SIZE = 0xF0000, 0xFFFE
_PLANE_B, _PLANE_B_SIZE = 0x100000, 0xFFFE
MAX_MARKERS = _PLANE_A_SIZE + _PLANE_B_SIZE
MARKER_RE = re.compile("([\U000f0000-\U000ffffd\U00100000-\U0010fffd])")

#: blocks whose content is not printed where it stands (its output is a value the template uses)
_OPAQUE = frozenset({"macro", "call", "filter"})
_OPEN = frozenset({"(", "[", "{"})
_CLOSE = frozenset({")", "]", "}"})


def _marker(index: int) -> str:
    return chr(_PLANE_A + index) if index < _PLANE_A_SIZE else chr(_PLANE_B + index - _PLANE_A_SIZE)


def _index(marker: str) -> int:
    code = ord(marker)
    return code - _PLANE_A if code < _PLANE_B else code - _PLANE_B + _PLANE_A_SIZE


def normalize_newlines(text: str) -> str:
    """The template text as Jinja's lexer sees it: ``\\r\\n`` and ``\\r`` become ``\\n``."""
    return "\n".join(newline_re.split(text)[::2])


def _line_starts(text: str) -> list[int]:
    starts = [0]
    find = text.find
    pos = find("\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = find("\n", pos + 1)
    return starts


class _NoMap(Exception):
    """Instrumentation gave up on a template (it then renders unmapped)."""


@dataclass
class SourceMap:
    """Rendered offset → template (line, col). Both 1-based; tabs and non-ASCII characters count as one column."""

    #: the rendered SQL's line start offsets
    rendered_lines: list[int]
    #: the template's line start offsets (newlines normalized)
    template_lines: list[int]
    #: rendered offset where each segment starts (ascending)
    starts: list[int]
    #: template offset each segment comes from
    origins: list[int]
    #: True: literal text (offsets advance together); False: a construct's output (every offset maps to its origin)
    linear: list[bool]
    length: int

    @classmethod
    def identity(cls, sql: str) -> SourceMap:
        """The map of a template rendered unmapped: every position maps to itself."""
        lines = _line_starts(sql)
        return cls(lines, lines, [0], [0], [True], len(sql))

    def template_offset(self, offset: int) -> int:
        """The template offset rendered ``offset`` (0-based) comes from."""
        offset = min(max(offset, 0), self.length)
        i = bisect.bisect_right(self.starts, offset) - 1
        if i < 0:
            return 0
        return self.origins[i] + (offset - self.starts[i] if self.linear[i] else 0)

    def locate(self, offset: int) -> tuple[int, int]:
        """(line, col) in the template of rendered ``offset`` (0-based, e.g. sqlglot's ``meta['start']``)."""
        source = self.template_offset(offset)
        line = bisect.bisect_right(self.template_lines, source)
        return line, source - self.template_lines[line - 1] + 1

    def rendered_offset(self, line: int, col: int) -> int:
        """The offset of rendered (line, col) (1-based), clamped to the rendered text."""
        line = min(max(line, 1), len(self.rendered_lines))
        return min(self.rendered_lines[line - 1] + max(col, 1) - 1, self.length)

    def locate_line_col(self, line: int, col: int) -> tuple[int, int]:
        """(line, col) in the template of rendered (line, col) (1-based, e.g. sqlglot's error line and col)."""
        return self.locate(self.rendered_offset(line, col))


class SourceMapBuilder:
    """Instruments one template's tokens while it compiles, then turns its marked output into SQL and a map."""

    def __init__(self) -> None:
        self.origins: list[int] = []
        self.linear: list[bool] = []
        self.template_lines: list[int] = [0]
        self.active = False

    def _mark(self, origin: int, linear: bool) -> str:
        index = len(self.origins)
        if index >= MAX_MARKERS:
            raise _NoMap("too many markers")
        self.origins.append(origin)
        self.linear.append(linear)
        return _marker(index)

    def instrument(self, tokens: Iterable[tuple[int, str, str]], source: str) -> list[tuple[int, str, str]]:
        """``tokens`` (from ``lexer.tokeniter``) with markers added to the template's printed text.

        Raises:
            _NoMap: the template cannot be instrumented (it already holds marker characters, or tokens could not be
                placed in the source).
            jinja2.TemplateSyntaxError: the lexer's own errors, unchanged.
        """
        text = normalize_newlines(source)
        if MARKER_RE.search(text):
            raise _NoMap("the template contains marker characters")
        self.template_lines = _line_starts(text)
        out: list[tuple[int, str, str]] = []
        cursor = 0
        opaque: list[str] = []  # open macro/call/filter/set-capture blocks
        tag: str | None = None  # the name of the block tag being read ("" until its name is seen)
        assign = False  # a '=' seen at bracket depth 0 in a 'set' tag
        depth = 0
        for lineno, kind, value in tokens:
            if text.startswith(value, cursor):
                pos = cursor
            else:  # only whitespace removed by {%- / -%} / lstrip_blocks lies between tokens
                pos = text.find(value, cursor)
                if pos < 0 or text[cursor:pos].strip():
                    raise _NoMap(f"token {value!r} not found")
            cursor = pos + len(value)
            if kind == "data":
                if not opaque:
                    value = self._mark(pos, True) + value
            elif kind == "variable_begin":
                if not opaque:
                    out.append((lineno, "data", self._mark(pos, False)))
            elif kind == "block_begin":
                if not opaque:
                    out.append((lineno, "data", self._mark(pos, False)))
                tag, assign, depth = "", False, 0
            elif tag is not None:
                if kind == "name" and tag == "":
                    tag = value
                    if value in _OPAQUE:
                        opaque.append(value)
                    elif opaque and value == "end" + opaque[-1]:
                        opaque.pop()
                elif kind == "operator" and tag == "set":
                    if value in _OPEN:
                        depth += 1
                    elif value in _CLOSE:
                        depth -= 1
                    elif value == "=" and depth == 0:
                        assign = True
                elif kind == "block_end":
                    if tag == "set" and not assign:
                        opaque.append("set")
                    tag = None
            out.append((lineno, kind, value))
        return out

    def finish(self, rendered: str) -> tuple[str, SourceMap]:
        """The SQL without markers and the map of its positions to the template's."""
        pieces = MARKER_RE.split(rendered)
        starts: list[int] = []
        origins: list[int] = []
        linear: list[bool] = []
        offset = len(pieces[0])
        if offset:  # output before any marker (cannot happen for a model template; be safe)
            starts.append(0)
            origins.append(0)
            linear.append(False)
        for i in range(1, len(pieces), 2):
            index = _index(pieces[i])
            if index >= len(self.origins):
                continue
            if starts and starts[-1] == offset:  # the previous segment is empty
                origins[-1], linear[-1] = self.origins[index], self.linear[index]
            else:
                starts.append(offset)
                origins.append(self.origins[index])
                linear.append(self.linear[index])
            offset += len(pieces[i + 1])
        sql = "".join(pieces[::2])
        if not starts:
            return sql, SourceMap.identity(sql)
        return sql, SourceMap(_line_starts(sql), self.template_lines, starts, origins, linear, len(sql))


class SourceMapEnvironment(jinja2.Environment):
    """A Jinja environment that instruments the one template compiled inside :func:`compile_mapped`."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self._mapping = threading.local()

    def _tokenize(self, source: str, name: str | None, filename: str | None = None,
                  state: str | None = None) -> TokenStream:
        builder: SourceMapBuilder | None = getattr(self._mapping, "builder", None)
        if builder is None or builder.active or state is not None:
            return super()._tokenize(source, name, filename, state)
        builder.active = True  # only the outermost template: never a template it imports while compiling
        source = self.preprocess(source, name, filename)
        try:
            tokens = builder.instrument(self.lexer.tokeniter(source, name, filename, state), source)
        except _NoMap:
            self._mapping.builder = None
            return super()._tokenize(source, name, filename, state)
        stream = TokenStream(self.lexer.wrap(iter(tokens), name, filename), name, filename)
        for ext in self.iter_extensions():
            filtered: Iterable[jinja2.lexer.Token] = ext.filter_stream(stream)
            stream = filtered if isinstance(filtered, TokenStream) else TokenStream(filtered, name, filename)
        return stream


_CACHE_FORMAT = 1


class TemplateCache:
    """Compiled model templates on disk, one file per model (``slot``): its key, code object and source-map state.

    Reads and writes never fail a render: an unreadable, stale or corrupt entry is a miss, a write that fails is
    skipped. Writes are atomic (a temporary file renamed into place), so concurrent compiles of one project are safe.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._salt: bytes | None = None

    def key(self, env: jinja2.Environment, text: str) -> bytes:
        if self._salt is None:
            from sqlingest import __version__

            try:
                own = Path(__file__).read_bytes()
            except OSError:
                own = b""
            options = (env.block_start_string, env.block_end_string, env.variable_start_string,
                       env.variable_end_string, env.comment_start_string, env.comment_end_string,
                       env.line_statement_prefix, env.line_comment_prefix, env.trim_blocks, env.lstrip_blocks,
                       env.newline_sequence, env.keep_trailing_newline, env.optimized, env.autoescape,
                       env.finalize, env.is_async, sorted(env.extensions), env.code_generator_class.__qualname__)
            self._salt = repr((_CACHE_FORMAT, __version__, jinja2.__version__, sys.implementation.cache_tag,
                               sys.version, options)).encode() + hashlib.sha256(own).digest()
        return hashlib.sha256(self._salt + text.encode("utf-8", "surrogatepass")).digest()

    def bytecode_cache(self, env: jinja2.Environment) -> jinja2.BytecodeCache:
        """Jinja's own cache, for the templates ``env`` loads from files (macro files, includes), in the same
        folder and with the same key salt (Jinja keys them by name and source)."""
        salt = hashlib.sha256(self.key(env, "")).hexdigest()[:16]
        return _FolderBytecodeCache(str(self.folder), f"jinja-{salt}-%s.cache")

    def _path(self, slot: str) -> Path:
        return self.folder / (hashlib.sha256(slot.encode("utf-8", "surrogatepass")).hexdigest()[:32] + ".bin")

    def load(self, slot: str, key: bytes) -> tuple[CodeType, SourceMapBuilder | None] | None:
        try:
            data = self._path(slot).read_bytes()
            if data[:32] != key:
                return None
            code, state = marshal.loads(data[32:])
        except Exception:  # noqa: BLE001 — missing, stale or corrupt: compile afresh
            return None
        if not isinstance(code, CodeType):
            return None
        if state is None:
            return code, None
        builder = SourceMapBuilder()
        builder.origins, builder.linear, builder.template_lines = state
        return code, builder

    def store(self, slot: str, key: bytes, code: CodeType, builder: SourceMapBuilder | None) -> None:
        state = None if builder is None else (builder.origins, builder.linear, builder.template_lines)
        path = self._path(slot)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(key + marshal.dumps((code, state)))
            os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)


class _FolderBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache that makes its folder and never fails a render when it cannot write."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


def compile_mapped(env: jinja2.Environment, text: str, *, cache: TemplateCache | None = None,
                   slot: str | None = None) -> tuple[jinja2.Template, SourceMapBuilder | None]:
    """Compile a model's template, instrumented for a source map when ``env`` can (else the builder is None).

    With ``cache`` and ``slot`` (the model's path), a template compiled before from the same text is taken from the
    cache, and a freshly compiled one is put there.

    Raises:
        jinja2.TemplateSyntaxError: the template itself is invalid (as it would be unmapped).
    """
    if not isinstance(env, SourceMapEnvironment):
        return env.from_string(text), None
    key = cache.key(env, text) if cache is not None and slot is not None else None
    if key is not None:
        assert cache is not None and slot is not None
        hit = cache.load(slot, key)
        if hit is not None:
            code, cached = hit
            return env.template_class.from_code(env, code, env.make_globals(None), None), cached
    builder = SourceMapBuilder()
    env._mapping.builder = builder
    try:
        code = env.compile(text)  # what from_string does, keeping the code object for the cache
        mapped = env._mapping.builder is builder
    except jinja2.TemplateSyntaxError:
        env._mapping.builder = None
        return env.from_string(text), None  # raises the template's own error; else markers were at fault
    finally:
        env._mapping.builder = None
    template = env.template_class.from_code(env, code, env.make_globals(None), None)
    if key is not None:
        assert cache is not None and slot is not None
        cache.store(slot, key, code, builder if mapped else None)
    return template, builder if mapped else None


def render_mapped(template: jinja2.Template, builder: SourceMapBuilder | None) -> tuple[str, SourceMap]:
    """Render ``template`` (from :func:`compile_mapped`): its SQL without markers and its source map."""
    rendered = template.render()
    if builder is None:
        return rendered, SourceMap.identity(rendered)
    return builder.finish(rendered)
