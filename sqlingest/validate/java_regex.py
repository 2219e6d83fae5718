"""Would ``java.util.regex.Pattern.compile`` accept this pattern? Decided without a JVM.

``regex`` checks run in Spark (``regexp_like``, ``java.util.regex``), not in Python, and Python's ``re`` differs: it
rejects Java syntax (``\\p{Alpha}``, ``\\Q…\\E``, ``(?<name>…)``, ``\\h``, flags in mid-pattern, bounded
look-behinds) and accepts what Java rejects (``{abc}`` as literal text, ``(?P<n>…)``, ``(?#…)``, ``\\U0001F600``).
:func:`java_regex_error` walks the pattern the way Java's parser does, refuses what Java refuses, translates the
Java-only constructs into equivalents Python's ``re`` accepts, and lets ``re`` judge the rest (balanced groups,
quantifiers with nothing to repeat, ``{n,m}`` with ``n > m``). The verdicts of ``tests/unit/test_java_regex.py``
were taken from Java 17 (115 chosen patterns, 3000 random ones; 13 000 random patterns agreed when written).
"""

from __future__ import annotations

import re
import unicodedata
import warnings

_CATEGORIES = {
    "L", "Lu", "Ll", "Lt", "Lm", "Lo", "LC", "LD", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "Z", "Zs", "Zl",
    "Zp", "C", "Cc", "Cf", "Co", "Cs", "Cn", "P", "Pd", "Ps", "Pe", "Pc", "Po", "Pi", "Pf", "S", "Sm", "Sc", "Sk",
    "So",
}
_POSIX = {"Lower", "Upper", "ASCII", "Alpha", "Digit", "Alnum", "Punct", "Graph", "Print", "Blank", "Cntrl",
          "XDigit", "Space", "all"}
_JAVA = {"javaLowerCase", "javaUpperCase", "javaWhitespace", "javaMirrored", "javaAlphabetic", "javaIdeographic",
         "javaTitleCase", "javaDigit", "javaDefined", "javaLetter", "javaLetterOrDigit", "javaJavaIdentifierStart",
         "javaJavaIdentifierPart", "javaUnicodeIdentifierStart", "javaUnicodeIdentifierPart",
         "javaIdentifierIgnorable", "javaSpaceChar", "javaISOControl"}
_BINARY = {"alphabetic", "ideographic", "letter", "lowercase", "uppercase", "titlecase", "punctuation", "control",
           "white_space", "whitespace", "digit", "hex_digit", "hexdigit", "join_control", "joincontrol",
           "noncharacter_code_point", "noncharactercodepoint", "assigned", "emoji", "emoji_presentation",
           "emoji_modifier", "emoji_modifier_base", "emoji_component", "extended_pictographic"}
#: letters Java's parser refuses after a backslash ("Illegal/unsupported escape sequence")
_BAD_LETTERS = set("CEFIJKLMOQTUYgijlmoqy")
_FLAGS = set("idmsuxU")
_HEX = set("0123456789abcdefABCDEF")


class _JavaError(Exception):
    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.message = message
        self.index = index


def java_regex_error(pattern: str) -> str | None:
    """Why ``java.util.regex`` would refuse ``pattern`` (``None``: it compiles)."""
    try:
        translated = _Translator(pattern).run()
    except _JavaError as exc:
        return f"{exc.message} near index {exc.index}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            re.compile(translated)
    except re.error as exc:  # positions are in the translated text: not reported
        return str(exc.msg)
    except (RecursionError, OverflowError):  # pragma: no cover - absurd nesting or repetition counts
        return "pattern too complex"
    return None


def _lit(code: int) -> str:
    return f"\\U{code:08x}"


class _Translator:
    """Java pattern → a Python pattern with the same structure (Java-only constructs replaced by equivalents)."""

    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0
        self.names: set[str] = set()
        self.comments = False

    def peek(self, ahead: int = 0) -> str:
        j = self.i + ahead
        return self.p[j] if j < len(self.p) else ""

    def fail(self, message: str, index: int | None = None) -> _JavaError:
        return _JavaError(message, self.i if index is None else index)

    def run(self) -> str:
        out: list[str] = []
        p = self.p
        quantified = False  # the last token was a quantifier (Java lets a {n,m} repeat it again)
        atom = False  # something precedes that a quantifier may repeat (not: the start, '(', '|', '(?i)')
        while self.i < len(p):
            c = p[self.i]
            if self.comments and (c in " \t\n\r\f\x0b" or c == "#"):
                self.skip_comment()
                continue
            if c in "*+?":
                if not atom:
                    raise self.fail(f"Dangling meta character '{c}'")
                out.append(c)
                self.i += 1
                if self.peek() in ("?", "+"):  # lazy or possessive
                    out.append(self.peek())
                    self.i += 1
                quantified = True
                continue
            if c == "{":
                rep = self.repetition()
                repeat = atom and not quantified  # Java also accepts {n} after a quantifier or after nothing
                out.append(rep if repeat else "")
                if self.peek() in ("?", "+"):
                    if repeat:
                        out.append(self.peek())
                    self.i += 1
                quantified = atom = True
                continue
            quantified = False
            atom = True
            if c == "\\":
                out.append(self.escape(in_class=False))
            elif c == "[":
                self.i += 1
                out.append(self.char_class())
            elif c == "(":
                out.append(self.group())
                atom = False
            elif c == "|":
                out.append(c)
                self.i += 1
                atom = False
            elif c in "^$":
                out.append(f"(?:{c})")  # Java lets anchors be repeated, Python not
                self.i += 1
            else:
                out.append(c)
                self.i += 1
        return "".join(out)

    def skip_comment(self) -> None:
        """Comments mode (``(?x)``): whitespace and ``#…`` to the end of the line are not part of the pattern."""
        if self.p[self.i] == "#":
            while self.i < len(self.p) and self.p[self.i] not in "\n\r":
                self.i += 1
        else:
            self.i += 1

    # -- groups and repetitions ------------------------------------------------------------------------
    def group(self) -> str:
        start = self.i
        self.i += 1
        if self.peek() != "?":
            return "("
        self.i += 1
        c = self.peek()
        if c in (":", "=", "!", ">"):
            self.i += 1
            return "(?" + c
        if c == "<":
            nxt = self.peek(1)
            if nxt in ("=", "!"):
                self.i += 2
                return "(?:"  # Java allows bounded variable-length look-behinds; Python only fixed-width ones
            self.i += 1
            name = self.group_name()
            if name in self.names:
                raise self.fail(f"Named capturing group <{name}> is already defined")
            self.names.add(name)
            return f"(?P<{name}>"
        flags = ""
        while self.peek() in _FLAGS or (self.peek() == "-" and "-" not in flags):
            flags += self.peek()
            self.i += 1
        if self.peek() == ")":
            self.i += 1
            if "x" in flags.split("-")[0]:
                self.comments = True
            if "-" in flags and "x" in flags.split("-")[1]:
                self.comments = False
            return ""  # Java accepts flags anywhere; Python only at the start
        if self.peek() == ":":
            self.i += 1
            return "(?:"
        raise self.fail("Unknown inline modifier", start + 2 + len(flags))

    def group_name(self) -> str:
        start = self.i
        while self.peek().isascii() and self.peek().isalnum():
            self.i += 1
        name = self.p[start:self.i]
        if not name or not name[0].isalpha():
            raise self.fail("capturing group name does not start with a Latin letter")
        if self.peek() != ">":
            raise self.fail("named capturing group is missing trailing '>'")
        self.i += 1
        return name

    def repetition(self) -> str:
        match = re.compile(r"\{(\d+)(,(\d*))?\}").match(self.p, self.i)
        if match is None:
            digits = self.i + 1 < len(self.p) and self.p[self.i + 1].isdigit()
            raise self.fail("Unclosed counted closure" if digits else "Illegal repetition")
        low, high = int(match.group(1)), match.group(3)
        if (high and int(high) < low) or max(low, int(high or 0)) > 2**31 - 1:
            raise self.fail("Illegal repetition range")
        self.i = match.end()
        return match.group(0)

    # -- escapes -------------------------------------------------------------------------------------
    def escape(self, *, in_class: bool) -> str:
        """The escape at ``self.i`` (a backslash) as Python text; inside a class a class fragment."""
        start = self.i
        self.i += 1
        if self.i >= len(self.p):
            raise self.fail("Unexpected internal error", start + 1)
        c = self.p[self.i]
        self.i += 1
        if c == "Q":
            end = self.p.find("\\E", self.i)
            text = self.p[self.i:] if end < 0 else self.p[self.i:end]
            self.i = len(self.p) if end < 0 else end + 2
            if in_class:
                return "".join(_lit(ord(ch)) for ch in text)
            return "(?:" + re.escape(text) + ")" if text else ""
        if c.isdigit():
            if c == "0":
                digits = ""
                while len(digits) < 3 and self.peek() in set("01234567") and self.peek():
                    if len(digits) == 2 and digits[0] > "3":
                        break
                    digits += self.peek()
                    self.i += 1
                if not digits:
                    raise self.fail("Illegal octal escape sequence")
                return _lit(int(digits, 8))
            if in_class:
                raise self.fail("Illegal/unsupported escape sequence")
            while self.peek().isdigit():
                self.i += 1
            return "(?:)"  # a back reference (Java resolves it when matching)
        if not c.isascii() or not c.isalpha():
            return _lit(ord(c)) if in_class else re.escape(c)
        if c in _BAD_LETTERS:
            raise self.fail("Illegal/unsupported escape sequence", self.i - 1)
        simple = {"t": 9, "n": 10, "r": 13, "f": 12, "a": 7, "e": 27}
        if c in simple:
            return _lit(simple[c])
        if c == "c":
            if self.i >= len(self.p):
                raise self.fail("Illegal control escape sequence")
            self.i += 1
            return _lit(ord(self.p[self.i - 1]) ^ 64)
        if c == "x":
            return _lit(self.hex_escape())
        if c == "u":
            digits = self.p[self.i:self.i + 4]
            if len(digits) < 4 or not set(digits) <= _HEX:
                raise self.fail("Illegal Unicode escape sequence")
            self.i += 4
            return _lit(int(digits, 16))
        if c == "N":
            if self.peek() != "{" or "}" not in self.p[self.i:]:
                raise self.fail("Illegal character name escape sequence")
            end = self.p.index("}", self.i)
            name = self.p[self.i + 1:end]
            self.i = end + 1
            try:
                return _lit(ord(unicodedata.lookup(name)))
            except KeyError:
                raise self.fail(f"Unknown character name [{name}]") from None
        if c in "dDsSwW":
            return "\\" + c
        if c in "pP":
            self.property()
            return ("\\w" if c == "p" else "\\W")
        if c in "hv":
            return "\\s"
        if c in "HV":
            return "\\S"
        if in_class:  # boundaries, anchors, \R, \X and \k are not allowed in a class
            raise self.fail("Illegal/unsupported escape sequence", self.i - 1)
        if c == "b":
            if self.p.startswith("{g}", self.i):
                self.i += 3
            return "(?:\\b)"
        if c == "B":
            return "(?:\\B)"
        if c == "A":
            return "(?:\\A)"
        if c in "Zz":
            return "(?:\\Z)"
        if c == "G":
            return "(?:)"
        if c == "R":
            return "(?:\\r\\n|\\n)"
        if c == "X":
            return "."
        if c == "k":
            if self.peek() != "<":
                raise self.fail("\\k is not followed by '<' for named capturing group")
            self.i += 1
            name = self.group_name()
            if name not in self.names:
                raise self.fail(f"named capturing group <{name}> does not exist")
            return "(?:)"
        raise self.fail("Illegal/unsupported escape sequence", self.i - 1)  # pragma: no cover

    def hex_escape(self) -> int:
        if self.peek() == "{":
            end = self.p.find("}", self.i)
            digits = self.p[self.i + 1:end] if end > 0 else ""
            if not digits or not set(digits) <= _HEX or int(digits, 16) > 0x10FFFF:
                raise self.fail("Illegal hexadecimal escape sequence")
            self.i = end + 1
            return int(digits, 16)
        digits = self.p[self.i:self.i + 2]
        if len(digits) < 2 or not set(digits) <= _HEX:
            raise self.fail("Illegal hexadecimal escape sequence")
        self.i += 2
        return int(digits, 16)

    def property(self) -> None:
        """``\\pL`` / ``\\p{Name}``: refused unless Java knows the property."""
        if self.peek() == "{":
            end = self.p.find("}", self.i)
            if end < 0:
                raise self.fail("Unclosed character family")
            name = self.p[self.i + 1:end]
            self.i = end + 1
        else:
            name = self.peek()
            if not name:
                raise self.fail("Illegal character family")
            self.i += 1
        if not name:
            raise self.fail("Empty character family")
        if not _known_property(name):
            raise self.fail(f"Unknown character property name {{{name}}}")

    # -- character classes -----------------------------------------------------------------------------
    def char_class(self) -> str:
        """The class after its ``[`` (Java: unions with nested classes, ``&&`` intersections) as one Python class."""
        start = self.i - 1
        negate = self.peek() == "^"
        if negate:
            self.i += 1
        parts: list[str] = []
        first = True
        while True:
            if self.i >= len(self.p):
                raise self.fail("Unclosed character class", len(self.p) - 1)
            c = self.p[self.i]
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            if c == "[":
                self.i += 1
                inner = self.char_class()
                parts.append(inner[1:-1].lstrip("^") if inner != "[^\\s\\S]" else "")
                continue
            if c == "&" and self.peek(1) == "&":
                self.i += 2
                continue
            if c == "\\":
                low_text = self.escape(in_class=True)
                code = _single(low_text)
            else:
                low_text, code = _lit(ord(c)), ord(c)
                self.i += 1
            if code is not None and self.peek() == "-" and self.peek(1) not in ("]", "", "["):
                self.i += 1
                if self.peek() == "\\":
                    high_text = self.escape(in_class=True)
                    high = _single(high_text)
                    if high is None:
                        raise self.fail("Illegal character range")
                else:
                    high = ord(self.p[self.i])
                    self.i += 1
                if high < code:
                    raise self.fail("Illegal character range", self.i - 1)
                parts.append(f"{_lit(code)}-{_lit(high)}")
            else:
                parts.append(low_text)
        body = "".join(parts)
        if not body:
            return "[^\\s\\S]" if not negate else "[\\s\\S]"
        del start
        return "[" + ("^" if negate else "") + body + "]"


def _single(text: str) -> int | None:
    """The code point of a translated single-character class fragment (``\\U0000002d``), else None."""
    if len(text) == 10 and text.startswith("\\U"):
        return int(text[2:], 16)  # noqa: FURB166 - the prefix is \\U, not 0x
    return None


def _known_property(name: str) -> bool:
    if "=" in name:
        key, _, value = name.partition("=")
        if key in ("gc", "general_category"):
            return value in _CATEGORIES
        return key in ("sc", "script", "blk", "block") and bool(re.fullmatch(r"[A-Za-z0-9_ -]+", value))
    if name in _CATEGORIES or name in _POSIX or name in _JAVA:
        return True
    if name.startswith("In"):
        return bool(re.fullmatch(r"[A-Za-z0-9_ -]+", name[2:]))
    if name.startswith("Is"):
        rest = name[2:]
        return rest in _CATEGORIES or rest.lower() in _BINARY or rest in _POSIX or \
            bool(re.fullmatch(r"[A-Za-z_]+", rest))
    return False
