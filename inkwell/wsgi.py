import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from inkwell.bodylimit import WSGIBodySizeLimit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inkwell.settings")

# README deploys with uvicorn (inkwell/asgi.py); a WSGI server gets the same body limit.
application = WSGIBodySizeLimit(
    get_wsgi_application(), max_bytes=settings.REQUEST_BODY_MAX_BYTES, larger=settings.REQUEST_BODY_LARGER
)
