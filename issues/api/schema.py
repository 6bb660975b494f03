"""OpenAPI generation (drf-spectacular): the problem-details responses every operation
can give, so the schema lists what the server really answers."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_examples_list
from drf_spectacular.utils import OpenApiExample, OpenApiParameter
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from issuetracker.exceptions import PROBLEM_CONTENT_TYPE, PROBLEMS, problem_type


class ProblemOutput(serializers.Serializer):
    """An error, as RFC 9457 problem details (`application/problem+json`)."""

    type = serializers.CharField(
        help_text="Identifies the kind of problem; GET it for a description.",
    )
    title = serializers.CharField(help_text="A short summary of the kind of problem.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong this time, for people.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=(
            "For invalid input: the messages for each field, query parameter or header "
            "at fault (`non_field_errors` for the request as a whole)."
        ),
    )
    current_version = serializers.IntegerField(
        required=False, help_text="On 412: the issue's version now."
    )


def _example(name: str, detail: str, **extra) -> OpenApiExample:
    status, title, _ = PROBLEMS[name]
    body = {"type": problem_type(name), "title": title, "status": status, "detail": detail}
    body.update(extra)
    return OpenApiExample(name, value=body, response_only=True, status_codes=[str(status)])


EXAMPLES = {
    400: _example(
        "validation-error",
        'title: This field is required.; priority: "soon" is not a valid choice.',
        errors={
            "title": ["This field is required."],
            "priority": ['"soon" is not a valid choice.'],
        },
    ),
    401: _example("not-authenticated", "Invalid, expired or revoked token."),
    403: _example("permission-denied", "Your role in ENG does not allow this (edit)."),
    404: _example("not-found", "No such issue."),
    409: _example("idempotency-conflict", PROBLEMS["idempotency-conflict"][2]),
    412: _example(
        "stale-version",
        'The issue is at version 4; your If-Match was "3". Nothing was changed.',
        current_version=4,
    ),
    413: _example("payload-too-large", "The request body is too large."),
    415: _example("unsupported-media-type", 'Unsupported media type "text/plain" in request.'),
    422: _example("idempotency-key-reused", PROBLEMS["idempotency-key-reused"][2]),
    429: _example("rate-limited", "Too many requests. Retry in 12 seconds."),
}

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        'The ETag you last read (e.g. `"3"`). If the issue changed since, nothing is '
        "changed and the answer is 412."
    ),
)
ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200, 201],
    required=True,
    description='The issue\'s version, e.g. `"3"`: send it back in If-Match to update safely.',
)
LOCATION = OpenApiParameter(
    "Location",
    str,
    OpenApiParameter.HEADER,
    response=[201],
    required=True,
    description="The URL of the created resource.",
)


class ApiAutoSchema(AutoSchema):
    """Adds the problem responses an operation can give, beyond those it declares."""

    def _error_codes(self) -> list[int]:
        if any(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            return [429]
        codes = [401, 429]
        writes = self.method in {"POST", "PATCH", "PUT", "DELETE"}
        if writes:
            codes += [400, 403, 413, 415]
        elif self._is_list_view() or self.get_filter_backends():
            codes.append(400)
        if "{" in self.path:
            codes.append(404)
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        declared = [int(code) for code in responses if int(code) >= 400]
        for code in sorted({*self._error_codes(), *declared}):
            # Errors declared on a view (412, 422, ...) get the same treatment.
            response = self._get_response_for_code(
                ProblemOutput, str(code), [PROBLEM_CONTENT_TYPE], direction
            )
            name = next(n for n, (s, _, _) in PROBLEMS.items() if s == code)
            response["description"] = PROBLEMS[name][2]
            responses[str(code)] = response
        return responses

    def _get_examples(self, serializer, direction, media_type, status_code=None, extras=None):
        examples = super()._get_examples(serializer, direction, media_type, status_code, extras)
        if media_type == PROBLEM_CONTENT_TYPE and status_code and not examples:
            example = EXAMPLES.get(int(status_code))
            if example is not None:
                examples = build_examples_list([example])
        return examples
