from django.urls import path

from fupin.linkage import views

app_name = "linkage"

urlpatterns = [
    path("", views.link_queue, name="links"),
    path("run/", views.run_linkage, name="run"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/find/", views.find, name="find"),
    path("duplicates/<int:pk>/merge/", views.merge, name="merge"),
    path("duplicates/<int:pk>/reject/", views.reject, name="reject"),
]
