import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
application = get_wsgi_application()

# Under any WSGI server: refuse to serve with keys that cannot read the stored ID numbers.
from fupin.pii.keycheck import check_keys_fit_data  # noqa: E402

check_keys_fit_data()
