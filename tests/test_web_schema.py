"""Schemathesis against the API's OpenAPI description, in-process, as a logged-in auditor: every
operation, with generated valid and invalid input, answers without a server error and as described
(status codes, content types, headers, response schemas, rejection of invalid input).

Each operation is a test of its own, with Hypothesis driving schemathesis' strategy for it (the
`schema.parametrize()` decorator needs a pytest internal that pytest 9 no longer has). Authenticated
by a token (Bearer), as scripts are."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from engine.faces.web import create_app
from models.database import make_engine
from tests.conftest import WebRuns
from tests.web import RELAXED, bearer

DESCRIPTION = create_app(make_engine("sqlite://")).openapi()
OPERATIONS = [(path, method.upper()) for path, methods in DESCRIPTION["paths"].items() for method in methods]
AUTH: dict[str, str] = {}


@pytest.fixture
def web_schema(web_runs: WebRuns):
    AUTH.update(bearer(web_runs.tokens["alice"]))
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(web_runs.engine, RELAXED), headers=AUTH)


def test_the_description_has_every_operation_of_the_api_and_bearer_authentication():
    assert len(OPERATIONS) == 12 and all(path.startswith("/api/") for path, _ in OPERATIONS)
    assert DESCRIPTION["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=lambda item: item)
def test_every_operation_answers_as_described_and_never_with_a_server_error(web_schema, path, method, mode):
    operation = web_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=AUTH)

    check()
