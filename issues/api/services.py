"""Writes the API needs that are not changes to an issue (those go through
issues/services.py): creating customers and marking notifications read.

Same contract as the other services: checks the actor, validates raising DomainError
with the field at fault, one transaction. They live here because only the API offers
them so far; when a page needs them, they move next to their models' services.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import permissions
from accounts.models import Membership, User

from ..models import Customer
from ..services import DomainError

_LIMITS = {f.name: f.max_length for f in Customer._meta.fields if getattr(f, "max_length", None)}


def _clean(value: str, field: str, *, required: bool = False) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise DomainError("This cannot be empty.", field=field)
    if len(value) > _LIMITS[field]:
        raise DomainError(f"This is longer than {_LIMITS[field]} characters.", field=field)
    return value


@transaction.atomic
def create_customer(
    *,
    actor: User,
    name: str,
    email: str = "",
    organization: str = "",
    phone: str = "",
    now: dt.datetime | None = None,
) -> Customer:
    """Record a customer. The actor must be able to log issues in at least one team
    (support, member or admin). Emails are unique, whatever their case."""
    may_create = actor.is_active and (
        actor.is_superuser
        or Membership.objects.filter(user=actor, role__in=permissions.ACTIONS["create"]).exists()
    )
    if not may_create:
        raise PermissionDenied("Only people who can log issues in a team can add customers.")
    name = _clean(name, "name", required=True)
    email = _clean(email, "email").lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise DomainError("Enter a valid email address.", field="email") from None
        if Customer.objects.filter(email__iexact=email).exists():
            raise DomainError(f"A customer with the email {email} exists already.", field="email")
    try:
        with transaction.atomic():
            return Customer.objects.create(
                name=name,
                email=email,
                organization=_clean(organization, "organization"),
                phone=_clean(phone, "phone"),
                created_at=now or timezone.now(),
            )
    except IntegrityError:  # the same email, added concurrently
        raise DomainError(
            f"A customer with the email {email} exists already.", field="email"
        ) from None
