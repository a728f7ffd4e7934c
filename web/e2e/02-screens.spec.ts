// A screenshot of every main page, light and dark, desktop and phone width (390 px), saved to
// e2e/screenshots/ for people to look at. Each page must also render without an error state.
import { expect, test, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { IMAGE, SHOTS, docker, login, unique } from "./helpers";

test.describe.configure({ mode: "serial" });

const prefix = unique("shot");
const web = `${prefix}-web`;

test.beforeAll(() => {
  mkdirSync(SHOTS, { recursive: true });
  docker("run", "-d", "--name", web, "--label", "berth.e2e=1", "--label", "app=demo", "-p", "127.0.0.1::80", IMAGE,
    "sh", "-c", "echo 'serving on :80'; echo 'warning: demo only' >&2; i=0; while true; do i=$((i+1)); echo \"request $i GET / 200\"; sleep 1; done");
  docker("run", "-d", "--name", `${prefix}-worker`, "--label", "berth.e2e=1", "--label", "app=demo", IMAGE, "sleep", "300");
  docker("create", "--name", `${prefix}-job`, "--label", "berth.e2e=1", IMAGE, "true");
  docker("run", "-d", "--name", `${prefix}-paused`, "--label", "berth.e2e=1", IMAGE, "sleep", "300");
  docker("pause", `${prefix}-paused`);
});

test.afterAll(() => {
  for (const n of [web, `${prefix}-worker`, `${prefix}-job`, `${prefix}-paused`]) {
    try {
      docker("rm", "-f", n);
    } catch {
      // gone
    }
  }
});

const PAGES: { name: string; path: string; heading: RegExp | string; wait?: (p: Page) => Promise<void> }[] = [
  { name: "dashboard", path: "/", heading: "Dashboard", wait: (p) => p.locator(".host-card").first().waitFor() },
  { name: "containers", path: "/containers", heading: "Containers", wait: (p) => p.locator(".vrow[data-name]").first().waitFor() },
  { name: "container-overview", path: `/containers/local/${web}`, heading: web },
  { name: "container-logs", path: `/containers/local/${web}?tab=logs`, heading: web, wait: (p) => p.getByTestId("logs").getByText("GET / 200").last().waitFor() },
  { name: "container-terminal", path: `/containers/local/${web}?tab=terminal`, heading: web, wait: (p) => p.getByText("connected", { exact: true }).waitFor() },
  { name: "container-stats", path: `/containers/local/${web}?tab=stats`, heading: web, wait: (p) => p.waitForTimeout(3500) },
  { name: "container-inspect", path: `/containers/local/${web}?tab=inspect`, heading: web },
  { name: "container-new", path: "/containers/new", heading: "New container" },
  { name: "images", path: "/images", heading: "Images", wait: (p) => p.locator("table").waitFor() },
  { name: "volumes", path: "/volumes", heading: "Volumes" },
  { name: "networks", path: "/networks", heading: "Networks", wait: (p) => p.locator("table").waitFor() },
  { name: "hosts", path: "/hosts", heading: "Hosts", wait: (p) => p.locator("table").waitFor() },
  { name: "users", path: "/users", heading: "Users", wait: (p) => p.locator("table").waitFor() },
  { name: "api-keys", path: "/api-keys", heading: "API keys" },
  { name: "sessions", path: "/sessions", heading: "Sessions", wait: (p) => p.locator("table").waitFor() },
  { name: "audit", path: "/audit", heading: "Audit log", wait: (p) => p.locator("table").waitFor() },
  { name: "settings", path: "/settings", heading: "Settings" },
  { name: "v6-nodes", path: "/vantage6/nodes", heading: "vantage6 nodes", wait: (p) => p.locator("tr[data-node]").first().waitFor() },
  { name: "v6-node-new", path: "/vantage6/nodes/new", heading: "New vantage6 node" },
  { name: "v6-node", path: "/vantage6/nodes/demo-node", heading: "demo-node" },
  { name: "notify-channels", path: "/notifications", heading: "Notifications", wait: (p) => p.locator("tr[data-channel]").first().waitFor() },
  { name: "notify-rules", path: "/notifications?tab=rules", heading: "Notifications", wait: (p) => p.locator("table").waitFor() },
  { name: "schedules", path: "/schedules", heading: "Schedules", wait: (p) => p.locator("tr[data-schedule]").first().waitFor() },
  { name: "webhooks", path: "/webhooks", heading: "Webhooks", wait: (p) => p.locator("tr[data-webhook]").first().waitFor() },
  { name: "notify-deliveries", path: "/notifications?tab=deliveries", heading: "Notifications", wait: (p) => p.locator("table, .state-empty").first().waitFor() },
];

/** A vantage6 node, a channel and a rule for the pages above (once; later calls answer 409). */
async function seed(page: Page) {
  const me = await (await page.request.get("/api/v1/auth/me")).json();
  const headers = { "x-csrf-token": me.csrf_token };
  await page.request.post("/api/v1/vantage6/nodes", { headers, data: {
    name: "demo-node", scope: "user", api_key: "demo-key", server_url: "https://cotopaxi.vantage6.ai", port: null, api_path: null, task_dir: null,
    databases: [{ label: "default", uri: "postgresql://reader@db.example.org/clinic", type: "sql", read_only: false }], logging_level: "INFO",
    encryption: { enabled: false, private_key: null }, policies: { allowed_algorithms: ["^harbor2\\.vantage6\\.ai/.*"], allowed_algorithm_stores: [], allowed_organizations: [], allowed_users: [], allow_either_whitelist_or_store: null },
    extra_env: {}, extra_mounts: [], extra_hosts: {}, docker_registries: [], image: null,
  } });
  const job = { host: "local", container: web, selector: null, tag: null, action: "restart", command: null, image: null, network: null, signal: null, prune: null, max_runtime_secs: null, retries: null, retry_backoff_secs: null };
  const schedules = await (await page.request.get("/api/v1/schedules")).json();
  if (schedules.length === 0) {
    await page.request.post("/api/v1/schedules", { headers, data: { name: "nightly-restart", cron: "30 3 * * MON-FRI", run_at: null, timezone: "UTC", enabled: true, catch_up: false, ...job } });
  }
  const hooks = await (await page.request.get("/api/v1/webhooks")).json();
  if (hooks.length === 0) {
    await page.request.post("/api/v1/webhooks", { headers, data: { name: "deploy-web", signature: "github", secret: "a-shared-secret-of-some-length", rate_limit_per_minute: 10, ...job, action: "update" } });
  }
  const ch = await page.request.post("/api/v1/notifications/channels", { headers, data: { name: "ops-webhook", enabled: true, config: null, url: "generic+https://hooks.example.org/berth" } });
  if (ch.ok()) {
    const c = await ch.json();
    await page.request.post("/api/v1/notifications/rules", { headers, data: { name: "crashes-to-ops", enabled: true, events: ["container_died", "container_oom"], channels: [c.id], hosts: [], tags: [], labels: ["app=demo"], cooldown_secs: 300 } });
  }
}

for (const theme of ["light", "dark"] as const) {
  for (const width of [1366, 390]) {
    test(`every page, ${theme}, ${width} px`, async ({ page, browser }) => {
      test.setTimeout(120_000);
      const size = { width, height: width > 800 ? 860 : 844 };
      const tag = `${theme}-${width}`;
      // signed out first: the login page
      const anon = await browser.newPage({ viewport: size, colorScheme: theme });
      await anon.goto("/login");
      await expect(anon.getByRole("button", { name: "Sign in" })).toBeVisible();
      await anon.screenshot({ path: join(SHOTS, `login-${tag}.png`) });
      await anon.close();

      await page.setViewportSize(size);
      await page.emulateMedia({ colorScheme: theme });
      await login(page);
      await seed(page);
      for (const p of PAGES) {
        await page.goto(p.path);
        await expect(page.getByRole("heading", { level: 1, name: p.heading })).toBeVisible();
        await p.wait?.(page);
        await expect(page.locator(".state-loading")).toHaveCount(0);
        await expect(page.locator(".state-error")).toHaveCount(0);
        await page.screenshot({ path: join(SHOTS, `${p.name}-${tag}.png`) });
      }
      if (width < 800) {
        // the navigation drawer
        await page.getByRole("button", { name: "Open menu" }).click();
        await expect(page.getByRole("link", { name: "Containers" })).toBeVisible();
        await page.waitForTimeout(400); // the drawer's slide
        await page.screenshot({ path: join(SHOTS, `menu-${tag}.png`) });
      } else {
        await page.keyboard.press("?");
        await expect(page.getByRole("heading", { name: "Keyboard shortcuts" })).toBeVisible();
        await page.screenshot({ path: join(SHOTS, `shortcuts-${tag}.png`) });
      }
    });
  }
}
