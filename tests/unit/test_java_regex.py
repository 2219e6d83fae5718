"""java_regex_error against verdicts taken once from java.util.regex.Pattern.compile (OpenJDK 17.0.15).

The table was produced by a throw-away ``java Main.java`` that read these patterns from stdin and printed which
failed and why (Java's description is kept for reference); no JVM runs in these tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sqlingest.validate.java_regex import java_regex_error

#: (pattern, Java's verdict: None = compiles, else its PatternSyntaxException description)
JAVA_17 = [
    ('^[a-z]+$', None),
    ('^\\d{3}-\\d{4}$', None),
    ('[A-Z]{2,3}', None),
    ('(abc', 'Unclosed group'),
    ('abc)', "Unmatched closing ')'"),
    ('[abc', 'Unclosed character class'),
    ('*a', "Dangling meta character '*'"),
    ('+', "Dangling meta character '+'"),
    ('a**', "Dangling meta character '*'"),
    ('a*+', None),
    ('a++b', None),
    ('a?+', None),
    ('a{2,3}+', None),
    ('a{3,1}', 'Illegal repetition range'),
    ('a{,3}', 'Illegal repetition'),
    ('a{', 'Illegal repetition'),
    ('{abc}', 'Illegal repetition'),
    ('x{1,x}', 'Unclosed counted closure'),
    ('\\p{Alpha}+', None),
    ('\\p{L}+', None),
    ('\\pL', None),
    ('\\p{Lu}', None),
    ('\\p{IsAlphabetic}', None),
    ('\\p{IsLatin}', None),
    ('\\p{InGreek}', None),
    ('\\p{javaLowerCase}', None),
    ('\\p{Foo}', 'Unknown character property name {Foo}'),
    ('\\p{Latin}', 'Unknown character property name {Latin}'),
    ('\\P{Digit}', None),
    ('\\Qa.b*c\\E', None),
    ('\\Qunterminated', None),
    ('(?<name>x)\\k<name>', None),
    ('(?<my_name>x)', "named capturing group is missing trailing '>'"),
    ('(?<1a>x)', 'capturing group name does not start with a Latin letter'),
    ('\\k<nope>', 'named capturing group <nope> does not exist'),
    ('(?P<name>x)', 'Unknown inline modifier'),
    ('(?#comment)', 'Unknown inline modifier'),
    ('(?i)abc', None),
    ('a(?i)b', None),
    ('(?i:abc)', None),
    ('(?x) a b # comment', None),
    ('(?z)a', 'Unknown inline modifier'),
    ('\\y', 'Illegal/unsupported escape sequence'),
    ('\\i', 'Illegal/unsupported escape sequence'),
    ('\\e', None),
    ('\\cA', None),
    ('\\h+', None),
    ('\\v', None),
    ('\\R', None),
    ('\\X', None),
    ('\\z', None),
    ('\\G', None),
    ('\\0', 'Illegal octal escape sequence'),
    ('\\012', None),
    ('\\08', 'Illegal octal escape sequence'),
    ('\\x41', None),
    ('\\x{1F600}', None),
    ('\\x4', 'Illegal hexadecimal escape sequence'),
    ('\\u00e9', None),
    ('\\u00g9', 'Illegal Unicode escape sequence'),
    ('\\U0001F600', 'Illegal/unsupported escape sequence'),
    ('\\N{LATIN SMALL LETTER A}', None),
    ('\\N{NOT A NAME}', 'Unknown character name [NOT A NAME]'),
    ('\\1', None),
    ('(a)\\2', None),
    ('(a\\1)', None),
    ('[\\1]', 'Illegal/unsupported escape sequence'),
    ('[\\b]', 'Illegal/unsupported escape sequence'),
    ('[\\R]', 'Illegal/unsupported escape sequence'),
    ('[a-z&&[^aeiou]]', None),
    ('[[a]', 'Unclosed character class'),
    ('[]a]', None),
    ('[]', 'Unclosed character class'),
    ('[^]a]', None),
    ('[z-a]', 'Illegal character range'),
    ('[a-]', None),
    ('[-a]', None),
    ('[\\d-z]', None),
    ('(?<=a+)b', None),
    ('(?<=a|bc)d', None),
    ('(?<=ab)c', None),
    ('(?<!x)y', None),
    ('(?>ab)', None),
    ('\\E', 'Illegal/unsupported escape sequence'),
    ('a\\', 'Unexpected internal error'),
    ('\\-\\/\\@\\#\\!', None),
    ('[\\w\\s]', None),
    ('\\b{g}', None),
    ('\\w+@\\w+\\.\\w{2,}', None),
    ('a|*', "Dangling meta character '*'"),
    ('(|a)', None),
    ('()', None),
    ('a{2}{3}', None),
    ('[a-\\d]', 'Illegal character range'),
    ('\\p{gc=Lu}', None),
    ('\\p{sc=Latin}', None),
    ('\\p{IsL}', None),
    ('\\p{all}', None),
    ('a*{2}', None),
    ('a{2}*', "Dangling meta character '*'"),
    ('a{2}{3}{4}', None),
    ('a{2}??', "Dangling meta character '?'"),
    ('(?i)(?-i:a)', None),
    ('[a&&b]', None),
    ('[&&a]', None),
    ('[a-z&&]', None),
    ('[\\Q]\\E]', None),
    ('[\\p{L}\\d_]', None),
    ('x{2147483648}', 'Illegal repetition range'),
    ('\\Q\\E*', "Dangling meta character '*'"),
    ('(?u)a', None),
    ('(?U)\\w', None),
    ('(?d).', None),
    ('[\\x{110000}]', 'Hexadecimal codepoint is too big'),
    ('\\cé', None),
]


@pytest.mark.parametrize(("pattern", "java"), JAVA_17, ids=[p for p, _ in JAVA_17])
def test_same_verdict_as_java(pattern: str, java: str | None) -> None:
    mine = java_regex_error(pattern)
    assert (mine is None) == (java is None), (pattern, java, mine)


def test_messages_follow_java() -> None:
    assert java_regex_error("\\p{Latin}") == "Unknown character property name {Latin} near index 9"
    assert java_regex_error("{abc}") == "Illegal repetition near index 0"
    assert java_regex_error("(?<my_name>x)") == "named capturing group is missing trailing '>' near index 5"
    assert java_regex_error("[z-a]") == "Illegal character range near index 3"
    assert java_regex_error("\\y") == "Illegal/unsupported escape sequence near index 1"
    assert java_regex_error("(abc") == "missing ), unterminated subpattern"


def test_same_verdict_as_java_on_random_patterns() -> None:
    """3000 random patterns (anchors, quantifiers, classes, escapes, groups, flags), Java 17's verdict per line:
    ``OK`` or ``ERR``, a tab, the pattern."""
    table = Path(__file__).parent / "data" / "java17_regex_verdicts.tsv"
    rows = [line.split("\t", 1) for line in table.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 3000
    wrong = [(p, v, java_regex_error(p)) for v, p in rows if (java_regex_error(p) is None) != (v == "OK")]
    assert wrong == []
