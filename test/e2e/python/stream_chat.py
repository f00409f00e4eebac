"""Streams chat completions through the gateway with the official OpenAI Python SDK.

The SDK stops reading at `data: [DONE]` and closes the response: the gateway must have
counted the stream by then. Prints one JSON object per stream: its text and chunk count.
usage: stream_chat.py BASE_URL MODEL COUNT [HEADER=VALUE ...]
"""
import json
import sys

from openai import OpenAI


def main() -> None:
    base_url, model, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    headers = dict(h.split("=", 1) for h in sys.argv[4:])
    client = OpenAI(base_url=base_url, api_key="sk-client-unused", default_headers=headers, max_retries=0)
    for i in range(count):
        stream = client.chat.completions.create(
            model=model,
            stream=True,
            messages=[{"role": "user", "content": f"Say hello, stream {i}"}],
        )
        text, chunks = "", 0
        for chunk in stream:
            chunks += 1
            for choice in chunk.choices:
                text += choice.delta.content or ""
        print(json.dumps({"text": text, "chunks": chunks}), flush=True)


if __name__ == "__main__":
    main()
