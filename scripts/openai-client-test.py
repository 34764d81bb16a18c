#!/usr/bin/env python3
"""The official OpenAI Python client against `bitnet serve` (issue "Serving at scale", item 5).

Starts `bitnet serve --pooling mean` on a free loopback port with the default model (SmolLM2-135M-Instruct) and
checks, through `openai.OpenAI(base_url=…)`: a chat completion and its stream (same greedy text), JSON mode
(`response_format={"type": "json_object"}`, plain and streamed: the text parses as a JSON object), a text
completion, embeddings (the client's default base64 encoding and floats: unit vectors of the model's width), the
model list, a JSON schema (a Pydantic model through `chat.completions.parse`, and streamed), a tool-call round trip
(`tools` → `message.tool_calls`, streamed as `delta.tool_calls`, the result sent back as a `tool` message), and that a
schema keyword the server cannot enforce gets `openai.BadRequestError`. Prints one line per check; exit 1 on the
first failure. Run through scripts/openai-client-test.sh (which provides the pinned client).
"""
import base64, datetime, json, math, struct, subprocess, sys, time

import openai
import pydantic

from lib.serve import free_port, stop

class Cat(pydantic.BaseModel):
    name: str
    age: int = pydantic.Field(ge=0, le=30)  # "minimum"/"maximum": enforced by the grammar, validated by pydantic
    indoor: bool
    born: datetime.date  # a "format": "date" string

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
                   "additionalProperties": False}}}


def check(name, condition, detail=""):
    print(f"[openai-client] {'ok  ' if condition else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)
    if not condition:
        raise SystemExit(1)

def main():
    bitnet = sys.argv[1] if len(sys.argv) > 1 else ".build/release/bitnet"
    port = free_port()
    server = subprocess.Popen([bitnet, "serve", "--host", "127.0.0.1", "--port", str(port), "--threads", "2",
                               "--ctx", "1024", "--pooling", "mean", "--parallel", "2"], stderr=subprocess.DEVNULL)
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused", max_retries=0, timeout=120)
        for _ in range(600):
            try:
                client.models.list()
                break
            except (openai.APIConnectionError, openai.APIStatusError):
                time.sleep(0.1)
        models = [m.id for m in client.models.list().data]
        check("models.list", len(models) == 1, str(models))
        model = models[0]

        messages = [{"role": "user", "content": "What is the capital of France?"}]
        reply = client.chat.completions.create(model=model, messages=messages, temperature=0, max_tokens=24)
        text = reply.choices[0].message.content
        check("chat.completions", bool(text) and reply.usage.completion_tokens > 0, repr(text))
        pieces = [c.choices[0].delta.content or "" for c in
                  client.chat.completions.create(model=model, messages=messages, temperature=0, max_tokens=24,
                                                 stream=True) if c.choices]
        check("chat.completions stream = non-stream", "".join(pieces) == text)

        ask = [{"role": "user", "content": "Give me a JSON object describing a cat with name and age."}]
        fmt = {"type": "json_object"}
        reply = client.chat.completions.create(model=model, messages=ask, temperature=0, max_tokens=160, response_format=fmt)
        content = reply.choices[0].message.content
        parsed = json.loads(content)
        check("JSON mode", isinstance(parsed, dict) and reply.choices[0].finish_reason == "stop", content[:60])
        streamed = "".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(
            model=model, messages=ask, temperature=0, max_tokens=160, response_format=fmt, stream=True) if c.choices)
        check("JSON mode stream", isinstance(json.loads(streamed), dict) and streamed == content)
        # A JSON schema from a Pydantic model (strict: every field required, no others), parsed by the client.
        parsed = client.chat.completions.parse(model=model, messages=ask, temperature=0, max_tokens=160, response_format=Cat)
        cat = parsed.choices[0].message.parsed
        check("json_schema (pydantic parse)", isinstance(cat, Cat), repr(cat))
        schema_format = {"type": "json_schema", "json_schema": {"name": "cat", "strict": True,
                                                                  "schema": Cat.model_json_schema()}}
        streamed = "".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(
            model=model, messages=ask, temperature=0, max_tokens=160, response_format=schema_format, stream=True) if c.choices)
        check("json_schema stream", Cat.model_validate_json(streamed) == cat, streamed[:60])
        try:
            client.chat.completions.create(model=model, messages=ask, response_format={
                "type": "json_schema", "json_schema": {"name": "cat", "schema": {
                    "type": "object", "properties": {"born": {"type": "string", "format": "email"}}}}})
            check("unsupported schema keyword refused", False, "no error")
        except openai.BadRequestError as e:
            check("unsupported schema keyword refused with 400", "format" in str(e) and "$.properties.born" in str(e))

        # Tools: a required call, streamed and not, then the result back as a tool message.
        question = [{"role": "user", "content": "What is the weather in Paris?"}]
        reply = client.chat.completions.create(model=model, messages=question, tools=[WEATHER], tool_choice="required",
                                               temperature=0, max_tokens=60)
        calls = reply.choices[0].message.tool_calls or []
        args = json.loads(calls[0].function.arguments) if calls else {}
        check("tool call", reply.choices[0].finish_reason == "tool_calls" and len(calls) == 1
              and calls[0].function.name == "get_weather" and isinstance(args.get("city"), str), str(args))
        chunks = [c for c in client.chat.completions.create(model=model, messages=question, tools=[WEATHER],
                                                            tool_choice="required", temperature=0, max_tokens=60,
                                                            stream=True) if c.choices]
        deltas = [tc for c in chunks for tc in (c.choices[0].delta.tool_calls or [])]
        check("tool call stream", len(deltas) == 1 and deltas[0].function.name == "get_weather"
              and deltas[0].function.arguments == calls[0].function.arguments
              and chunks[-1].choices[0].finish_reason == "tool_calls")
        history = question + [reply.choices[0].message.model_dump(exclude_none=True),
                              {"role": "tool", "tool_call_id": calls[0].id, "content": '{"temperature_c": 18}'}]
        follow = client.chat.completions.create(model=model, messages=history, tools=[WEATHER], temperature=0,
                                                max_tokens=80)
        message = follow.choices[0].message
        check("tool result round trip", follow.choices[0].finish_reason in ("stop", "tool_calls")
              and (bool(message.content) or bool(message.tool_calls)), repr(message.content or message.tool_calls)[:80])

        completion = client.completions.create(model=model, prompt="The three primary colors are", temperature=0,
                                               max_tokens=12)
        check("completions", bool(completion.choices[0].text), repr(completion.choices[0].text))

        decoded = {}
        for encoding in ["base64", "float"]:
            emb = client.embeddings.create(model=model, input=["Hello world", "Bonjour"], encoding_format=encoding)
            # An explicit "base64" comes back as the string (the client decodes only its own default request).
            vectors = [list(struct.unpack(f"<{len(base64.b64decode(d.embedding)) // 4}f", base64.b64decode(d.embedding)))
                       if isinstance(d.embedding, str) else d.embedding for d in emb.data]
            norms = [math.sqrt(sum(x * x for x in v)) for v in vectors]
            check(f"embeddings ({encoding})", len(vectors) == 2 and all(len(v) == len(vectors[0]) > 0 for v in vectors)
                  and all(abs(n - 1) < 1e-4 for n in norms), f"{len(vectors[0])} dims, norms {norms}")
            decoded[encoding] = vectors[0]
        # The client's own default (it asks for base64 and decodes): the F32 values exactly; the JSON floats are their
        # shortest decimal forms, so within an F32 rounding of them.
        default = client.embeddings.create(model=model, input="Hello world").data[0].embedding
        check("embeddings (client default) = base64 = floats", default == decoded["base64"]
              and max(abs(a - b) for a, b in zip(default, decoded["float"])) < 1e-6)
    finally:
        stop(server)

if __name__ == "__main__":
    main()
