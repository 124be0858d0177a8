"""Arguments that are no text, refused before any command runs, named as the person typed them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, get_args, get_type_hints

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

from claims.cli.errors import EXIT_CODES
from claims.text import displayable, unstorable
from workflow.errors import InvalidInput


def _located(root: Any, argv: list[str], index: int) -> tuple[str, bool]:
    """How the person typing would name argument `index` (the option it is the value of, the field of a
    naam=waarde pair, the command's argument), and whether it is a file name."""
    command: Any = root
    start = 0
    while isinstance(command, TyperGroup) and start < index and argv[start] in command.commands:
        command = command.commands[argv[start]]
        start += 1
    hints = get_type_hints(command.callback) if command.callback else {}
    params = [p for p in command.params if isinstance(p, TyperOption | TyperArgument)]
    options = {name: p for p in params if isinstance(p, TyperOption) for name in (*p.opts, *p.secondary_opts)}
    arguments = [p for p in params if isinstance(p, TyperArgument)]
    positional, pending = 0, None
    for earlier in argv[start:index]:
        if pending is not None:
            pending = None
        elif earlier.startswith("-") and earlier != "-":
            option = options.get(earlier)
            pending = option if option is not None and not option.is_flag else None
        else:
            positional += 1
    token = argv[index]
    param: Any = None
    if pending is not None:
        name, param = max(pending.opts, key=len), pending
    elif token.startswith("-") and token != "-":
        name = token.partition("=")[0]
        param = options.get(name) if "=" in token else None
        if param is None or unstorable(name):
            name = f"argument {index + 1}"
    elif arguments:
        param = arguments[min(positional, len(arguments) - 1)]
        key, sep, _ = token.partition("=")
        name = key.strip() if param.nargs == -1 and sep and key and not unstorable(key) else param.name
    else:
        name = f"argument {index + 1}"
    return name, param is not None and _is_path(hints.get(param.name))


def _is_path(hint: Any) -> bool:
    return hint is Path or any(_is_path(inner) for inner in get_args(hint))


def refuse_undecodable(app: typer.Typer, argv: list[str]) -> None:
    """An argument that is no text (bytes the locale cannot decode, which Python keeps as lone
    surrogates) exits 2 naming it before anything runs: the rule of claims.text, as on the web. A file
    name may be any bytes, so a path is let through."""
    for index, arg in enumerate(argv):
        problem = unstorable(arg)
        if problem is None:
            continue
        name, is_path = _located(typer.main.get_command(app), argv, index)
        if not is_path:
            typer.echo(f"fout: {displayable(name)}: {problem}", err=True)
            sys.exit(EXIT_CODES[InvalidInput])
