import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sipflows.settings")
# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from .consumers import SocketsPerClient  # noqa: E402
from .pagecache import PageCacheApp  # noqa: E402
from .routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Kept pages go out before Django is involved; the rest, static files included
        # (WhiteNoise), is Django's. One process is a complete server.
        "http": PageCacheApp(django_asgi_app),
        # Sockets from pages of other sites are refused (Origin must be an allowed host), and
        # a client's sockets beyond its share before anything else is done for them.
        "websocket": SocketsPerClient(
            AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)

# Everything loaded so far lives as long as the process: the garbage collector need not walk
# it again on every collection (which a busy server runs many times a second).
gc.freeze()
