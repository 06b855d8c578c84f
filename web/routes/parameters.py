"""The parameters the routers share, described for the OpenAPI document. The search parameters
are parsed once, by the query model (index.query.SearchParameters) that the page and the CLI
share; the document describes them from the same model."""
from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from index.query import DATE_SCHEMA, SearchParameters

SEARCH_PARAMETERS = SearchParameters.openapi_parameters()
EXPORT_PARAMETERS = SearchParameters.openapi_parameters(
    ("q", "entity", "outlet", "topic", "language", "since", "until", "duplicates"))
# The other routes' dates and cursors, described as the model describes them.
SINCE = Annotated[str | None, Query(description=SearchParameters.model_fields["since"].description,
                                    json_schema_extra=DATE_SCHEMA)]
UNTIL = Annotated[str | None, Query(description=SearchParameters.model_fields["until"].description,
                                    json_schema_extra=DATE_SCHEMA)]
CURSOR = Annotated[str | None, Query(description=SearchParameters.model_fields["cursor"].description)]
KEY_PARAMETER = {"name": "key", "in": "query", "required": False, "schema": {"type": "string"},
                 "description": "the API key, for clients that cannot send an Authorization header (feed readers); "
                                "it ends up in logs and histories, prefer the header"}
ARTICLE_ID = Annotated[str, Path(description="an article's id")]
OUTLET_KEY = Annotated[str, Path(description="an outlet's key in outlets.toml")]
TOPIC_KEY = Annotated[str, Path(description="a topic's key in topics.toml")]
STORY_ID = Annotated[str, Path(description="a story's id (an article's `story_id`)")]
