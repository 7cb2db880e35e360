"""The deployment files say what the code does: settings, commands, health route, packaging.

docs/deploy.md, deploy/hoofdzaak.service, deploy/env.example, Dockerfile and compose.yaml are
read as text and compared with bot/config.py, the click command tree of bot/cli/ and
bot/webserver.py. No Docker, no network, no database.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from pydantic import SecretStr

from bot.cli import main as cli_main
from bot.config import Settings
from bot.webserver import HEALTH_PATH

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_MD = ROOT / "docs" / "deploy.md"
UNIT = ROOT / "deploy" / "hoofdzaak.service"
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"

# Variables the files may set that are not the bot's settings.
PYTHON_ENV = {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR"} | {
    "PIP_DISABLE_PIP_VERSION_CHECK"
}
COMPOSE_ONLY = {"POSTGRES_PASSWORD"}  # the db service's password, also in DATABASE_URL
# a real setting, but only the tests and the console switch it off: not in the env template
INTERNAL = {"HOOFDZAAK_RATE_LIMITER"}


def env_names() -> dict[str, str]:
    """Environment variable → field name, as pydantic-settings reads them."""
    return {(f.alias or name).upper(): name for name, f in Settings.model_fields.items()}


def section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def config_table() -> dict[str, list[str]]:
    """The rows of the Configuration table: variable → its cells (default, secret, meaning)."""
    rows: dict[str, list[str]] = {}
    for line in section(DEPLOY_MD.read_text(encoding="utf-8"), "Configuration").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        match = re.fullmatch(r"`([A-Z][A-Z0-9_]*)`", cells[0]) if line.startswith("|") else None
        if match:
            assert match.group(1) not in rows, f"{match.group(1)} is in the table twice"
            rows[match.group(1)] = cells[1:]
    return rows


# -- settings ---------------------------------------------------------------------------------


def test_the_configuration_table_is_exactly_the_settings() -> None:
    documented, known = set(config_table()), set(env_names())
    assert not documented - known, f"documented but not in bot/config.py: {documented - known}"
    assert not known - documented, f"settings missing from docs/deploy.md: {known - documented}"


def _shown(default: object) -> str | None:
    if isinstance(default, SecretStr):
        default = default.get_secret_value()
    if default is None or default == ():
        return None
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return str(default)


def test_defaults_and_secrets_in_the_table_match_the_code() -> None:
    rows, names = config_table(), env_names()
    for var, (default_cell, secret_cell, *_) in rows.items():
        field = Settings.model_fields[names[var]]
        shown = _shown(field.default)
        if shown is None:
            assert default_cell.split()[0] in ("none", "Telegram's"), (var, default_cell)
        else:
            assert f"`{shown}`" in default_cell, f"{var}: default is {shown}, doc: {default_cell}"
        if field.annotation is not None and SecretStr in getattr(
            field.annotation, "__args__", (field.annotation,)
        ):
            assert secret_cell.startswith("yes"), f"{var} is a SecretStr: mark it secret"
    assert rows["DATABASE_URL"][1].startswith("yes"), "the database URL carries the password"


def test_the_app_reads_no_env_file_as_the_doc_says() -> None:
    assert Settings.model_config.get("env_file") is None
    assert "does **not** read a `.env` file itself" in DEPLOY_MD.read_text(encoding="utf-8")


def _env_example() -> dict[str, str]:
    found = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"#?([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    names, known = set(_env_example()), set(env_names())
    assert not names - known - COMPOSE_ONLY, f"not settings: {names - known - COMPOSE_ONLY}"
    assert not known - INTERNAL - names, f"missing from env.example: {known - INTERNAL - names}"
    # values that are set must be valid (an empty token is not "unset": keep it commented)
    active = [ln for ln in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines() if "=" in ln]
    assert not [ln for ln in active if not ln.startswith("#") and ln.split("=")[0] in known]


# -- the systemd unit -------------------------------------------------------------------------


def unit() -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";")):
            key, _, value = line.partition("=")
            keys.setdefault(key.strip(), []).append(value.strip())
    return keys


def test_the_unit_runs_the_bot_with_its_environment_file_and_stops_it_gently() -> None:
    u = unit()
    assert u["EnvironmentFile"] == ["/etc/hoofdzaak/env"]
    assert u["ExecStart"][0].split()[0].endswith("/.venv/bin/hoofdzaak")
    assert u["ExecStart"][0].split()[1:] == ["run"]
    assert u["User"] != ["root"] and u["Restart"] == ["on-failure"]
    assert u["KillSignal"] == ["SIGTERM"]
    # the sender waits up to 10 s for its loop and 10 s for the sends in flight
    assert int(u["TimeoutStopSec"][0]) >= 30
    assert u["WorkingDirectory"][0] in " ".join(u["ReadWritePaths"])
    for setting in ("NoNewPrivileges", "PrivateTmp", "ProtectHome"):
        assert u[setting] == ["yes"], setting
    assert u["ProtectSystem"] == ["strict"]
    for assignment in u.get("Environment", []):
        for name in re.findall(r"([A-Z][A-Z0-9_]*)=", assignment):
            assert name in env_names(), f"the unit sets {name}, which is not a setting"


# -- Dockerfile and compose -------------------------------------------------------------------


def dockerfile() -> list[str]:
    """Instructions, one per entry, continuation lines joined."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def instruction(name: str) -> list[str]:
    return [ln.split(None, 1)[1] for ln in dockerfile() if ln.split(None, 1)[0] == name]


def test_the_image_healthcheck_asks_the_webservers_health_route() -> None:
    (healthcheck,) = instruction("HEALTHCHECK")
    command = json.loads(healthcheck[healthcheck.index("CMD") + 3 :].strip())
    assert command[:2] == ["python", "-c"]
    code = command[2]
    compile(code, "HEALTHCHECK", "exec")
    assert re.findall(r"'(/[a-z]+)'", code) == [HEALTH_PATH]
    assert "urllib.request" in code and "curl" not in code
    used = set(re.findall(r"os\.environ\.get\('([A-Z_]+)'", code))
    assert used and used <= set(env_names())
    (port_default,) = re.findall(r"'WEBHOOK_PORT', '(\d+)'", code)
    assert int(port_default) == Settings.model_fields["webhook_port"].default
    assert instruction("EXPOSE") == [port_default]


def test_the_image_runs_hoofdzaak_run_as_a_user_with_known_settings() -> None:
    assert instruction("FROM")[-1] == "python:3.11-slim"
    assert json.loads(instruction("ENTRYPOINT")[0]) == ["hoofdzaak"]
    assert json.loads(instruction("CMD")[0]) == ["run"]
    assert instruction("USER") and instruction("USER")[-1] != "root"
    for env in instruction("ENV"):
        for name in re.findall(r"([A-Z][A-Z0-9_]*)=", env):
            assert name in env_names() or name in PYTHON_ENV, f"ENV {name} is not a setting"
    for run in instruction("RUN"):
        for mention in re.findall(r"(?:^|&&\s*)hoofdzaak ([a-z -]+)", run):
            resolve(mention.split())


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_compose_has_the_bot_and_a_healthy_postgres() -> None:
    data = compose()
    services = data["services"]
    assert {"bot", "db"} <= set(services)
    bot, db = services["bot"], services["db"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in data["volumes"], "the database lives in a named volume"
    assert bot["env_file"] in (".env", [".env"])
    assert int(str(bot["stop_grace_period"]).removesuffix("s")) >= 30


def test_compose_sets_only_settings_and_hard_codes_no_secret() -> None:
    services = compose()["services"]
    bot, db = services["bot"], services["db"]
    names = env_names()
    for var in bot["environment"]:
        assert var in names, f"compose sets {var} for the bot, which is not a setting"
        secret = names[var] in ("telegram_bot_token", "webhook_secret")
        assert not secret, f"{var} belongs in .env, not in compose.yaml"
    assert "${POSTGRES_PASSWORD" in bot["environment"]["DATABASE_URL"]
    assert str(db["environment"]["POSTGRES_PASSWORD"]).startswith("${POSTGRES_PASSWORD")


# -- commands named in the docs ---------------------------------------------------------------

# `hoofdzaak` (or the doc's `hz` wrapper) as a command, not inside a path, a URL, a file name
# or as the value of an option such as `sudo -u hoofdzaak`.
MENTION = re.compile(r"(?:(?<=bin/)|(?<![\w./@:=-]))(hoofdzaak|hz)(?![\w./:-])")
OPTION_BEFORE = re.compile(r"(?:^|\s)-{1,2}[\w-]+\s+$")


def resolve(words: list[str]) -> str:
    """Walk the click tree; raise AssertionError for a command that does not exist."""
    command: click.Command = cli_main
    path: list[str] = []
    for word in words:
        if not isinstance(command, click.Group):
            break  # an argument of a command
        sub = command.commands.get(word)
        if sub is None:
            assert path, f"hoofdzaak {word}: no such command"
            assert command.invoke_without_command, (
                f"hoofdzaak {' '.join([*path, word])}: no such command"
            )
            break
        command, path = sub, [*path, word]
    return " ".join(path)


def mentioned_commands(text: str) -> dict[str, str]:
    """Every command the text runs → the line it is on."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        for match in MENTION.finditer(line):
            if OPTION_BEFORE.search(line[: match.start()]):
                continue
            rest = re.split(r"[`'\"|)]", line[match.end() :])[0]
            words = []
            for word in rest.split():
                if not re.fullmatch(r"[a-z][a-z-]*", word):
                    break
                words.append(word)
            if words:
                try:
                    found[resolve(words)] = line
                except AssertionError as exc:
                    raise AssertionError(f"{exc}\n  in: {line.strip()}") from None
    return found


def test_every_command_in_deploy_md_exists() -> None:
    found = mentioned_commands(DEPLOY_MD.read_text(encoding="utf-8"))
    expected = {"run", "db upgrade", "db backup", "db retention", "users forget", "stats"}
    assert expected <= set(found), f"the parser lost track: {expected - set(found)}"


def test_the_command_check_can_fail() -> None:
    with pytest.raises(AssertionError, match="no such command"):
        mentioned_commands("run `hoofdzaak db restore FILE` first")
    with pytest.raises(AssertionError, match="no such command"):
        mentioned_commands("    /opt/x/.venv/bin/hoofdzaak serve --port 1")
    assert mentioned_commands("sudo -u hoofdzaak sh -c 'x' and /etc/hoofdzaak/env") == {}


# -- what the installed package (the image) needs at run time ---------------------------------


def test_package_data_holds_what_the_bot_loads_at_run_time() -> None:
    """The image installs a wheel, not the checkout: the knowledge base, the templates and the
    migrations must be package data (docs/deploy.md says nothing outside it is read)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = config["tool"]["setuptools"]["package-data"]
    packed = {
        path
        for package, patterns in package_data.items()
        for pattern in patterns
        for path in (ROOT / package).glob(pattern)
    }
    needed = [
        *(ROOT / "knowledge").rglob("*.yaml"),
        ROOT / "knowledge" / "calibration.json",
        ROOT / "knowledge" / "classifier.npz",
        *(p for p in (ROOT / "bot" / "templates").rglob("*") if p.is_file()),
        *(ROOT / "bot" / "storage" / "migrations").rglob("*.py"),
    ]
    missing = sorted(str(p.relative_to(ROOT)) for p in needed if p not in packed)
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"
