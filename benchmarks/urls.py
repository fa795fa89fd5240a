"""The portal's URLs plus ``/bench/bare/``: the least a Django JSON view can do, as the yardstick."""

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from pledge_portal.urls import urlpatterns as portal


@csrf_exempt
def bare_json(request):
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/bare/", bare_json), *portal]
