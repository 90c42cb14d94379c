#!/usr/bin/env python3
"""Writes ots-embed.js and ots-embed.css next to a built index.html: fixed names that a host
page includes to mount the app into its own `<div data-ots-app>` (Trunk's file names carry
content hashes, so the host page cannot name them itself), plus the example host page
examples/embed.html."""
import os
import re
import shutil
import sys

dist = sys.argv[1] if len(sys.argv) > 1 else os.environ["TRUNK_STAGING_DIR"]
html = open(os.path.join(dist, "index.html"), encoding="utf-8").read()
js = re.search(r"from '\./([^']+\.js)'", html)
wasm = re.search(r"module_or_path: '\./([^']+\.wasm)'", html)
if not js or not wasm:
    sys.exit("embed-loader: cannot find Trunk's loader in index.html")
loader = f"""// Mounts the one-time-secret app into the host page's <div data-ots-app>.
import init from './{js.group(1)}';
await init({{ module_or_path: new URL('./{wasm.group(1)}', import.meta.url) }});
"""
open(os.path.join(dist, "ots-embed.js"), "w", encoding="utf-8").write(loader)
css = re.search(r'href="\./([^"]+\.css)"', html)
if css:
    shutil.copyfile(os.path.join(dist, css.group(1)), os.path.join(dist, "ots-embed.css"))
example = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "embed.html")
shutil.copyfile(example, os.path.join(dist, "embed.html"))
