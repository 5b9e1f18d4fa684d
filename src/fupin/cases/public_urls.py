"""The public self-declaration pages, mounted at ``declare/`` (no login)."""

from django.urls import path

from fupin.cases import public

app_name = "declare"

urlpatterns = [
    path("", public.declare, name="form"),
    path("areas/", public.area_options, name="areas"),
    path("confirm/<str:token>/", public.confirm, name="confirm"),
    path("thanks/<str:token>/", public.thanks, name="thanks"),
]
