"""Replays Anthropic Messages requests through the gateway with the official Anthropic Python SDK.

Reads a JSON list of cases on stdin: {name, kind: "messages" | "count_tokens", headers, body}.
Each is sent with the SDK's own methods (messages.stream and its get_final_message() for a
stream), and what the SDK made of the answer is printed, one JSON line per case:
  {name, ok: true, final: <the parsed object>, events: [<event types>]}
  {name, ok: false, status, type, error: <class name>, message}
usage: replay_anthropic.py BASE_URL
"""
import inspect
import json
import sys

import anthropic
from anthropic import Anthropic

# What the SDK's helpers add of their own (parsed structured output), not on the wire.
SDK_ONLY = {"parsed_output"}
# What the stream helper sets on its message from message_delta even when the event has none.
SDK_NULLED = {"stop_details"}


def wire(obj):
    """A parsed object as the JSON it came from, without the SDK's own fields."""
    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k not in SDK_ONLY and not (k in SDK_NULLED and x is None)}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v
    return strip(obj.model_dump(mode="json", exclude_unset=True, by_alias=True))


def split_kwargs(method, body):
    """The SDK's own parameters as keywords, anything else as extra_body (as a user would)."""
    params = set(inspect.signature(method).parameters)
    known = {k: v for k, v in body.items() if k in params and k != "stream"}
    extra = {k: v for k, v in body.items() if k not in params and k != "stream"}
    if extra:
        known["extra_body"] = extra
    return known


def run(client, case):
    body = case["body"]
    if case["kind"] == "count_tokens":
        return {"final": wire(client.messages.count_tokens(**split_kwargs(client.messages.count_tokens, body)))}
    if body.get("stream"):
        events = []
        with client.messages.stream(**split_kwargs(client.messages.stream, body)) as stream:
            for event in stream:
                events.append(event.type)
            final = stream.get_final_message()
        return {"final": wire(final), "events": events}
    return {"final": wire(client.messages.create(**split_kwargs(client.messages.create, body)))}


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
