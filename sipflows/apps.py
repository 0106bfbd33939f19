from django.apps import AppConfig


class SipflowsConfig(AppConfig):
    name = "sipflows"
    verbose_name = "sipflows"
