"""The container's health check: the server answers GET /health on its own port.

http, or https when the server itself holds the TLS files (then the certificate is not checked:
it names the public host, and this asks the loopback address).
"""

import json
import os
import ssl
import sys
import urllib.request

tls = bool(os.environ.get("HOTLINE_TLS_CERTIFICATE"))
port = os.environ.get("HOTLINE_PORT", "8750")
url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/health"
context = ssl._create_unverified_context() if tls else None
try:
    with urllib.request.urlopen(url, timeout=4, context=context) as reply:
        healthy = json.load(reply).get("status") == "ok"
except (OSError, ValueError) as error:
    print(f"unhealthy: {error}", file=sys.stderr)
    sys.exit(1)
sys.exit(0 if healthy else 1)
