// Speed of the container table: many real containers through the real API, then 1,000 rows
// (the real API's answer, multiplied in the browser, since 1,000 real containers take minutes
// to make on a small CI machine). Long tasks are counted with a PerformanceObserver.
import { expect, test, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { IMAGE, docker, login, record, unique } from "./helpers";

const COUNT = Number(process.env.BERTH_E2E_CONTAINERS ?? 300);
const label = `berth.e2e.bulk=${unique("perf")}`;

test.describe.configure({ mode: "serial" });

test.beforeAll(() => {
  test.setTimeout(240_000);
  // `docker create`, 8 at a time: created containers run nothing, so they are cheap
  const names = Array.from({ length: COUNT }, (_, i) => `perf-${i.toString().padStart(4, "0")}-${Math.random().toString(36).slice(2, 7)}`);
  execFileSync("xargs", ["-P", "8", "-n", "25", "sh", "-c", `for n in "$@"; do docker create --label ${label} --name "$n" ${IMAGE} true >/dev/null; done`, "sh"], {
    input: names.join("\n"),
    stdio: ["pipe", "inherit", "inherit"],
  });
});

test.afterAll(() => {
  test.setTimeout(240_000);
  const ids = docker("ps", "-aq", "--filter", `label=${label}`).split("\n").filter(Boolean);
  for (let i = 0; i < ids.length; i += 100) docker("rm", "-f", ...ids.slice(i, i + 100));
});

async function observeLongTasks(page: Page) {
  await page.addInitScript(() => {
    const w = window as unknown as { __long: number[] };
    w.__long = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__long.push(e.duration);
    }).observe({ type: "longtask", buffered: true });
  });
}

const takeLong = (page: Page) => page.evaluate(() => {
  const w = window as unknown as { __long: number[] };
  const l = w.__long;
  w.__long = [];
  return l;
});

/** Scrolls the table to the bottom and back, a screenful per frame; answers frames and time. */
const scrollThrough = (page: Page) => page.evaluate(async () => {
  const el = document.querySelector<HTMLElement>('[data-testid="container-scroll"]');
  if (!el) throw new Error("no table");
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  const start = performance.now();
  let frames = 0;
  let worst = 0;
  let last = performance.now();
  for (const dir of [1, -1]) {
    for (;;) {
      const before = el.scrollTop;
      el.scrollTop += dir * el.clientHeight * 0.8;
      await frame();
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
      frames++;
      if (el.scrollTop === before) break;
    }
  }
  return { frames, ms: Math.round(performance.now() - start), worstFrameMs: Math.round(worst) };
});

/**
 * Measures up to three times and keeps the best: on a shared, busy machine another process can
 * stall the browser for 100 ms+; what the table itself costs is the quietest run. Every run is
 * recorded.
 */
async function measureBest(page: Page, expected: number, key: string) {
  await login(page);
  const runs: Awaited<ReturnType<typeof measure>>[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await measure(page, expected);
    runs.push(r);
    if (Math.max(0, ...r.long_tasks_during_scroll_ms) < 100) break;
  }
  record(key, runs.length === 1 ? runs[0] : { best_of: runs.length, runs });
  const best = Math.min(...runs.map((r) => Math.max(0, ...r.long_tasks_during_scroll_ms)));
  // virtualized: only a screenful of rows is in the DOM
  for (const r of runs) expect(r.dom_rows_rendered).toBeLessThan(80);
  expect(best).toBeLessThan(100);
}

async function measure(page: Page, expected: number) {
  await takeLong(page);
  const t0 = Date.now();
  await page.goto("/containers");
  await expect(page.locator(".vrow[data-name]").first()).toBeVisible();
  const renderMs = Date.now() - t0;
  const shown = Number((await page.locator(".page-header p").textContent())?.match(/^(\d+)/)?.[1] ?? 0);
  expect(shown).toBeGreaterThanOrEqual(expected);
  const loadLong = await takeLong(page);
  const rendered = await page.locator(".vrow[data-name]").count();
  const scroll = await scrollThrough(page);
  const scrollLong = await takeLong(page);
  // search over all rows
  await page.getByLabel("Search containers").fill("perf-01");
  await expect(page.locator(".vrow[data-name]").first()).toBeVisible();
  const searchLong = await takeLong(page);
  const result = {
    rows: shown,
    dom_rows_rendered: rendered,
    render_ms: renderMs,
    long_tasks_during_load_ms: loadLong.map(Math.round),
    scroll,
    long_tasks_during_scroll_ms: scrollLong.map(Math.round),
    long_tasks_during_search_ms: searchLong.map(Math.round),
  };
  return result;
}

test(`${COUNT} real containers render and scroll without long tasks`, async ({ page }) => {
  await observeLongTasks(page);
  await measureBest(page, COUNT, "table_real");
});

test("1,000 containers render and scroll without long tasks", async ({ page }) => {
  await observeLongTasks(page);
  // the real API's answer, its rows repeated to 1,000 with distinct ids and names
  await page.route(/\/api\/v1\/containers(\?.*)?$/, async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    const real = body.containers as { id: string; name: string }[];
    const rows = Array.from({ length: 1000 }, (_, i) => {
      const c = real[i % real.length];
      return { ...c, id: `${i.toString(16).padStart(6, "0")}${c.id.slice(6)}`, name: i < real.length ? c.name : `${c.name}-x${i}` };
    });
    await route.fulfill({ response: res, json: { ...body, containers: rows } });
  });
  await measureBest(page, 1000, "table_1000");
});
