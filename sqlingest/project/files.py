"""Reading the files users write (models, macros, contracts, ``sqlingest.yml``, registry and secret files).

Every such file is UTF-8: it is decoded strictly (a leading byte order mark is dropped) and a file that is not valid
UTF-8, missing, a folder or unreadable is a located :class:`UserError`, never a Python traceback.
"""

from __future__ import annotations

from pathlib import Path

from sqlingest.errors import Location, UserError

_BOM = b"\xef\xbb\xbf"


def read_text(path: Path, shown: str | Path | None = None, *, error: type[UserError] = UserError,
              secret: bool = False) -> str:
    """The text of a user's file, newlines translated to ``\\n`` as in text mode.

    Args:
        path: the file.
        shown: how to name the file in messages (default: ``path``), e.g. relative to the project.
        error: the :class:`UserError` subclass to raise.
        secret: never show the file's bytes in a message.

    Raises:
        UserError: (or ``error``) the file cannot be read or is not valid UTF-8, located at the offending byte.
    """
    name = str(shown if shown is not None else path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise error("is a folder, not a file", location=Location(name)) from None
    except FileNotFoundError:
        raise error("no such file", location=Location(name)) from None
    except PermissionError:
        raise error("cannot read the file: permission denied", location=Location(name),
                    hint="check the file's permissions") from None
    except OSError as exc:
        raise error(f"cannot read the file: {exc.strerror or exc}", location=Location(name)) from None
    data = data.removeprefix(_BOM)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(data, exc, name, error, secret) from None
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _not_utf8(data: bytes, exc: UnicodeDecodeError, name: str, error: type[UserError], secret: bool) -> UserError:
    start = exc.start
    line_start = data.rfind(b"\n", 0, start) + 1
    line = data.count(b"\n", 0, start) + 1
    col = len(data[line_start:start].decode("utf-8", errors="replace")) + 1
    byte = "" if secret else f"byte 0x{data[start]:02X}: "
    return error(f"not valid UTF-8 ({byte}{exc.reason})", location=Location(name, line, col),
                 hint="sqlingest reads every file as UTF-8; re-save this file as UTF-8 (e.g. `iconv -f latin1 -t "
                      "utf-8`, or your editor's 'save with encoding')")
