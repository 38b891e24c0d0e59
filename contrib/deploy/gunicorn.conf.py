"""gunicorn settings for Shopdesk: `gunicorn -c contrib/deploy/gunicorn.conf.py`.

Every worker builds its own app (no preload): each gets its own database pool and its own
event dispatcher thread, and nothing is shared across a fork. Run the scheduler as its own
process (`shopdesk scheduler`, see shopdesk-scheduler.service), never inside the workers.

Sync workers, behind a buffering proxy (nginx, a load balancer): Shopdesk's requests spend
their time in Python and the database, not waiting on clients. A sync worker takes a
connection only when it is idle, so requests spread over the workers. Threaded workers
keep each keep-alive connection on the worker that accepted it: several requests then share
one interpreter lock while other workers idle. bench/orders.py measured a p99 about twice
as long with 4 threads per worker.
"""

import gc
import multiprocessing
import os

wsgi_app = "shopdesk.app:create_app()"
bind = os.environ.get("SHOPDESK_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("SHOPDESK_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 60
graceful_timeout = 30
max_requests = 2000          # recycle workers now and then, jittered so they do not all restart at once
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# One setting decides which forwarded headers count: the app's SHOPDESK_TRUSTED_PROXIES (the
# number of proxies in front, read by shopdesk.security). gunicorn trusts none itself, or it
# would take X-Forwarded-Proto from any local process while the app trusts no proxy.
forwarded_allow_ips = ""
secure_scheme_headers = {}


def post_fork(server, worker):
    """Tell the app how many workers share the load (gunicorn's real count, `-w` included),
    so that it can warn when rate limits are counted per process (no SHOPDESK_REDIS_URL)."""
    os.environ["SHOPDESK_WORKERS"] = str(server.cfg.workers)


def post_worker_init(worker):
    """Move the app's long-lived objects (models, schemas, hook callers) out of the garbage
    collector's sight once the worker has built the app: full collections then walk only
    what requests allocate. This cut the orders benchmark's p99 by about a quarter."""
    gc.freeze()
