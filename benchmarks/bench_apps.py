"""Benchmark of the Voila apps (issue 7): Voila's defaults beside the served configuration, in one run.

Run with ``make bench-apps`` (``QUICK=1`` for a short run) or
``.venv/bin/python benchmarks/bench_apps.py [--quick]``. For each configuration it
starts a real Voila server (:class:`vidensdata.app.Server`, ``tuned=False`` and
``tuned=True``) and drives real headless Chromium (Debian's ``/usr/bin/chromium``):

1. **first render**: time from navigation until the key figure is visible, over
   sequential page views spaced ``--gap`` seconds apart (median and max);
2. **widget change**: in one page, choose another kommune; time until the key
   figure has changed, and until the key figure *and* the first plot have changed
   (p95, measured in the page with ``performance.now()``). The default view of those
   kommuner is precomputed first, as ``make reports`` leaves it for ``make app``
   (the view cache, :mod:`vidensdata.presentation.visningscache`); then the start year
   is changed a few times, views nobody has drawn yet, which are computed live
   (median reported separately);
3. **load**: ``--users`` simulated users arriving evenly over ``--duration`` seconds,
   each opening the app, changing the kommune twice and leaving; errors (timeouts,
   Danish error messages, page errors) and p95 first render;
4. **kernels afterwards**: live kernels sampled every 5 s for up to ``--settle``
   seconds after the last user left; the time until they are back at the pool size
   (0 for the defaults, which have no pool);
5. **memory per app kernel**: resident memory (RSS) of the kernel processes after the load.

The table is printed at the end; ``--json`` also writes the raw numbers. On a busy
machine the figures are noisy: the run reports the load average next to them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

from vidensdata import app as vapp

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
KEY = '[data-testid^="noegletal-"]'
KOMMUNER = ["Aarhus", "Odense", "Aalborg", "Esbjerg", "Vejle", "Randers", "Kolding", "Horsens", "Silkeborg",
            "Herning", "Roskilde", "Næstved", "Viborg", "Holbæk", "Slagelse", "Svendborg"]


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(q / 100 * (len(s) - 1) + 0.4999)))
    return s[k]


def kernels(server_pid: int) -> list[psutil.Process]:
    """Live kernel processes started by the Voila server."""
    try:
        children = psutil.Process(server_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    out = []
    for p in children:
        try:
            if p.status() != psutil.STATUS_ZOMBIE and "ipykernel_launcher" in " ".join(p.cmdline()):
                out.append(p)
        except psutil.Error:  # a kernel that just ended (culled)
            continue
    return out


def rss_mb(procs: list[psutil.Process], unique: bool = False) -> list[float]:
    """Resident memory per process (MB); ``unique``: USS, the memory that one more kernel really adds
    (RSS also counts the shared library pages every kernel maps)."""
    out = []
    for p in procs:
        try:
            out.append((p.memory_full_info().uss if unique else p.memory_info().rss) / 2**20)
        except psutil.Error:
            continue
    return out


async def close_tab(page, ctx) -> None:
    """Close the page as a user closes a tab: the browser runs ``beforeunload``, where Voila's frontend asks the
    server to shut the page's kernel down (closing the context alone skips it: kernels then wait for the cull)."""
    try:
        await page.close(run_before_unload=True)
        await asyncio.sleep(0.2)  # the beacon leaves before the browser context goes
    finally:
        await ctx.close()


async def first_render(browser, url: str, timeout: float) -> float:
    ctx = await browser.new_context()
    page = await ctx.new_page()
    t0 = time.perf_counter()
    try:
        await page.goto(url, wait_until="commit", timeout=timeout * 1000)
        await page.locator(KEY).first.wait_for(timeout=timeout * 1000)
        return time.perf_counter() - t0
    finally:
        await close_tab(page, ctx)


CHANGE_JS = """async ([label, timeout, which]) => {
  const key = () => (document.querySelector('[data-testid^="noegletal-"]') || {}).innerText;
  const img = () => {
    const i = document.querySelector('.jp-OutputArea-output img');
    return i ? i.src.length + ':' + i.src.slice(-64) : '';
  };
  const k0 = key(), i0 = img();
  // which 0: the geography search (type the name, commit); 1: the first dropdown (the start year)
  const sel = which === 0 ? document.querySelector('input[list]')
                          : document.querySelectorAll('.widget-dropdown select')[which - 1];
  const value = which === 0 ? label : [...sel.options].find(o => o.text === label).value;
  const t0 = performance.now();
  sel.value = value; sel.dispatchEvent(new Event('change', {bubbles: true}));
  let tk = null, ti = null;
  while (performance.now() - t0 < timeout) {
    if (tk === null && key() !== k0) tk = performance.now() - t0;
    if (ti === null && img() !== i0) ti = performance.now() - t0;
    if (tk !== null && ti !== null) break;
    await new Promise(r => requestAnimationFrame(r));
  }
  return [tk, ti];
}"""


async def widget_changes(browser, url: str, n: int, n_cold: int,
                         timeout: float) -> tuple[list[float], list[float], list[float]]:
    ctx = await browser.new_context()
    page = await ctx.new_page()
    await page.goto(url, wait_until="commit", timeout=timeout * 1000)
    await page.locator(KEY).first.wait_for(timeout=timeout * 1000)
    await page.locator("#loading").wait_for(state="detached", timeout=timeout * 1000)
    await page.locator("#vd-forhaand").wait_for(state="detached", timeout=timeout * 1000)  # live key figures
    key, both, cold = [], [], []
    changes = [(KOMMUNER[i % len(KOMMUNER)], 0) for i in range(n)]
    changes += [(str(2015 + i), 1) for i in range(n_cold)]  # start year: views not precomputed
    for i, (label, which) in enumerate(changes):
        tk, ti = await page.evaluate(CHANGE_JS, [label, timeout * 1000, which])
        if i < n:
            if tk is not None:
                key.append(tk / 1000)
            if tk is not None and ti is not None:
                both.append(max(tk, ti) / 1000)
        elif ti is not None:  # the newest year's key figure may stay the same: then the plot is the change
            cold.append(max(ti, tk or 0) / 1000)
        await page.wait_for_timeout(300)  # let the remaining sections finish before the next change
    await close_tab(page, ctx)
    return key, both, cold


async def _first_and_usable(page, url: str, timeout: float, out: dict, errors: list, t0: float):
    """Open ``url``; record the first key figure and the moment the geography search can be used. Returns the
    search box, or None after an error."""
    resp = await page.goto(url, wait_until="commit", timeout=timeout * 1000)
    if resp is None or resp.status != 200:
        errors.append(f"HTTP {resp.status if resp else '?'}")
        return None
    await page.locator(KEY).first.wait_for(timeout=timeout * 1000)
    out["first"].append(time.perf_counter() - t0)
    search = page.get_by_role("combobox", name="Geografi", exact=True).first
    await search.wait_for(timeout=timeout * 1000)
    out["interactive"].append(time.perf_counter() - t0)  # the choices can be used
    return search


async def _skift_i_app(page, search, label: str, timeout: float) -> None:
    """In the live app: type a kommune into the geography search; wait until the key figure has changed."""
    old = await page.locator(KEY).first.inner_text()
    await search.fill(label, timeout=timeout * 1000)
    await search.press("Enter")
    await page.wait_for_function(
        "(old) => { const el = document.querySelector('[data-testid^=\"noegletal-\"]');"
        " return el && el.innerText !== old; }", arg=old, timeout=timeout * 1000)


async def _skift_paa_vis(page, search, label: str, timeout: float) -> None:
    """On the kernel-less page: type a kommune and submit the form (a new page from the view cache)."""
    old = await page.locator(KEY).first.inner_text()
    await search.fill(label, timeout=timeout * 1000)
    async with page.expect_navigation(wait_until="commit", timeout=timeout * 1000):
        await search.press("Enter")
    await page.locator(KEY).first.wait_for(timeout=timeout * 1000)
    new = await page.locator(KEY).first.inner_text()
    if new == old:
        raise RuntimeError(f"nøgletallet skiftede ikke ({label})")


async def browser_vinduer(browser, n: int) -> list:
    """``n`` fresh browser contexts (own cookies and cache), each with an empty tab: the simulated users' browsers,
    open before they visit, as a real visitor's browser is. Opening one costs Chromium ~0.6 s of a core
    (a profile and a renderer process), which is the user's machine's work, not the server's; done before the
    load, it no longer competes with the server on these 2 cores. The page work (the first navigation of a fresh
    renderer included) stays in the load."""
    out = []
    for _ in range(n):
        ctx = await browser.new_context()
        out.append((ctx, await ctx.new_page()))
    return out


async def user(browser, url: str, delay: float, timeout: float, stay: float, out: dict, i: int,
               entry: str = "app", app_every: int = 0, vindue=None) -> None:
    """One simulated user: open the entry page, change the kommune twice, stay, close the tab.

    ``entry="vis"``: the kernel-less page (``vis/<tema>``); every ``app_every``-th user then also opens the
    interactive app from it ("Åbn den interaktive app", a kernel of its own) and changes the kommune there.
    ``vindue``: the user's open browser (:func:`browser_vinduer`); else one is opened on arrival."""
    await asyncio.sleep(delay)
    if vindue is None:
        ctx = await browser.new_context()
        page = await ctx.new_page()
    else:
        ctx, page = vindue
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    t0 = time.perf_counter()
    try:
        search = await _first_and_usable(page, url, timeout, out, errors, t0)
        if search is not None:
            skift = _skift_paa_vis if entry == "vis" else _skift_i_app
            for label in (KOMMUNER[i % len(KOMMUNER)], KOMMUNER[(i + 5) % len(KOMMUNER)]):
                await skift(page, search, label, timeout)
                search = page.get_by_role("combobox", name="Geografi", exact=True).first
            if entry == "vis" and app_every and i % app_every == 0:
                t1 = time.perf_counter()
                async with page.expect_navigation(wait_until="commit", timeout=timeout * 1000):
                    await page.locator('[data-testid="vd-app-link"]').click(timeout=timeout * 1000)
                search = page.get_by_role("combobox", name="Geografi", exact=True).first
                await search.wait_for(timeout=timeout * 1000)  # the live widgets
                out["app_live"].append(time.perf_counter() - t1)
                await _skift_i_app(page, search, KOMMUNER[(i + 9) % len(KOMMUNER)], timeout)
            if await page.locator(".vd-fejl").count():
                errors.append("fejlbesked: " + await page.locator(".vd-fejl").first.inner_text())
            await page.wait_for_timeout(stay * 1000)
    except Exception as exc:  # noqa: BLE001 - every failure of a simulated user is counted
        errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
    finally:
        await close_tab(page, ctx)
    out["errors"].extend(errors)


async def load_step(browser, url: str, args, server_pid: int, entry: str) -> dict:
    """``args.users`` users arriving evenly over ``args.duration`` s (see :func:`user`)."""
    load = {"first": [], "interactive": [], "errors": [], "app_live": []}
    step = args.duration / max(1, args.users)
    peak = [0]
    vinduer = [None] * args.users
    if not args.open_browsers_in_load:
        t0 = time.perf_counter()
        vinduer = await browser_vinduer(browser, args.users)
        print(f"… opened {args.users} browser contexts in {time.perf_counter() - t0:.0f} s (before the load)",
              flush=True)
        await asyncio.sleep(args.gap)
    t_load = time.perf_counter()

    async def sample():
        while True:
            peak[0] = max(peak[0], len(kernels(server_pid)))
            await asyncio.sleep(1)

    sampler = asyncio.create_task(sample())
    await asyncio.gather(*(user(browser, url, i * step, args.timeout, args.stay, load, i, entry=entry,
                                app_every=args.app_every, vindue=vinduer[i])
                           for i in range(args.users)))
    sampler.cancel()
    res = {"load_seconds": time.perf_counter() - t_load, "users": args.users, "errors": len(load["errors"]),
           "error_examples": sorted(set(load["errors"]))[:5],
           "load_first_p95": pct(load["first"], 95), "load_first_median": pct(load["first"], 50),
           "load_interactive_p95": pct(load["interactive"], 95), "kernels_peak": peak[0],
           "app_users": len(load["app_live"]), "app_live_p95": pct(load["app_live"], 95)}
    procs = kernels(server_pid)
    uss = rss_mb(procs, unique=True)
    res["kernel_uss_median_mb"] = statistics.median(uss) if uss else None
    mem = rss_mb(procs)
    res["kernel_rss_median_mb"] = statistics.median(mem) if mem else None
    res["kernel_rss_max_mb"] = max(mem) if mem else None
    return res


async def settle(server_pid: int, pool_total: int, args) -> dict:
    """Live kernels after the users left: sampled every 5 s until they are back at the pool size."""
    t0 = time.perf_counter()
    back = None
    counts = []
    while time.perf_counter() - t0 < args.settle:
        n = len(kernels(server_pid))
        counts.append(n)
        if n <= pool_total:
            back = time.perf_counter() - t0
            break
        await asyncio.sleep(5)
    return {"pool_total": pool_total, "kernels_after_load": counts[0] if counts else None,
            "kernels_back_s": back, "kernels_end": counts[-1] if counts else None}


async def run_config(tuned: bool, args, workdir: Path, entry: str = "app") -> dict:
    from playwright.async_api import async_playwright

    name = ("served" if tuned else "default") + ("" if entry == "app" else f" ({entry})")
    app_url_path = f"/voila/render/{args.app}"
    entry_path = app_url_path if entry == "app" else f"/vis/{args.app.removesuffix('.ipynb')}"
    log = workdir / f"voila-{name.replace(' ', '_')}.log"
    pool_total = 0
    res: dict = {"config": name}
    kw = {"pool_size": args.pool_size} if tuned else {}
    server = vapp.Server(tuned=tuned, log=log, **kw)
    with server as url:
        server_pid = server.proc.pid
        n_apps = len([p for p in vapp.paths().themes.glob("*.ipynb") if not p.name.startswith("_")])
        pool_total = args.pool_size * n_apps if tuned else 0
        if tuned:  # let the pools fill before measuring (as after a deployment)
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline and log.read_text().count("is filled with") < n_apps:
                await asyncio.sleep(1)
            await asyncio.sleep(args.gap)
            pooled = rss_mb(kernels(server_pid), unique=True)  # kernels that have shown only cached views
            res["pool_uss_median_mb"] = statistics.median(pooled) if pooled else None
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            if not args.load_only:
                first = []
                for _ in range(args.views):
                    first.append(await first_render(browser, url + entry_path, args.timeout))
                    await asyncio.sleep(args.gap)
                res["first_median"], res["first_max"] = statistics.median(first), max(first)
                if entry == "app":
                    key, both, cold = await widget_changes(browser, url + app_url_path, args.changes, args.cold,
                                                           args.timeout)
                    res["change_key_p95"], res["change_plot_p95"] = pct(key, 95), pct(both, 95)
                    res["change_cold_median"] = statistics.median(cold) if cold else None
                    res["change_key_median"] = statistics.median(key) if key else None
                else:
                    key = await vis_changes(browser, url + entry_path, args.changes, args.timeout)
                    res["change_key_p95"], res["change_key_median"] = pct(key, 95), pct(key, 50)
                await asyncio.sleep(args.gap)
            runs = []
            for r in range(args.repeat):
                run = await load_step(browser, url + entry_path, args, server_pid, entry)
                run.update(await settle(server_pid, pool_total, args))
                runs.append(run)
                print(f"… {name}, load run {r + 1}: " + json.dumps(run, ensure_ascii=False), flush=True)
                if r < args.repeat - 1:
                    await asyncio.sleep(args.gap)
            res["runs"] = runs
            res.update(runs[-1])
    return res


async def vis_changes(browser, url: str, n: int, timeout: float) -> list[float]:
    """On the kernel-less page: submit the form with another (precomputed) kommune; time until the new page's
    key figure is on screen."""
    ctx = await browser.new_context()
    page = await ctx.new_page()
    await page.goto(url, wait_until="commit", timeout=timeout * 1000)
    await page.locator(KEY).first.wait_for(timeout=timeout * 1000)
    out = []
    for i in range(n):
        search = page.get_by_role("combobox", name="Geografi", exact=True).first
        t0 = time.perf_counter()
        await _skift_paa_vis(page, search, KOMMUNER[i % len(KOMMUNER)], timeout)
        out.append(time.perf_counter() - t0)
    await close_tab(page, ctx)
    return out


def fmt(v, unit="", digits=2):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}{unit}"
    return f"{v}{unit}"


ROWS = [
    ("First render, median (goal ≤ 1.5 s served)", "first_median", " s"),
    ("First render, max", "first_max", " s"),
    ("Widget change → key figure, median", "change_key_median", " s"),
    ("Widget change → key figure, p95", "change_key_p95", " s"),
    ("Widget change → key figure + plot, p95 (goal ≤ 0.25 s)", "change_plot_p95", " s"),
    ("Widget change, view not precomputed → key figure + plot, median", "change_cold_median", " s"),
]


def load_rows(args) -> list[tuple[str, str, str]]:
    goal_first = "≤ 2 s" if args.users <= 20 else "≤ 3 s"
    return [
        (f"Load: {args.users} users / {args.duration:.0f} s, errors (goal 0)", "errors", ""),
        (f"Load: first key figure p95 (goal {goal_first})", "load_first_p95", " s"),
        ("Load: widgets usable, p95 (goal ≤ 5 s)", "load_interactive_p95", " s"),
        ("Load: users who went on to the live app / its widgets usable p95", "app_users", ""),
        ("Load: … live app widgets usable, p95", "app_live_p95", " s"),
        ("Load: peak live kernels", "kernels_peak", ""),
        ("Kernels right after the load", "kernels_after_load", ""),
        ("Pool size (all apps)", "pool_total", ""),
        (f"Back to pool size after (goal ≤ 30 s; watched {args.settle:.0f} s)", "kernels_back_s", " s"),
        ("Memory per app kernel, median RSS", "kernel_rss_median_mb", " MB"),
        ("Memory per app kernel, max RSS", "kernel_rss_max_mb", " MB"),
        ("Memory per app kernel, median USS (unshared; goal ≤ 150 MB)", "kernel_uss_median_mb", " MB"),
    ]


def table(results: list[dict], args) -> str:
    rows = ([] if args.load_only else ROWS) + load_rows(args) + [
        ("Memory per pooled kernel (cached views only), median USS", "pool_uss_median_mb", " MB")]
    w = max(len(r[0]) for r in rows) + 2
    out = [f"{'':{w}}" + "".join(f"{r['config']:>16}" for r in results)]
    for label, key, unit in rows:
        out.append(f"{label:{w}}" + "".join(f"{fmt(r.get(key), unit, 1 if 'mb' in key else 2):>16}" for r in results))
    if args.repeat > 1:
        out.append("")
        out.append("Every load run (errors · first key figure p95 · widgets usable p95 · back to pool size):")
        for r in results:
            for k, run in enumerate(r.get("runs", []), 1):
                out.append(f"  {r['config']}, run {k}: {run['errors']} errors · {fmt(run['load_first_p95'], ' s')} · "
                           f"{fmt(run['load_interactive_p95'], ' s')} · {fmt(run['kernels_back_s'], ' s')}")
    return "\n".join(out)


def precompute(args, tmp: Path, force: bool = False) -> None:
    """What `make reports` leaves for `make app`: the default view of every app (what its pooled kernels show)
    and of the sampled kommuner in the view cache."""
    from vidensdata import report

    from vidensdata.themes import TEMAER

    t0 = time.perf_counter()
    report.run(list(TEMAER), ["Hele landet"], output=tmp / "reports", progress=False, force=force)  # every pool
    report.run([args.app.removesuffix(".ipynb")], KOMMUNER, output=tmp / "reports", progress=False, force=force)
    print(f"… precomputed the default view of every app and of {len(KOMMUNER)} kommuner in "
          f"{time.perf_counter() - t0:.0f} s (reports)", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer users and a shorter run (about 6 minutes)")
    ap.add_argument("--app", default="serviceudvikling.ipynb")
    ap.add_argument("--json", type=Path, help="also write the raw numbers here")
    ap.add_argument("--only", choices=["default", "served"], help="run one configuration only")
    ap.add_argument("--users", type=int, help="simulated users in the load step (full: 20, quick: 6)")
    ap.add_argument("--duration", type=float, help="seconds over which the users arrive (full: 120)")
    ap.add_argument("--pool-size", type=int, help=f"preheated kernels per app (default {vapp.POOL_SIZE})")
    ap.add_argument("--entry", choices=["app", "vis", "both"], default="both",
                    help="where the served configuration's users enter: the Voila app, the kernel-less page "
                         "vis/<tema>, or both (two columns); Voila's defaults always enter the app")
    ap.add_argument("--app-every", type=int, default=5,
                    help="entry vis: every n-th user also opens the live app and changes the kommune there (0: none)")
    ap.add_argument("--load-only", action="store_true", help="skip the single-user steps (first render, changes)")
    ap.add_argument("--repeat", type=int, default=1, help="load runs one after the other on the same server")
    ap.add_argument("--open-browsers-in-load", action="store_true",
                    help="open each user's browser context on arrival, inside the load (the method before "
                         "2026-12-03); default: the users' browsers are open before the load begins")
    args = ap.parse_args(argv)
    chosen = {k: getattr(args, k) for k in ("users", "duration", "pool_size") if getattr(args, k) is not None}
    full = dict(views=7, changes=15, cold=5, users=20, duration=120.0, stay=5.0, settle=180.0, gap=8.0,
                timeout=120.0)
    quick = dict(views=3, changes=6, cold=3, users=6, duration=36.0, stay=3.0, settle=120.0, gap=8.0,
                 timeout=120.0)
    for k, v in (quick if args.quick else full).items():
        setattr(args, k, v)
    args.pool_size = vapp.POOL_SIZE
    for k, v in chosen.items():
        setattr(args, k, v)

    results = []
    with tempfile.TemporaryDirectory(prefix="bench-apps-") as tmp:
        # a cache of its own: the data caches are rebuilt, and no view is precomputed but those below
        os.environ["VIDENSDATA_CACHE"] = str(Path(tmp) / "cache")
        from vidensdata.themes import serviceudvikling

        serviceudvikling.beregn()  # build the shared data caches once (both servers read them)
        precompute(args, Path(tmp))
        configs = [] if args.only == "served" else [(False, "app")]
        if args.only != "default":
            configs += [(True, e) for e in (("app", "vis") if args.entry == "both" else (args.entry,))]
        for tuned, entry in configs:
            name = ("served" if tuned else "default") + ("" if entry == "app" else f" ({entry})")
            print(f"… {name} configuration", flush=True)
            if results:  # views the previous configuration computed must not count as precomputed
                shutil.rmtree(Path(tmp) / "cache" / "visninger", ignore_errors=True)
                precompute(args, Path(tmp), force=True)
            try:
                results.append(asyncio.run(run_config(tuned, args, Path(tmp), entry)))
            except Exception as exc:  # noqa: BLE001 - report what failed, keep the other configuration
                results.append({"config": name, "failed": repr(exc)[:300]})
            print(json.dumps({k: v for k, v in results[-1].items() if k != "runs"}, ensure_ascii=False), flush=True)
    load = os.getloadavg()
    print()
    print(f"bench-apps ({'quick' if args.quick else 'full'}), app {args.app}, {os.cpu_count()} CPUs, "
          f"load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}")
    print(table(results, args))
    for r in results:
        if r.get("failed"):
            print(f"{r['config']}: FAILED {r['failed']}")
        if r.get("error_examples"):
            print(f"{r['config']}: errors e.g. {r['error_examples']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
