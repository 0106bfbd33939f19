from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("flows/<slug:slug>/", views.flow_page, name="flow"),
    path("flows/<slug:slug>/live/", views.live_start, name="live_start"),
    path("flows/<slug:slug>/history/", views.flow_history, name="flow_history"),
    path("flows/<slug:slug>/history/<int:number>/", views.revision_page, name="revision"),
    path(
        "flows/<slug:slug>/history/<int:number>/<str:label>/",
        views.revision_page,
        name="revision_step",
    ),
    path("flows/<slug:slug>/diff/", views.flow_diff, name="flow_diff"),
    path("flows/<slug:slug>/revert/", views.flow_revert, name="flow_revert"),
    path("flows/<slug:slug>/<str:label>/", views.flow_page, name="step"),
    path("notes/", views.notes_index, name="notes"),
    path("live/", views.live_join, name="live_join"),
    path("live/<str:code>/", views.live_follow, name="live_follow"),
    path("live/<str:code>/present/", views.live_present, name="live_present"),
    path("live/<str:code>/end/", views.live_end, name="live_end"),
    path("live/<str:code>/update/", views.live_update, name="live_update"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
