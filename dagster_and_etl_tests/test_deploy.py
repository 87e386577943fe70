"""Lesson 10's deploy/ folder: the Docker Compose file and workspace.yaml line up.

Docker does not run here. These checks read the files as Compose and Dagster
would, and check that the names agree with each other and with the code.
"""

from __future__ import annotations

import re
import shlex

import pytest
import yaml

from dagster_and_etl.course import locations, settings

DEPLOY = settings.PROJECT_ROOT / "deploy"
INSTANCE_YAML = locations.PACKAGE_DIR / "lesson_10" / "defs" / "dagster.yaml"
DAGSTER_SERVICES = {"webserver", "daemon"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def workspace() -> list[dict]:
    loaded = yaml.safe_load((DEPLOY / "workspace.yaml").read_text(encoding="utf-8"))
    return [entry["grpc_server"] for entry in loaded["load_from"]]


def command(service: dict) -> list[str]:
    value = service.get("command", [])
    return value if isinstance(value, list) else shlex.split(value)


def option(args: list[str], *names: str) -> str:
    for index, arg in enumerate(args):
        if arg in names:
            return args[index + 1]
    raise AssertionError(f"{' '.join(args)} has no {' or '.join(names)}")


def code_servers(compose: dict) -> dict[str, dict]:
    return {
        name: service
        for name, service in compose["services"].items()
        if command(service)[:3] == ["dagster", "code-server", "start"]
    }


def test_the_services_are_postgres_code_servers_webserver_and_daemon(compose):
    services = compose["services"]
    assert {"postgres", *DAGSTER_SERVICES} <= set(services)
    assert code_servers(compose), "no service runs `dagster code-server start`"
    assert services["postgres"]["image"].startswith("postgres:")
    assert command(services["webserver"])[0] == "dagster-webserver"
    assert command(services["daemon"])[:2] == ["dagster-daemon", "run"]
    for name, service in services.items():
        for needed in service.get("depends_on", {}):
            assert needed in services, f"{name} depends on {needed}, which is not a service"


def test_the_workspace_names_each_code_server_by_service_port_and_location(compose, workspace):
    servers = code_servers(compose)
    assert {entry["host"] for entry in workspace} == set(servers)
    for entry in workspace:
        args = command(servers[entry["host"]])
        assert int(option(args, "-p", "--port")) == entry["port"]
        assert option(args, "-h", "--host") == "0.0.0.0"
        assert option(args, "--location-name") == entry["location_name"]
        module = option(args, "-m", "--module-name")
        lesson = int(re.fullmatch(r"dagster_and_etl\.lesson_(\d+)\.definitions", module)[1])
        assert entry["location_name"] == locations.location_name(lesson, solution=True)
        assert module == locations.location_module(lesson, solution=True)


def test_webserver_and_daemon_load_the_deploy_workspace(compose):
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    workdir = re.search(r"^WORKDIR (\S+)", dockerfile, re.M)[1]
    for name in DAGSTER_SERVICES:
        assert option(command(compose["services"][name]), "-w", "--workspace") == (
            f"{workdir}/deploy/workspace.yaml"
        )


def env_references(text: str) -> set[str]:
    """`{env: NAME}` in Dagster's YAML."""
    return set(re.findall(r"\{env:\s*([A-Z0-9_]+)\s*\}", text))


def test_every_dagster_process_gets_the_instances_credentials(compose):
    """The instance settings every process reads (lesson 10's dagster.yaml, copied by the
    Dockerfile) name variables that each Dagster service sets."""
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert INSTANCE_YAML.relative_to(settings.PROJECT_ROOT).as_posix() in dockerfile
    needed = env_references(INSTANCE_YAML.read_text(encoding="utf-8"))
    assert needed, "dagster.yaml takes no credentials from the environment"
    for name in [*DAGSTER_SERVICES, *code_servers(compose)]:
        environment = compose["services"][name]["environment"]
        assert needed <= set(environment), f"{name} lacks {needed - set(environment)}"
        assert environment["POSTGRES_HOST"] == "postgres"


def test_compose_variables_are_documented_in_env_example(compose):
    text = (DEPLOY / "docker-compose.yaml").read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    assert used, "the Compose file takes no settings from the environment"
    assert used <= set(settings.env_example_defaults()), used - set(settings.env_example_defaults())
    postgres = compose["services"]["postgres"]["environment"]
    assert "DAGSTER_POSTGRES_DB" in postgres["POSTGRES_DB"]


def test_volumes_are_declared_and_the_code_servers_share_the_warehouse(compose):
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name} mounts {source}, which is not declared"
    for name, service in code_servers(compose).items():
        database = service["environment"]["DUCKDB_DATABASE"]
        mounts = [v.split(":")[1] for v in service["volumes"]]
        assert any(database.startswith(m + "/") for m in mounts), (
            f"{name} writes DuckDB to {database}, outside its volumes"
        )
    assert compose["services"]["postgres"].get("volumes"), "Postgres keeps its data nowhere"


def test_the_instance_yaml_is_valid_dagster_config():
    config = yaml.safe_load(INSTANCE_YAML.read_text(encoding="utf-8"))
    from dagster._config import validate_config
    from dagster._core.instance.config import dagster_instance_config_schema

    result = validate_config(dagster_instance_config_schema(), config)
    assert result.success, [e.message for e in result.errors]
