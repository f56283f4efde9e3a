"""Real clients against `cairn serve`: the Triton / KServe V2 HTTP client (tritonclient[http]),
MLflow's deployments client and plain `requests` calls shaped as MLflow documents its scoring
protocol. The reference answers come from MLflow itself: mlflow.pyfunc loads the same package
and predicts the same rows. Prints one JSON object for the Node test to check.

usage: serving_clients.py <server url> <package dir>
"""
import json
import math
import sys

import numpy as np
import pandas as pd
import requests
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

import mlflow.pyfunc
from mlflow.deployments import get_deploy_client

url, package = sys.argv[1], sys.argv[2]
host = url.split("//", 1)[1]
out = {}

rows = pd.DataFrame(
    {
        "x1": [1.25, np.nan, -3.5, 4.0],
        "x2": [0.5, 2.0, 3.75, 1.0],
        "color": ["red", "green", None, "blue"],
    }
)
rows["color"] = rows["color"].astype(object)
reference = mlflow.pyfunc.load_model(package).predict(rows)
out["reference"] = {
    "label": [str(v) for v in reference["label"]],
    "probability": [float(v) for v in reference["probability"]],
}

client = triton.InferenceServerClient(url=host)
out["live"] = client.is_server_live()
out["ready"] = client.is_server_ready()
out["server_metadata"] = client.get_server_metadata()
out["model_metadata"] = client.get_model_metadata("income")
out["model_ready"] = client.is_model_ready("income")
version = out["model_metadata"]["versions"][0]
out["version_ready"] = client.is_model_ready("income", model_version=version)
out["missing_ready"] = client.is_model_ready("nope")


def triton_inputs(binary, x2_type):
    x1 = triton.InferInput("x1", [4], "FP64")
    x1.set_data_from_numpy(rows["x1"].to_numpy(dtype=np.float64), binary_data=binary)
    x2 = triton.InferInput("x2", [4, 1], x2_type)
    x2.set_data_from_numpy(
        rows["x2"].to_numpy().astype(np.float32 if x2_type == "FP32" else np.float64).reshape(4, 1),
        binary_data=binary,
    )
    color = triton.InferInput("color", [4], "BYTES")
    color.set_data_from_numpy(
        np.array([c if c is not None else "" for c in rows["color"]], dtype=object), binary_data=binary
    )
    return [x1, x2, color]


def answer(result):
    return {
        "label": [v.decode() if isinstance(v, bytes) else str(v) for v in result.as_numpy("label").tolist()],
        "probability": [float(v) for v in result.as_numpy("probability").tolist()],
        "response": {k: v for k, v in result.get_response().items() if k != "outputs"},
    }


# Binary tensor data both ways (the client's default), FP64 and FP64 [N, 1] inputs.
out["triton_binary"] = answer(client.infer("income", triton_inputs(True, "FP64"), request_id="tri-1"))
# JSON both ways, with an FP32 input and a version in the URL.
outputs = [triton.InferRequestedOutput("label", binary_data=False), triton.InferRequestedOutput("probability", binary_data=False)]
out["triton_json"] = answer(
    client.infer("income", triton_inputs(False, "FP32"), model_version=version, outputs=outputs)
)
try:
    client.infer("income", triton_inputs(False, "FP64")[:2])
    out["triton_error"] = None
except InferenceServerException as err:
    out["triton_error"] = err.message()

deploy = get_deploy_client(url)
split = json.loads(rows.to_json(orient="split", index=False))
out["deployments"] = deploy.predict(endpoint="income", inputs={"dataframe_split": split})
# Python's json.dumps writes NaN as a bare NaN token, as pandas-minded clients send it.
records = rows.replace({np.nan: None}).to_dict(orient="records")
records[1]["x1"] = float("nan")
out["requests_records"] = requests.post(
    f"{url}/invocations",
    data=json.dumps({"dataframe_records": records}),
    headers={"Content-Type": "application/json"},
).json()
out["requests_csv"] = requests.post(
    f"{url}/invocations", data=rows.to_csv(index=False), headers={"Content-Type": "text/csv"}
).json()
bad = requests.post(f"{url}/invocations", json={"dataframe_records": [{"x1": 1.0, "x2": "many", "color": "red"}]})
out["requests_error"] = {"status": bad.status_code, "body": bad.json()}

print(json.dumps(out, default=lambda v: None if isinstance(v, float) and math.isnan(v) else str(v)))
