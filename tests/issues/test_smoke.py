def test_issue_key_is_team_key_and_number(issue):
    assert issue.key == "ENG-1"
