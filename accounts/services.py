"""Writes to teams' memberships: who is in a team and with which role.

Each function runs in one transaction and, in order: locks the team row (so two
admins changing roles at once cannot both remove the last admin), checks that the
actor is a team admin (`permissions.require(actor, "admin", team)`), validates,
raising `issues.services.DomainError` with the field at fault, then writes.
A change that changes nothing returns None and writes nothing.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from issues.services import DomainError

from . import audit, permissions
from .models import Membership, Team

User = get_user_model()

Role = Membership.Role


def _lock_team(team: Team) -> Team:
    # Every membership change of a team queues here, so the "last admin" check
    # below reads a count nobody else is changing.
    return Team.objects.select_for_update().get(pk=team.pk)


def _clean_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        allowed = ", ".join(Role.values)
        raise DomainError(f"{role!r} is not a role; use one of: {allowed}.", field="role") from None


def _other_admins_exist(membership: Membership) -> bool:
    return (
        Membership.objects.filter(team_id=membership.team_id, role=Role.ADMIN)
        .exclude(pk=membership.pk)
        .exists()
    )


def _forget(user: User, actor: User | None) -> None:
    permissions.forget_roles(user)
    if actor is not None and actor.pk == user.pk:
        # The actor is usually a different instance of the same row (request.user).
        permissions.forget_roles(actor)


@transaction.atomic
def add_member(team: Team, *, user: User, role: str, actor: User | None) -> Membership:
    """Make `user` a member of `team` with `role`.

    Raises PermissionDenied unless `actor` is a team admin, and DomainError for an
    unknown role (field "role"), an inactive user or someone already in the team
    (field "user").
    """
    team = _lock_team(team)
    permissions.require(actor, "admin", team)
    role = _clean_role(role)
    if not user.is_active:
        raise DomainError(f"{user.username}'s account is deactivated.", field="user")
    if Membership.objects.filter(team=team, user=user).exists():
        raise DomainError(f"{user.username} is already a member of {team.key}.", field="user")
    membership = Membership.objects.create(team=team, user=user, role=role)
    audit.record(
        audit.Action.MEMBER_ADDED, actor=actor, team=team, subject=user, data={"role": role}
    )
    _forget(user, actor)
    return membership


@transaction.atomic
def change_role(membership: Membership, *, role: str, actor: User | None) -> Membership | None:
    """Give the member `role`. Returns None if they already have it.

    Raises PermissionDenied unless `actor` is a team admin, and DomainError (field
    "role") for an unknown role or for demoting the team's last admin, which would
    leave nobody able to manage the team.
    """
    team = _lock_team(membership.team)
    permissions.require(actor, "admin", team)
    role = _clean_role(role)
    membership = Membership.objects.select_related("user").get(pk=membership.pk)
    if membership.role == role:
        return None
    if membership.role == Role.ADMIN and not _other_admins_exist(membership):
        raise DomainError(
            f"{membership.user.username} is the last admin of {team.key}; "
            "make someone else an admin first.",
            field="role",
        )
    audit.record(
        audit.Action.ROLE_CHANGED,
        actor=actor,
        team=team,
        subject=membership.user,
        data={"from": membership.role, "to": role},
    )
    membership.role = role
    membership.save(update_fields=["role"])
    _forget(membership.user, actor)
    return membership


@transaction.atomic
def remove_member(membership: Membership, *, actor: User | None) -> None:
    """Take the member out of the team. Their past issues, comments and assignments stay.

    Raises PermissionDenied unless `actor` is a team admin, and DomainError (field
    "user") for removing the team's last admin.
    """
    team = _lock_team(membership.team)
    permissions.require(actor, "admin", team)
    membership = Membership.objects.select_related("user").get(pk=membership.pk)
    if membership.role == Role.ADMIN and not _other_admins_exist(membership):
        raise DomainError(
            f"{membership.user.username} is the last admin of {team.key}; "
            "make someone else an admin first.",
            field="user",
        )
    membership.delete()
    audit.record(
        audit.Action.MEMBER_REMOVED,
        actor=actor,
        team=team,
        subject=membership.user,
        data={"role": membership.role},
    )
    _forget(membership.user, actor)


@transaction.atomic
def update_support_settings(
    team: Team, *, intake_email: str, is_emailing_customers: bool, actor: User | None
) -> list[str]:
    """Set the team's intake address (unique, any case; empty turns intake off) and
    whether customers are emailed. Admins only. Returns the names of changed fields."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    permissions.require(actor, "admin", team)
    team = _lock_team(team)
    intake_email = (intake_email or "").strip().lower()
    if intake_email:
        try:
            validate_email(intake_email)
        except ValidationError:
            raise DomainError("Enter a valid email address.", field="intake_email") from None
        taken = Team.objects.filter(intake_email__iexact=intake_email).exclude(pk=team.pk)
        if taken.exists():
            raise DomainError(
                f"{intake_email} is already the intake address of another team.",
                field="intake_email",
            )
    changed = [
        name
        for name, value in (
            ("intake_email", intake_email),
            ("is_emailing_customers", bool(is_emailing_customers)),
        )
        if getattr(team, name) != value
    ]
    for name in changed:
        setattr(team, name, intake_email if name == "intake_email" else is_emailing_customers)
    if changed:
        try:
            with transaction.atomic():
                team.save(update_fields=changed)
        except IntegrityError:  # the same address, taken concurrently
            raise DomainError(
                f"{intake_email} is already the intake address of another team.",
                field="intake_email",
            ) from None
    return changed
