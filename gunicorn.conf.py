"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app` (README, Production).

Each worker builds its own app, engines and connection pool after the fork (no ``preload_app``):
a database connection must never be shared across processes. Threads let a worker wait on the
database for one request while it serves another (SQLAlchemy's pool of 5 covers 4 threads).
Everything can be overridden on the command line or through
``GUNICORN_CMD_ARGS``.
"""

import multiprocessing
import os
from typing import Any

bind = os.environ.get("ALMEREPAS_BIND", "127.0.0.1:8000")
#: processes: two per core plus one, as gunicorn advises for mixed I/O; WEB_CONCURRENCY overrides
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("ALMEREPAS_THREADS", "4"))
preload_app = False
#: a scan or a redemption answers in milliseconds; a request still running after 30 s is stuck
timeout = 30
graceful_timeout = 20
keepalive = 5
#: the cashier's device keeps its connection; a worker is recycled now and then against leaks
max_requests = 10_000
max_requests_jitter = 1_000
_production = os.environ.get("ALMEREPAS_ENV") == "production"
_json_logs = os.environ.get("ALMEREPAS_LOG_FORMAT", "json" if _production else "text") == "json"
#: with JSON logs the app writes the request line itself (request id, endpoint, never the path,
#: which can hold a pass number); otherwise gunicorn's line, without query strings or bodies
accesslog = None if _json_logs else "-"
errorlog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


def child_exit(server: Any, worker: Any) -> None:
    """Prometheus multiprocess mode: a worker that is gone stops counting in its gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


forwarded_allow_ips = os.environ.get("ALMEREPAS_FORWARDED_ALLOW_IPS", "127.0.0.1")
