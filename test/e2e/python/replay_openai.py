"""Replays client requests through the gateway with the official OpenAI Python SDK.

Reads a JSON list of cases on stdin: {name, kind: "responses" | "chat", headers, body}.
Each case's body is sent as the SDK sends it (the SDK's own methods, the stream helpers
for streams), and what the SDK made of the answer is printed, one JSON line per case:
  {name, ok: true, final: <the parsed object>, events: [<event types>], text: <output text>}
  {name, ok: false, status, code, error: <class name>, message}
A stream's `final` is what the SDK's stream helper accumulated (responses.stream's
get_final_response(), chat's completion from the chunks it saw).
usage: replay_openai.py BASE_URL
"""
import json
import sys

import openai
from openai import OpenAI
from replay_common import split_kwargs, wire

# What the SDK's stream helper adds of its own (structured-output parsing), not on the wire.
SDK_ONLY = {"parsed", "parsed_arguments"}


def sdk_json(obj):
    return wire(obj, SDK_ONLY)


def responses_case(client, body):
    if body.get("stream"):
        kwargs = split_kwargs(client.responses.stream, body)
        events = []
        with client.responses.stream(**kwargs) as stream:
            for event in stream:
                events.append(event.type)
            final = stream.get_final_response()
        return {"final": sdk_json(final), "events": events, "text": final.output_text}
    kwargs = split_kwargs(client.responses.create, body)
    resp = client.responses.create(**kwargs)
    return {"final": sdk_json(resp), "text": resp.output_text}


def chat_case(client, body):
    kwargs = split_kwargs(client.chat.completions.create, body)
    if body.get("stream"):
        text, calls, usage, finish, n = "", {}, None, None, 0
        for chunk in client.chat.completions.create(stream=True, **kwargs):
            n += 1
            if chunk.usage is not None:
                usage = chunk.usage.model_dump(mode="json", exclude_unset=True)
            for choice in chunk.choices:
                text += choice.delta.content or ""
                finish = choice.finish_reason or finish
                for tc in choice.delta.tool_calls or []:
                    call = calls.setdefault(tc.index, {"id": None, "name": "", "arguments": ""})
                    call["id"] = tc.id or call["id"]
                    if tc.function is not None:
                        call["name"] += tc.function.name or ""
                        call["arguments"] += tc.function.arguments or ""
        final = {"text": text, "tool_calls": [calls[i] for i in sorted(calls)], "usage": usage, "finish_reason": finish}
        return {"final": final, "events": n, "text": text}
    resp = client.chat.completions.create(**kwargs)
    return {"final": sdk_json(resp), "text": resp.choices[0].message.content if resp.choices else None}


def main() -> None:
    base_url = sys.argv[1]
    for case in json.load(sys.stdin):
        headers = dict(case.get("headers") or {})
        # The client's key is the SDK's api_key; the rest go as default headers.
        auth = headers.pop("authorization", "Bearer sk-client")
        client = OpenAI(base_url=base_url, api_key=auth.removeprefix("Bearer "), default_headers=headers, max_retries=0, timeout=20)
        run = responses_case if case["kind"] == "responses" else chat_case
        try:
            out = {"name": case["name"], "ok": True, **run(client, case["body"])}
        except openai.APIStatusError as e:
            body = e.body if isinstance(e.body, dict) else {}
            out = {"name": case["name"], "ok": False, "status": e.status_code, "code": body.get("code") or getattr(e, "code", None), "error": type(e).__name__, "message": str(e)[:300]}
        except Exception as e:  # the SDK refused the answer itself (a stream without its last event)
            out = {"name": case["name"], "ok": False, "status": None, "code": getattr(e, "code", None), "error": type(e).__name__, "message": str(e)[:300]}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
