from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("flows/<slug:slug>/", views.flow_page, name="flow"),
    path("flows/<slug:slug>/<str:label>/", views.flow_page, name="step"),
    path("notes/", views.notes_index, name="notes"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
