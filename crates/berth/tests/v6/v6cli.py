#!/usr/bin/env python3
"""Runs the official vantage6 CLI (`v6`, vantage6==4.15.2) for Berth's conformance tests.

The test machine has /.dockerenv, which makes the CLI believe it runs inside a node container
and use /mnt/config, /mnt/data, /mnt/log as its folders. This wrapper makes
`running_in_docker()` answer False (in `vantage6.common.docker.addons` and under the name
`vantage6.common.context` imported), then hands over to the CLI's own entry point.

Two helper commands use the CLI's own Python classes instead of its prompts:

  v6cli.py write-config NAME (--user|--system)   < config.json
      writes the configuration as `v6 node new` does (NodeConfigurationManager.put + save);
  v6cli.py load-config NAME (--user|--system)
      loads it as `v6 node start` does (NodeContext) and prints the config and folders as JSON.
"""
import json
import re
import sys

import vantage6.common.docker.addons as addons

addons.running_in_docker = lambda: False

import vantage6.common.context as context  # noqa: E402

context.running_in_docker = lambda: False


def _folders(name, system):
    from vantage6.common.context import AppContext
    from vantage6.common.globals import InstanceType

    return AppContext.instance_folders(InstanceType.NODE, name, system)


def write_config(name, system):
    from pathlib import Path

    from vantage6.cli.configuration_manager import NodeConfigurationManager

    config = json.load(sys.stdin)
    path = Path(_folders(name, system)["config"]) / f"{name}.yaml"
    manager = NodeConfigurationManager(name)
    manager.put(config)
    manager.save(path)
    print(path)


def load_config(name, system):
    from vantage6.cli.context.node import NodeContext

    NodeContext.LOGGING_ENABLED = False
    ctx = NodeContext(name, system, print_log_header=False)
    print(
        json.dumps(
            {
                "config": ctx.config,
                "config_file": str(ctx.config_file),
                "data_dir": str(ctx.data_dir),
                "log_dir": str(ctx.log_dir),
                "container_name": ctx.docker_container_name,
            },
            default=str,
        )
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] in ("write-config", "load-config"):
        system = sys.argv[3] == "--system"
        {"write-config": write_config, "load-config": load_config}[sys.argv[1]](
            sys.argv[2], system
        )
        sys.exit(0)
    from vantage6.cli.cli import cli_complete

    sys.argv[0] = re.sub(r"(-script\.pyw|\.exe)?$", "", sys.argv[0])
    sys.exit(cli_complete())
