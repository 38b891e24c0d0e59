"""gunicorn settings for Shopdesk: `gunicorn -c contrib/deploy/gunicorn.conf.py`.

Every worker builds its own app (no preload): each gets its own database pool and its own
event dispatcher thread, and nothing is shared across a fork. Run the scheduler as its own
process (`shopdesk scheduler`, see shopdesk-scheduler.service), never inside the workers.
"""

import multiprocessing
import os

wsgi_app = "shopdesk.app:create_app()"
bind = os.environ.get("SHOPDESK_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("SHOPDESK_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("SHOPDESK_THREADS", 4))
timeout = 60
graceful_timeout = 30
keepalive = 5
max_requests = 2000          # recycle workers now and then, jittered so they do not all restart at once
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# Forwarded headers are trusted by the app itself (SHOPDESK_TRUSTED_PROXIES), not by gunicorn.
forwarded_allow_ips = "127.0.0.1"
