#!/usr/bin/env python3
"""Gives the page a boot script that starts the smallest build for the screen in the address
bar: the creator's build (`ots-create`, the create screen alone) for the app's own address,
the recipient's build (`ots-reveal`, the Reveal screen alone) for secret links (`#/s/…`),
the full app (Trunk's `ots-web`) for everything else.

Usage: entries.py DIST LIGHT_PKG. LIGHT_PKG holds wasm-bindgen's `.js` and `_bg.wasm` of
`ots-create`, `ots-reveal` and `ots-parts` (what the first two load on demand, through the
boot script's `otsPart()`), built and optimized by scripts/build-app.sh. Trunk's inline
loader and its preloads are replaced by the boot script, so neither first screen downloads
the full app.

The boot script and the stylesheet are written into the page itself: the first screen then
draws, and the page's load event ends, with the page's own bytes, one round trip sooner
than with two more files to fetch. The page's CSP allows exactly these two by their
SHA-256 (scripts/csp-meta.py, and ots-server's header), never `unsafe-inline`.
"""
import hashlib
import json
import os
import re
import shutil
import sys

dist, light_pkg = sys.argv[1], sys.argv[2]
index_path = os.path.join(dist, "index.html")
html = open(index_path, encoding="utf-8").read()

loader = re.search(r"<script type=\"module\"[^>]*>(.*?)</script>\s*", html, re.S)
full_js = loader and re.search(r"from '\./([^']+\.js)'", loader.group(1))
full_wasm = loader and re.search(r"module_or_path: '\./([^']+\.wasm)'", loader.group(1))
if not (full_js and full_wasm):
    sys.exit("entries: cannot find Trunk's loader in index.html")
full_js, full_wasm = full_js.group(1), full_wasm.group(1)
html = html.replace(loader.group(0), "")
# Trunk's preloads would fetch the full app on every screen.
for name in (full_js, full_wasm):
    html = re.sub(r'\s*<link rel="(?:module)?preload" href="\./%s"[^>]*>' % re.escape(name), "", html)


def hashed_copy(source, stem, suffix):
    """Copies `source` into dist as `<stem>-<16 hex of its content><suffix>`."""
    digest = hashlib.sha256(open(source, "rb").read()).hexdigest()[:16]
    name = "%s-%s%s" % (stem, digest, suffix)
    shutil.copyfile(source, os.path.join(dist, name))
    return name


light = {}
for build in ("ots-create", "ots-reveal", "ots-parts"):
    light[build] = (
        hashed_copy(os.path.join(light_pkg, build + ".js"), build, ".js"),
        hashed_copy(os.path.join(light_pkg, build + "_bg.wasm"), build, "_bg.wasm"),
    )

# What the page says if no build can load, in the app's six languages.
BOOT_FAILED = {
    "en": "The app could not load. Check your connection, then reload the page.",
    "sv": "Appen kunde inte laddas. Kontrollera anslutningen och ladda sedan om sidan.",
    "uk": "Не вдалося завантажити застосунок. Перевірте з’єднання, потім перезавантажте сторінку.",
    "ja": "アプリを読み込めませんでした。接続を確認してから、ページを再読み込みしてください。",
    "ko": "앱을 불러오지 못했습니다. 연결을 확인한 다음 페이지를 새로 고치세요.",
    "zh": "应用无法加载。请检查网络连接，然后重新加载页面。",
}

# A classic script in <head>: it runs before the body is drawn, so the static first screen
# is hidden at once for other screens' links, and the build starts downloading at once.
boot = """// Starts the smallest build for the screen in the address bar: the create screen alone
// for the app's own address, the recipient's screen alone for a secret link, else the full
// app. Each build loads the page again when the user moves to a screen it does not carry.
(() => {
  const root = document.documentElement;
  const hash = location.hash;
  root.classList.add('js');
  const recipient = /^#\\/?s\\//.test(hash);
  const creator = !hash || hash === '#' || hash === '#/';
  // The static first screen: the Reveal screen for a secret link, the create screen for
  // the app's own address, none for other screens' links.
  if (recipient) root.classList.add('reveal-link');
  else if (!creator) root.classList.add('deep-link');
  // A press on the static Reveal button is kept for the app, which honours it once in.
  if (recipient) addEventListener('click', (event) => {
    const button = event.target.closest && event.target.closest('[data-static=reveal] button');
    if (button) button.setAttribute('aria-busy', 'true');
  });
  const base = document.baseURI;
  // What the page says if no build can load, in each of the app's languages.
  const texts = %(texts)s;
  // The app's language, chosen as it chooses (src/page.rs): the one kept from an earlier
  // visit, else the first of the browser's whose base tag the app speaks, else English.
  const language = () => {
    let kept = null;
    try { kept = localStorage.getItem('ots.locale'); } catch (e) { /* storage off */ }
    if (kept in texts) return kept;
    return (navigator.languages || [navigator.language || 'en'])
      .map((l) => String(l).split(/[-_]/)[0].toLowerCase()).find((l) => l in texts) || 'en';
  };
  const [js, wasm] = recipient ? %(recipient)s : creator ? %(creator)s : %(full)s;
  // What the small builds load on demand (src/parts.rs): loaded once, when first asked
  // for; after a failure (offline), the next ask tries again.
  let part = null;
  window.otsPart = () => part || (part = import(new URL('./%(parts_js)s', base).href)
    .then((m) => m.default({ module_or_path: new URL('./%(parts_wasm)s', base) }).then(() => m))
    .catch((error) => { part = null; throw error; }));
  // Both downloads start as the page's load event fires, a few milliseconds after the
  // static first screen is parsed: started any earlier, even by fetch(), they would hold
  // the event (and the browser's busy indicator) up until the wasm is in. The wasm
  // compiles as it streams in.
  const loaded = new Promise((done) => {
    if (document.readyState === 'complete') done();
    else addEventListener('load', done, { once: true });
  });
  loaded
    .then(() => {
      const wasmResponse = fetch(new URL(wasm, base));
      wasmResponse.catch(() => {}); // reported below, once, if the app cannot start
      // The settings and the visitor's language, fetched beside the wasm rather than
      // after it: the app takes these answers by path (src/page.rs), one round trip
      // sooner; null when there is none. The language is a guess made as the app makes
      // it; the app uses the file only if it chooses the same language.
      const started = (path) => fetch(new URL(path, base))
        .then((r) => (r.ok ? r.text() : null), () => null);
      window.otsStarted = { 'config.json': started('config.json') };
      const guess = language();
      if (guess !== 'en') {
        window.otsStarted[`locales/${guess}.json`] = started(`locales/${guess}.json`);
      }
      return import(new URL(js, base).href).then((bindings) =>
        bindings.default({ module_or_path: wasmResponse }).then(() => {
          window.wasmBindings = bindings;
        }));
    })
    .catch(() => {
      // Offline, or a page cached from before a deploy whose files are gone.
      const note = document.createElement('p');
      note.setAttribute('role', 'alert');
      note.className = 'boot-error';
      note.textContent = texts[language()];
      document.body.prepend(note);
    });
})();
""" % dict(
    creator="['./%s', './%s']" % light["ots-create"],
    recipient="['./%s', './%s']" % light["ots-reveal"],
    full="['./%s', './%s']" % (full_js, full_wasm),
    parts_js=light["ots-parts"][0],
    parts_wasm=light["ots-parts"][1],
    texts=json.dumps(BOOT_FAILED, ensure_ascii=False),
)
if "</script>" in boot or "<!--" in boot:
    sys.exit("entries: the boot script cannot be written into the page as is")
tag = "<script>%s</script>" % boot
html = html.replace("</head>", "  %s\n  </head>" % tag, 1)
if tag not in html:
    sys.exit("entries: index.html has no </head>")

# The stylesheet, in the page: a static host serves no other file before the first screen.
# The file stays for ots-embed.css's copy and for hosts that link it.
stylesheet = re.search(r'\s*<link rel="stylesheet" href="\./([^"]+\.css)"[^>]*>', html)
if not stylesheet:
    sys.exit("entries: cannot find the app's stylesheet link in index.html")
css = open(os.path.join(dist, stylesheet.group(1)), encoding="utf-8").read()
if "</style" in css:
    sys.exit("entries: the stylesheet cannot be written into the page as is")
html = html.replace(stylesheet.group(0), "\n    <style>%s</style>" % css, 1)
open(index_path, "w", encoding="utf-8").write(html)
