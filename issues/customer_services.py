"""Writes about customers and organizations (not changes to an issue: those go through
issues/services.py). Same contract as the other services: they check the actor,
validate raising DomainError with the field at fault, and run in one transaction.

Customers belong to no team: anyone who may log issues in some team (support, member,
admin) may add or correct them.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import permissions
from accounts.models import User

from .models import Customer, Organization
from .services import DomainError

_LIMITS = {"name": 200, "email": 254, "organization": 200, "phone": 50}


def _clean(value: str, field: str, *, required: bool = False) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise DomainError("This cannot be empty.", field=field)
    if len(value) > _LIMITS[field]:
        raise DomainError(f"This is longer than {_LIMITS[field]} characters.", field=field)
    return value


def may_manage_customers(user: User) -> bool:
    """True if `user` may add or edit customers: they can log issues in some team."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (
            user.is_superuser
            or any(
                team.my_role in permissions.ACTIONS["create"]
                for team in permissions.visible_teams(user)
            )
        )
    )


def _require(actor: User) -> None:
    if not may_manage_customers(actor):
        raise PermissionDenied("Only people who can log issues in a team can add customers.")


def _clean_email(email: str, *, exclude: int | None = None) -> str:
    email = _clean(email, "email").lower()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError("Enter a valid email address.", field="email") from None
    if Customer.objects.filter(email__iexact=email).exclude(pk=exclude).exists():
        raise DomainError(f"A customer with the email {email} exists already.", field="email")
    return email


def organization_named(name: str, *, now: dt.datetime | None = None) -> Organization | None:
    """The organization called `name` (case and spacing ignored), created if new; None
    for an empty name."""
    name = _clean(name, "organization")
    if not name:
        return None
    found = Organization.objects.filter(name__iexact=name).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Organization.objects.create(name=name, created_at=now or timezone.now())
    except IntegrityError:  # created concurrently under another case
        return Organization.objects.get(name__iexact=name)


def customer_for_email(address: str, *, name: str = "") -> Customer:
    """The customer with this email (any case), or a new one named `name` (else the
    address's local part). For the system, e.g. email intake: no actor to check. Safe
    against the same sender arriving twice at once."""
    found = Customer.objects.filter(email__iexact=address).first()
    if found is not None:
        return found
    name = " ".join((name or "").split())[: _LIMITS["name"]] or address.split("@")[0]
    try:
        with transaction.atomic():
            return Customer.objects.create(name=name[: _LIMITS["name"]], email=address.lower())
    except IntegrityError:  # created by a concurrent message from the same sender
        return Customer.objects.get(email__iexact=address)


def _saved(customer: Customer) -> Customer:
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:  # the same email, added concurrently
        raise DomainError(
            f"A customer with the email {customer.email} exists already.", field="email"
        ) from None
    return customer


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
    """Record a customer; `organization` is a name, found or created. Emails are unique,
    whatever their case. Raises PermissionDenied for someone who cannot log issues."""
    _require(actor)
    now = now or timezone.now()
    customer = Customer(
        name=_clean(name, "name", required=True),
        email=_clean_email(email),
        phone=_clean(phone, "phone"),
        created_at=now,
    )
    customer.organization = organization_named(organization, now=now)
    return _saved(customer)


@transaction.atomic
def update_customer(
    customer: Customer,
    *,
    actor: User,
    name: str,
    email: str = "",
    organization: str = "",
    phone: str = "",
) -> Customer:
    """Correct a customer's details (the same rules as create_customer)."""
    _require(actor)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    customer.name = _clean(name, "name", required=True)
    customer.email = _clean_email(email, exclude=customer.pk)
    customer.phone = _clean(phone, "phone")
    customer.organization = organization_named(organization)
    return _saved(customer)
