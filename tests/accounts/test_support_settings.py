"""Team settings → Support: the intake address (unique, any case) and customer emails."""

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import Team
from issues.services import DomainError

pytestmark = pytest.mark.django_db


def url(team):
    return reverse("team_settings:support", args=[team.key])


def test_only_admins_see_the_page_and_outsiders_get_404(client, eng, alice, bob, vera, mallory):
    codes = []
    for user in [alice, bob, vera, mallory]:
        client.force_login(user)
        codes.append(client.get(url(eng)).status_code)
    assert codes == [200, 403, 403, 404]


def test_admin_sets_the_intake_address_and_sees_it(client, eng, alice):
    client.force_login(alice)
    response = client.post(url(eng), {"intake_email": "Help@ENG.example"}, follow=True)
    eng.refresh_from_db()
    assert eng.intake_email == "help@eng.example"
    assert eng.is_emailing_customers is False  # the box was not ticked
    assert "Mail to <strong>help@eng.example</strong>" in response.content.decode()


def test_an_address_used_by_another_team_is_refused_whatever_its_case(client, eng, ops, alice):
    Team.objects.filter(pk=ops.pk).update(intake_email="help@ops.example")
    client.force_login(alice)
    response = client.post(url(eng), {"intake_email": "HELP@ops.example"})
    assert response.status_code == 400
    assert "already the intake address of another team" in response.content.decode()
    eng.refresh_from_db()
    assert eng.intake_email == ""


def test_members_cannot_change_support_settings(eng, bob):
    with pytest.raises(services.permissions.PermissionDenied):
        services.update_support_settings(
            eng, intake_email="x@eng.example", is_emailing_customers=True, actor=bob
        )


def test_invalid_address_names_the_field(eng, alice):
    with pytest.raises(DomainError) as error:
        services.update_support_settings(
            eng, intake_email="not an address", is_emailing_customers=True, actor=alice
        )
    assert error.value.field == "intake_email"
