"""The README's compose file (sandbox + Redis) stays in step with the CLI: its command and variables are
settings `cartwright serve` takes, and the sandbox reaches the Redis service it starts."""
import re
import shlex

import yaml

from conftest import ROOT


def compose() -> dict:
    """The README's compose file (the yaml block after "A compose file")."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"A compose file.*?```yaml\n(.*?)```", text, re.S)
    assert block, "no compose file in the README"
    return yaml.safe_load(block.group(1))


def test_the_compose_file_serves_the_sandbox_on_its_redis(monkeypatch):
    """The sandbox service runs `cartwright serve` with flags and CARTWRIGHT_* variables the CLI reads, on the
    compose file's Redis service, with more than one worker, listening where its port is published."""
    from cartwright.sandbox._cli import FLAGS, refusal, settings_from
    from cartwright.sandbox._settings import ENV_PREFIX

    services = compose()["services"]
    sandbox, redis = services["sandbox"], services["redis"]
    command = sandbox["command"]
    serve = shlex.split(command[-1].split("exec ", 1)[1]) if command[0] == "sh" else command
    assert serve[:2] == ["cartwright", "serve"]
    variables = {k: str(v) for k, v in sandbox["environment"].items()}
    assert all(k.startswith(ENV_PREFIX) and k[len(ENV_PREFIX):].lower() in FLAGS for k in variables)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    settings = settings_from(serve[1:])   # as the container's command reads them: variables, then flags
    assert refusal(settings) is None
    assert settings.state.startswith("redis://redis:6379/") and redis["image"].startswith("redis:")
    assert settings.workers > 1 and settings.host == "0.0.0.0"
    assert sandbox["ports"] == [f"{settings.port}:{settings.port}"]
    assert sandbox["depends_on"]["redis"]["condition"] == "service_healthy" and "healthcheck" in redis
