"""Replays Anthropic Messages requests through the gateway with the official Anthropic Python SDK.

Reads a JSON list of cases on stdin: {name, kind: "messages" | "count_tokens", headers, body}.
Each is sent with the SDK's own methods (messages.stream and its get_final_message() for a
stream), and what the SDK made of the answer is printed, one JSON line per case:
  {name, ok: true, final: <the parsed object>, events: [<event types>]}
  {name, ok: false, status, type, error: <class name>, message}
usage: replay_anthropic.py BASE_URL
"""
import json
import sys

import anthropic
from anthropic import Anthropic
from replay_common import split_kwargs, wire

# What the SDK's helpers add of their own (parsed structured output), not on the wire.
SDK_ONLY = {"parsed_output"}
# What the stream helper sets on its message from message_delta even when the event has none.
SDK_NULLED = {"stop_details"}


def sdk_json(obj):
    return wire(obj, SDK_ONLY, SDK_NULLED)


def run(client, case):
    body = case["body"]
    if case["kind"] == "count_tokens":
        return {"final": sdk_json(client.messages.count_tokens(**split_kwargs(client.messages.count_tokens, body)))}
    if body.get("stream"):
        events = []
        with client.messages.stream(**split_kwargs(client.messages.stream, body)) as stream:
            for event in stream:
                events.append(event.type)
            final = stream.get_final_message()
        return {"final": sdk_json(final), "events": events}
    return {"final": sdk_json(client.messages.create(**split_kwargs(client.messages.create, body)))}


def main() -> None:
    base_url = sys.argv[1]
    for case in json.load(sys.stdin):
        headers = {k.lower(): v for k, v in (case.get("headers") or {}).items()}
        # The client's credential goes the SDK's way (x-api-key, or a bearer token); the rest as headers.
        key = headers.pop("x-api-key", None)
        bearer = headers.pop("authorization", "").removeprefix("Bearer ") or None
        headers.pop("anthropic-version", None)  # the SDK sends its own
        if not key and not bearer:
            key = "sk-ant-client"  # a client the gateway holds the key for still sends one
        client = Anthropic(base_url=base_url, api_key=key if key or not bearer else None, auth_token=bearer if not key else None, default_headers=headers, max_retries=0, timeout=20)
        try:
            out = {"name": case["name"], "ok": True, **run(client, case)}
        except anthropic.APIStatusError as e:
            err = e.body.get("error", {}) if isinstance(e.body, dict) else {}
            out = {"name": case["name"], "ok": False, "status": e.status_code, "type": err.get("type"), "error": type(e).__name__, "message": str(e)[:300]}
        except Exception as e:  # the SDK refused the answer itself (a stream cut short, an error event)
            out = {"name": case["name"], "ok": False, "status": None, "type": None, "error": type(e).__name__, "message": str(e)[:300]}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
