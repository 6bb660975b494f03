from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import selectors


@login_required
def issue_detail(request, key):
    issue = selectors.get_issue_for_user(request.user, key)
    return render(request, "issues/issue_detail.html", selectors.get_issue_detail(issue))
