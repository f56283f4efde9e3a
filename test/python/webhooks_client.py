"""MLflow's Python client managing webhooks on a Cairn server, with a receiver that checks each
delivery's signature the way MLflow's webhook documentation does it.

Run with MLFLOW_TRACKING_URI set; prints one JSON object that test/compat/mlflow-webhooks.test.ts
checks.
"""

import base64
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

SECRET = "webhook-secret-for-tests"
MAX_TIMESTAMP_AGE = 300
received = []


def verify_mlflow_signature(payload: str, signature: str, secret: str, delivery_id: str, timestamp: str) -> bool:
    # As MLflow documents it: the signed content is "<delivery id>.<timestamp>.<payload>",
    # HMAC-SHA256 with the secret, base64, prefixed with "v1,"; compared in constant time.
    if not signature.startswith("v1,"):
        return False
    signed_content = f"{delivery_id}.{timestamp}.{payload}"
    expected = base64.b64encode(
        hmac.new(secret.encode("utf-8"), signed_content.encode("utf-8"), hashlib.sha256).digest()
    ).decode("utf-8")
    return hmac.compare_digest(signature.removeprefix("v1,"), expected)


def fresh(timestamp: str) -> bool:
    return abs(int(time.time()) - int(timestamp)) <= MAX_TIMESTAMP_AGE


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        raw = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
        signature = self.headers.get("X-MLflow-Signature", "")
        delivery_id = self.headers.get("X-MLflow-Delivery-Id", "")
        timestamp = self.headers.get("X-MLflow-Timestamp", "0")
        body = json.loads(raw)
        received.append(
            {
                "event": f"{body['entity']}.{body['action']}",
                "data": body["data"],
                "has_time": isinstance(body.get("timestamp"), str),
                "signature_ok": verify_mlflow_signature(raw, signature, SECRET, delivery_id, timestamp),
                "wrong_secret_ok": verify_mlflow_signature(raw, signature, "other", delivery_id, timestamp),
                "fresh": fresh(timestamp),
                "delivery_id": delivery_id,
            }
        )
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def error_code(fn):
    try:
        fn()
    except MlflowException as e:
        return e.error_code
    return None


def wait_for(n: int) -> None:
    deadline = time.time() + 20
    while len(received) < n and time.time() < deadline:
        time.sleep(0.05)


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    client = MlflowClient()

    hook = client.create_webhook(
        name="registry-events",
        url=url,
        events=[
            "registered_model.created",
            "model_version.created",
            "model_version_tag.set",
            "model_version_tag.deleted",
            "model_version_alias.created",
            "model_version_alias.deleted",
        ],
        description="CI",
        secret=SECRET,
    )
    other = client.create_webhook(name="disabled-one", url=url, events=["model_version.created"], status="DISABLED")
    listed = client.list_webhooks()
    page = client.list_webhooks(max_results=1)
    got = client.get_webhook(hook.webhook_id)
    updated = client.update_webhook(hook.webhook_id, description="CI and CD")
    test = client.test_webhook(hook.webhook_id)
    wait_for(1)
    test_delivery = received[0] if received else None
    received.clear()

    mlflow.set_experiment("webhooks")
    with mlflow.start_run() as run:
        mlflow.log_text("flavors: {}\n", "model/MLmodel")
    client.create_registered_model("wh-model", tags={"team": "ml"}, description="hooked")
    version = client.create_model_version("wh-model", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    client.set_model_version_tag("wh-model", version.version, "reviewed", "yes")
    client.delete_model_version_tag("wh-model", version.version, "reviewed")
    client.set_registered_model_alias("wh-model", "champion", version.version)
    client.delete_registered_model_alias("wh-model", "champion")
    wait_for(6)
    time.sleep(0.3)

    errors = {
        "bad_name": error_code(lambda: client.create_webhook(name="-bad-", url=url, events=["model_version.created"])),
        "missing": error_code(lambda: client.get_webhook("no-such-webhook")),
    }
    client.delete_webhook(other.webhook_id)
    after_delete = [w.name for w in client.list_webhooks()]
    deleted = error_code(lambda: client.get_webhook(other.webhook_id))
    server.shutdown()

    json.dump(
        {
            "created": {
                "name": hook.name,
                "url": hook.url,
                "status": str(hook.status),
                "description": hook.description,
                "events": sorted(str(e) for e in hook.events),
            },
            "other_status": str(other.status),
            "listed": sorted(w.name for w in listed),
            "page": {"count": len(page), "has_token": bool(page.token)},
            "got_id": got.webhook_id == hook.webhook_id,
            "updated_description": updated.description,
            "updated_later": updated.last_updated_timestamp >= hook.last_updated_timestamp,
            "test": {
                "success": test.success,
                "status": test.response_status,
                "body": test.response_body,
            },
            "test_delivery": test_delivery,
            "deliveries": received,
            "errors": errors,
            "after_delete": after_delete,
            "deleted": deleted,
            "webhook_id": hook.webhook_id,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
