"""Running the CLI as a user would, in-process, against the test's database (``cli_env`` in conftest.py)."""

from __future__ import annotations

from typer.testing import CliRunner, Result

from labelhub.cli import app

Env = dict[str, str | None]


def run(env: Env, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin, env=env)


def ok(env: Env, *args: str, stdin: str | None = None) -> Result:
    """Run and check it succeeded, showing the output and the exception when it did not."""
    result = run(env, *args, stdin=stdin)
    assert result.exit_code == 0, f"{args}: {result.output}\n{result.exception!r}"
    return result
