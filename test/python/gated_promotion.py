"""MLflow's Python client moving aliases on Cairn servers that enforce gates.

Usage: gated_promotion.py <json>, where json is {"servers": [url, ...], "model": name,
"failing": version, "passing": version}. For each server: set the gated alias `champion` to the
failing version (refused), then to the passing one (allowed), and read it back. Prints one JSON
object: {url: {"refused": {"error_code", "message"}, "champion": version}}.
"""

import json
import sys

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException


def main() -> None:
    args = json.loads(sys.argv[1])
    out = {}
    for url in args["servers"]:
        client = MlflowClient(tracking_uri=url, registry_uri=url)
        refused = None
        try:
            client.set_registered_model_alias(args["model"], "champion", args["failing"])
        except MlflowException as e:
            refused = {"error_code": e.error_code, "message": e.message}
        client.set_registered_model_alias(args["model"], "champion", args["passing"])
        champion = client.get_model_version_by_alias(args["model"], "champion").version
        out[url] = {"refused": refused, "champion": champion}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
