#!/usr/bin/env python3
"""Writes brotli (`.br`) and gzip (`.gz`) siblings of every text and wasm file of a build.

`ots-server` sends the sibling a browser accepts (`Content-Encoding`, `Vary:
Accept-Encoding`); static hosts can do the same (nginx `gzip_static on;`, and
`brotli_static on;` with the brotli module). A sibling that would not be smaller is
removed, so the file is sent as is. `scripts/build-app.sh` runs this after every build, and
`scripts/csp-meta.py` refreshes index.html's siblings when it rewrites the page.
"""
import gzip
import os
import subprocess
import sys

EXTENSIONS = (".html", ".js", ".wasm", ".css", ".json", ".svg", ".txt")


def write_sibling(path, ext, data):
    sibling = path + ext
    if len(data) < os.path.getsize(path):
        with open(sibling, "wb") as out:
            out.write(data)
    elif os.path.exists(sibling):
        os.remove(sibling)


def compress(path):
    """(Re)writes `path.br` and `path.gz`."""
    raw = open(path, "rb").read()
    # mtime=0: the same input gives the same bytes, build after build.
    write_sibling(path, ".gz", gzip.compress(raw, compresslevel=9, mtime=0))
    brotli = subprocess.run(
        ["brotli", "--quality=11", "--stdout", path], check=True, capture_output=True
    ).stdout
    write_sibling(path, ".br", brotli)


def compress_tree(root):
    for folder, _, names in os.walk(root):
        for name in names:
            if name.endswith(EXTENSIONS):
                compress(os.path.join(folder, name))


if __name__ == "__main__":
    compress_tree(sys.argv[1] if len(sys.argv) > 1 else "dist")
