#!/usr/bin/env python3
"""Writes the Content-Security-Policy of a static build into its index.html as a <meta> tag.

Static hosts send no headers, so the policy travels in the page: scripts and styles only
from the page's origin, plus the hashes of the page's own inline boot script and stylesheet
(scripts/entries.py); connections only to the page's
origin and the API origin named in config.json. scripts/build-app.sh runs this after every build; run it
again by hand (`scripts/csp-meta.py path/to/dist`) after pointing config.json's "api" at
another origin. ots-server sends the same policy as a header (frame-ancestors only works
there).
"""
import base64
import hashlib
import json
import os
import re
import sys
from urllib.parse import urlsplit

dist = sys.argv[1] if len(sys.argv) > 1 else os.environ["TRUNK_STAGING_DIR"]
index_path = os.path.join(dist, "index.html")
html = open(index_path, encoding="utf-8").read()
html = re.sub(r'\s*<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)



def inline_hashes(element):
    """`'sha256-…'` sources for the page's inline <script>s (without src) or <style>s."""
    hashes = []
    for attrs, body in re.findall(r"<%s([^>]*)>(.*?)</%s>" % (element, element), html, re.S):
        if "src=" not in attrs:
            digest = hashlib.sha256(body.encode("utf-8")).digest()
            hashes.append("'sha256-%s'" % base64.b64encode(digest).decode())
    return hashes


connect = ["'self'"]
try:
    config = json.load(open(os.path.join(dist, "config.json"), encoding="utf-8"))
except (OSError, ValueError):
    config = {}
api = config.get("api") if isinstance(config, dict) else None
if isinstance(api, str):
    parts = urlsplit(api.strip())
    if parts.scheme in ("http", "https") and parts.netloc:
        connect.append("%s://%s" % (parts.scheme, parts.netloc.lower()))

policy = "; ".join([
    "default-src 'none'",
    " ".join(["script-src 'self' 'wasm-unsafe-eval'"] + inline_hashes("script")),
    " ".join(["style-src 'self'"] + inline_hashes("style")),
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src " + " ".join(connect),
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
])
meta = '<meta http-equiv="Content-Security-Policy" content="%s" />' % policy
html = html.replace('<meta charset="utf-8" />', '<meta charset="utf-8" />\n    ' + meta, 1)
if meta not in html:
    sys.exit("csp-meta: index.html has no <meta charset=\"utf-8\" /> to anchor the policy")
open(index_path, "w", encoding="utf-8").write(html)
# Precompressed siblings of the old page would carry the old policy.
if os.path.exists(index_path + ".br") or os.path.exists(index_path + ".gz"):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import precompress

    precompress.compress(index_path)
