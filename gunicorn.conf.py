"""gunicorn settings, from the environment: `gunicorn 'wsgi:app'`."""
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", os.environ.get("WORKERS", "2")))
threads = int(os.environ.get("THREADS", "4"))
timeout = int(os.environ.get("TIMEOUT", "30"))
# Access lines come from the app as JSON (request id, status, duration); gunicorn's own are off.
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
