"""Error messages for bad input that name the field (and, for files, the line)."""

from pydantic import ValidationError

from models import cpr


def location(loc: tuple[int | str, ...]) -> str:
    """pydantic's ('support', 1, 'to') as `support[1].to`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(the whole record)"


def describe_validation_error(error: ValidationError) -> str:
    """The first problem, naming its field and the value found; a count of any others."""
    errors = error.errors(include_url=False)
    first = errors[0]
    message = first["msg"].removeprefix("Value error, ")
    found = first.get("input")
    if isinstance(found, str):
        found = cpr.mask(found.strip())
    value = "" if isinstance(found, dict | list) or found is None else f" (got {found!r})"
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{location(tuple(first['loc']))}: {message}{value}{more}"
