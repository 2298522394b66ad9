from rest_framework.routers import BaseRouter


def register(router: BaseRouter) -> None:
    """Viewsets of this app are registered here."""
