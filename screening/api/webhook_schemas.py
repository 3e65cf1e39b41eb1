"""The webhook endpoints' documents (the ``webhooks`` scope): what the webhooks page shows, as marshmallow
schemas for flask-smorest. Request bodies are checked by the page's own form (``webhooks.forms.EndpointForm``)."""

from __future__ import annotations

from marshmallow import fields, validate

from screening.api.schemas import Strict
from screening.webhooks.events import EVENT_TYPES
from screening.webhooks.models import ATTEMPT_OUTCOMES, DELIVERY_STATES, ENDPOINT_STATES

EVENT_TYPE_NAMES = tuple(EVENT_TYPES)


class EndpointOut(Strict):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    description = fields.String(required=True)
    event_types = fields.List(fields.String(validate=validate.OneOf(EVENT_TYPE_NAMES)), required=True)
    state = fields.String(required=True, validate=validate.OneOf(ENDPOINT_STATES))
    failing_since = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "The first failure since it last answered 2xx."}
    )
    disabled_at = fields.DateTime(required=True, allow_none=True)
    disabled_reason = fields.String(required=True, allow_none=True)
    previous_secret_until = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "After a rotation, the old secret signs until then."}
    )
    created_at = fields.DateTime(required=True)
    version = fields.Integer(required=True, metadata={"description": "Also the ETag: send it back in If-Match."})


class EndpointWithSecret(EndpointOut):
    secret = fields.String(
        required=True, allow_none=True,
        metadata={"description": "The signing secret (`whsec_...`), shown on this answer only; null when the answer "
                  "is replayed for a retried Idempotency-Key (rotate the secret to get a new one)."},
    )  # fmt: skip


class EndpointList(Strict):
    items = fields.List(fields.Nested(EndpointOut), required=True)


class EndpointCreate(Strict):
    """The webhooks page's form (it validates them: same rules, same messages)."""

    url = fields.String(required=True, metadata={"description": "An https:// address that accepts POST requests."})
    event_types = fields.List(fields.String(validate=validate.OneOf(EVENT_TYPE_NAMES)), required=True)
    description = fields.String(allow_none=True)


class EndpointChange(Strict):
    """Only the members given change; `state` disables (deliveries wait) or enables the endpoint again."""

    url = fields.String()
    event_types = fields.List(fields.String(validate=validate.OneOf(EVENT_TYPE_NAMES)))
    description = fields.String(allow_none=True)
    state = fields.String(validate=validate.OneOf(ENDPOINT_STATES))


class DeliveryOut(Strict):
    id = fields.Integer(required=True)
    endpoint_id = fields.Integer(required=True)
    event_type = fields.String(required=True)
    webhook_id = fields.String(required=True, metadata={"description": "The `webhook-id` header of every attempt."})
    state = fields.String(required=True, validate=validate.OneOf(DELIVERY_STATES))
    origin = fields.String(required=True, validate=validate.OneOf(("event", "test", "redelivery")))
    redelivery_of = fields.Integer(required=True, allow_none=True)
    attempts = fields.Integer(required=True)
    next_attempt_at = fields.DateTime(required=True)
    last_status_code = fields.Integer(required=True, allow_none=True)
    last_error = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    delivered_at = fields.DateTime(required=True, allow_none=True)


class AttemptOut(Strict):
    number = fields.Integer(required=True)
    started_at = fields.DateTime(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(ATTEMPT_OUTCOMES))
    status_code = fields.Integer(required=True, allow_none=True)
    latency_ms = fields.Integer(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)
    response = fields.String(
        required=True, allow_none=True, metadata={"description": "The start of the receiver's answer."}
    )


class DeliveryDetail(DeliveryOut):
    body = fields.String(required=True, metadata={"description": "The signed body, byte for byte."})
    attempt_log = fields.List(fields.Nested(AttemptOut), required=True)


class DeliveryList(Strict):
    items = fields.List(fields.Nested(DeliveryOut), required=True)
    page = fields.Integer(required=True)
    has_next = fields.Boolean(required=True)
