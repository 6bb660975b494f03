import pytest

from accounts.permissions import ACTIONS, can, require
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Every role against every action, as one table: what each role may do in its team.
EXPECTED = {
    "alice": {"view", "watch", "create", "comment", "edit", "change_status", "triage", "admin"},
    "bob": {"view", "watch", "create", "comment", "edit", "change_status", "triage"},
    "sam": {"view", "watch", "create", "comment", "edit", "change_status"},
    "vera": {"view", "watch"},
    "mallory": set(),
}


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_role_matrix(request, eng, persona):
    user = request.getfixturevalue(persona)
    allowed = {action for action in ACTIONS if can(user, action, eng)}
    assert allowed == EXPECTED[persona]


def test_inactive_and_anonymous_users_may_do_nothing(eng, bob):
    from django.contrib.auth.models import AnonymousUser

    bob.is_active = False
    assert not can(bob, "view", eng)
    assert not can(AnonymousUser(), "view", eng)


def test_superuser_may_do_everything(eng):
    root = UserFactory(is_superuser=True)
    assert all(can(root, action, eng) for action in ACTIONS)


def test_unknown_action_is_a_programming_error(eng, bob):
    with pytest.raises(ValueError):
        require(bob, "fly", eng)
