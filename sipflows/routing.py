from django.urls import path, re_path

from . import consumers

websocket_urlpatterns = [
    path("ws/flows/<slug:slug>/", consumers.StepperConsumer.as_asgi()),
    path("ws/flows/<slug:slug>/history/<int:number>/", consumers.StepperConsumer.as_asgi()),
    path("ws/live/<str:code>/", consumers.LiveConsumer.as_asgi()),
    # Any other path: closed with 4404 rather than failing the connection.
    re_path(r"", consumers.UnknownPath.as_asgi()),
]
