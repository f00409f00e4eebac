"""What both SDK replay scripts need: a fixture body as the SDK's keywords, and a parsed object as its JSON."""
import inspect


def split_kwargs(method, body):
    """The SDK's own parameters as keywords, anything else as extra_body (as a user would)."""
    params = set(inspect.signature(method).parameters)
    known = {k: v for k, v in body.items() if k in params and k != "stream"}
    extra = {k: v for k, v in body.items() if k not in params and k != "stream"}
    if extra:
        known["extra_body"] = extra
    return known


def wire(obj, sdk_only=frozenset(), sdk_nulled=frozenset()):
    """A parsed object as the JSON it came from: field aliases, without what the SDK adds of its own
    (`sdk_only`), nor the fields its helpers set to null when the wire had none (`sdk_nulled`)."""
    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k not in sdk_only and not (k in sdk_nulled and x is None)}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v
    return strip(obj.model_dump(mode="json", exclude_unset=True, by_alias=True))
