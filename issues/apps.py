from django.apps import AppConfig


class IssuesConfig(AppConfig):
    name = "issues"

    def ready(self) -> None:
        from . import pickers

        pickers.connect()  # keeps each team's pickers version current (pickers.py)
