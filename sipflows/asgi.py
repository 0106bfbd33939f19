import os

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sipflows.settings")
# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from .consumers import SocketsPerClient  # noqa: E402
from .routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Static files are served by the app itself so one process is a complete server;
        # a proxy in front may serve STATIC_ROOT (collectstatic) instead.
        "http": ASGIStaticFilesHandler(django_asgi_app),
        # Sockets from pages of other sites are refused (Origin must be an allowed host), and
        # a client's sockets beyond its share before anything else is done for them.
        "websocket": SocketsPerClient(
            AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)
