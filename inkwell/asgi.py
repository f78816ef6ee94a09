import os

from django.conf import settings
from django.core.asgi import get_asgi_application

from inkwell.bodylimit import BodySizeLimit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inkwell.settings")

application = BodySizeLimit(
    get_asgi_application(), max_bytes=settings.REQUEST_BODY_MAX_BYTES, larger=settings.REQUEST_BODY_LARGER
)
