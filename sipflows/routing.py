from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/flows/<slug:slug>/", consumers.StepperConsumer.as_asgi()),
    path("ws/flows/<slug:slug>/history/<int:number>/", consumers.StepperConsumer.as_asgi()),
    path("ws/live/<str:code>/", consumers.LiveConsumer.as_asgi()),
]
