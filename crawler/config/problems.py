"""A configuration table's problem in the project's one-line form. pydantic validates each table
of outlets.toml and topics.toml; of the errors it finds, the one to fix first becomes
`(key, message)`: the table itself (not a table), then an unknown key (the first by name), then
the fields in the order the model declares them, and within a field pydantic's type errors
before our value checks (a list of the wrong type is that, before any entry is judged). Our
validators' messages are used as they are; pydantic's own are replaced by the field's wording."""
from __future__ import annotations

from typing import Callable, Union

from pydantic import BaseModel, ValidationError

# A field's wording of pydantic's own errors (wrong type, missing, too short): a text, or a
# function of the value given.
Wording = dict[str, Union[str, Callable[[object], str]]]


class Refusal(ValueError):
    """A validator's refusal that belongs under another key than the field it checks (the
    outlet's `feeds` when neither feeds nor sitemaps are given)."""

    def __init__(self, message: str, key: str):
        super().__init__(message)
        self.key = key


def first_problem(error: ValidationError, model: type[BaseModel], wording: Wording) -> tuple[str | None, str]:
    """The (key, message) of the error to report; key None when the table itself is wrong."""
    fields = list(model.model_fields)

    def rank(numbered: tuple[int, dict]) -> tuple:
        position, details = numbered
        location = details["loc"]
        if not location:
            return (0, 0, 0, "", position)
        if details["type"] == "extra_forbidden":
            return (1, 0, 0, str(location[0]), position)
        ours = details["type"] == "value_error"
        return (2, fields.index(location[0]), int(ours), "", position)

    _, details = min(enumerate(error.errors()), key=rank)
    if not details["loc"]:
        return None, "expected a table"
    key = str(details["loc"][0])
    if details["type"] == "extra_forbidden":
        return key, "unknown key"
    if details["type"] == "value_error":
        refusal = details["ctx"]["error"]
        return getattr(refusal, "key", key), str(refusal)
    said = wording[key]
    return key, said(details["input"]) if callable(said) else said
