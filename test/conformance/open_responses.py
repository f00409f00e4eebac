"""Checks Responses API answers against the Open Responses specification's own models.

The models are PyPI's `openresponses-types`, generated from the specification's OpenAPI
document. Reads a JSON list on stdin: {name, objects: [{label, kind, value}]}, where kind is
"response" (a response object) or "event" (one streamed event, its type naming its model).
Each value is validated strictly (no coercion: a null where a number is required fails).
Prints one JSON line per case: {name, checked, errors: ["label: field problem", ...]}.
"""
import enum
import json
import sys

import openresponses_types as spec
from pydantic import BaseModel, ValidationError


def event_models():
    """Every streamed event's model, by the `type` value it carries."""
    out = {}
    for name in dir(spec):
        model = getattr(spec, name)
        if isinstance(model, type) and issubclass(model, BaseModel) and name.endswith("StreamingEvent"):
            kind = model.model_fields["type"].annotation
            if isinstance(kind, type) and issubclass(kind, enum.Enum):
                for v in kind:
                    out[v.value] = model
    return out


def spec_json_schema_format(value):
    """openresponses-types 2.4.0 generates JsonSchemaResponseFormat.schema as null-only, where
    the specification means any JSON Schema object: the schema is checked to be an object here,
    and the rest of the format by the model."""
    fmt = (value.get("text") or {}).get("format") if isinstance(value, dict) else None
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        return value, []
    problems = [] if isinstance(fmt.get("schema"), dict) else ["text.format.schema is not a JSON Schema object"]
    return {**value, "text": {**value["text"], "format": {**fmt, "schema": None}}}, problems


def main() -> None:
    events = event_models()
    for case in json.load(sys.stdin):
        errors = []
        for obj in case["objects"]:
            value = obj["value"]
            model = spec.ResponseResource if obj["kind"] == "response" else events.get(value.get("type"))
            if model is None:
                errors.append(f"{obj['label']}: event type {value.get('type')!r} is not in the specification")
                continue
            if obj["kind"] == "response":
                value, problems = spec_json_schema_format(value)
            elif isinstance(value.get("response"), dict):
                inner, problems = spec_json_schema_format(value["response"])
                value = {**value, "response": inner}
            else:
                problems = []
            errors.extend(f"{obj['label']}: {p}" for p in problems)
            try:
                model.model_validate_json(json.dumps(value), strict=True)
            except ValidationError as e:
                for err in e.errors():
                    errors.append(f"{obj['label']}: {'.'.join(str(p) for p in err['loc'])} {err['msg']}")
        print(json.dumps({"name": case["name"], "checked": len(case["objects"]), "errors": errors}), flush=True)


if __name__ == "__main__":
    main()
