"""Service endpoints outside the API."""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy", whatever the driver raised
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
