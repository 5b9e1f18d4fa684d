from django.urls import path

from fupin.api.api import api

urlpatterns = [
    path("", api.urls),
]
