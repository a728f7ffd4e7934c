// What the API offers for images, networks, volumes, engines and a container's processes is
// reachable in the UI too; and the JavaScript the first screen needs stays within its budget.
import { expect, test, type Browser, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { IMAGE, PASSWORD, SHOTS, docker, login, record, unique } from "./helpers";

const prefix = unique("e2e-res");
const box = `${prefix}-box`;
const net = `${prefix}-net`;
const vol = `${prefix}-vol`;
const tagRepo = `berth-e2e/${prefix}`;

test.describe.configure({ mode: "serial" });

test.beforeAll(() => {
  docker("run", "-d", "--name", box, "--label", "berth.e2e=1", IMAGE, "sleep", "300");
  docker("network", "create", "--label", "berth.e2e=1", net);
  docker("volume", "create", "--label", "berth.e2e=1", vol);
});

test.afterAll(() => {
  for (const args of [["rm", "-f", box], ["network", "rm", net], ["volume", "rm", vol], ["rmi", `${tagRepo}:t1`]]) {
    try {
      docker(...args);
    } catch {
      // already gone
    }
  }
});

test("a container's processes are listed on its page", async ({ page }) => {
  await login(page);
  await page.goto(`/containers/local/${box}`);
  await page.getByRole("tab", { name: "Processes" }).click();
  const table = page.getByTestId("processes");
  await expect(table).toContainText("sleep 300");
  await expect(table.locator("th").first()).toBeVisible();
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, "container-processes-light-desktop.png") });
});

test("a line older than the live view is found by searching the whole log", async ({ page }) => {
  const chatty = `${prefix}-chatty`;
  docker("run", "-d", "--name", chatty, "--label", "berth.e2e=1", IMAGE, "sh", "-c",
    "echo before-the-needle; echo needle-early ERROR; echo after-the-needle; i=0; while [ $i -lt 2000 ]; do echo \"filler $i\"; i=$((i+1)); done; sleep 300");
  try {
    await login(page);
    await page.goto(`/containers/local/${chatty}?tab=logs`);
    const logs = page.getByTestId("logs");
    await expect(logs).toContainText("filler 1999");
    // the live view holds the last 500 lines: the needle is not among them
    await page.getByLabel("Search the log").fill("needle-early");
    await expect(page.getByText("0 matching")).toBeVisible();
    await page.getByRole("button", { name: "Search whole log" }).click();
    const panel = page.getByTestId("log-search");
    await expect(panel.getByLabel("Search the whole log")).toHaveValue("needle-early");
    await panel.getByRole("button", { name: "Search" }).click();
    await expect(panel).toContainText("1 match in 2003 lines");
    await expect(panel.locator(".log-hit mark")).toHaveText("needle-early");
    await expect(panel.locator(".log-hit")).toContainText("#2");
    await expect(panel).toContainText("before-the-needle");
    await expect(panel).toContainText("after-the-needle");
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, "log-search-light-desktop.png") });
    // a bad regular expression is shown at the field
    await panel.getByLabel("Regular expression").check();
    await panel.getByLabel("Search the whole log").fill("(unclosed");
    await panel.getByRole("button", { name: "Search" }).click();
    await expect(panel.locator('[data-field="q"] .field-error')).toContainText("regular expression");
  } finally {
    docker("rm", "-f", chatty);
  }
});

test("an image's details show its layers, and a tag added there is listed", async ({ page }) => {
  await login(page);
  await page.goto("/images?host=local");
  await page.getByLabel("Filter images").fill(IMAGE);
  const row = page.locator("tr", { has: page.getByText(IMAGE, { exact: true }) });
  await row.getByRole("button", { name: "Details" }).click();
  const details = page.getByTestId("image-details");
  await expect(details).toContainText(IMAGE);
  await expect(page.getByTestId("image-history").locator("tbody tr").first()).toBeVisible();

  // a bad repository is shown at its field, then a good one tags the image
  await details.getByLabel("Repository").fill("Not A Repo");
  await details.getByRole("button", { name: "Add tag" }).click();
  await expect(details.locator('[data-field="repo"] .field-error')).toBeVisible();
  await details.getByLabel("Repository").fill(tagRepo);
  await details.getByLabel("Tag", { exact: true }).fill("t1");
  await details.getByRole("button", { name: "Add tag" }).click();
  await expect(page.locator(".toast-ok")).toContainText(`Tagged ${tagRepo}:t1`);
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, "image-details-light-desktop.png") });
  expect(docker("image", "inspect", "--format", "{{.Id}}", `${tagRepo}:t1`)).toBe(docker("image", "inspect", "--format", "{{.Id}}", IMAGE));
  await page.getByRole("button", { name: "Close" }).click();
  await page.getByLabel("Filter images").fill(tagRepo);
  await expect(page.locator("tbody").getByText(`${tagRepo}:t1`, { exact: true })).toBeVisible();
});

test("a container is connected to a network and disconnected from its details", async ({ page }) => {
  await login(page);
  await page.goto("/networks?host=local");
  await page.getByLabel("Filter networks").fill(net);
  await page.locator("tr", { hasText: net }).getByRole("button", { name: "Details" }).click();
  const details = page.getByTestId("network-details");
  await expect(details).toContainText("No container is attached");
  await details.getByLabel("Container", { exact: true }).fill(box);
  await details.getByLabel("Aliases").fill("db");
  await details.getByRole("button", { name: "Connect" }).click();
  const attached = page.getByTestId("network-containers").locator(`tr[data-container="${box}"]`);
  await expect(attached).toBeVisible();
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, "network-details-light-desktop.png") });
  // the engine agrees, alias included
  expect(docker("inspect", "--format", `{{json (index .NetworkSettings.Networks "${net}").Aliases}}`, box)).toContain("db");
  await attached.getByRole("button", { name: "Disconnect" }).click();
  await expect(details).toContainText("No container is attached");
  expect(docker("inspect", "--format", "{{json .NetworkSettings.Networks}}", box)).not.toContain(net);
});

test("a volume's details and an engine's information are shown", async ({ page }) => {
  await login(page);
  await page.goto("/volumes?host=local");
  await page.getByLabel("Filter volumes").fill(vol);
  await page.locator("tr", { hasText: vol }).getByRole("button", { name: "Details" }).click();
  const details = page.getByTestId("volume-details");
  await expect(details).toContainText(`/volumes/${vol}/_data`);
  await expect(details).toContainText("berth.e2e");
  await page.getByRole("button", { name: "Close" }).click();

  await page.goto("/hosts");
  await page.locator("tr", { hasText: "unix:///var/run/docker.sock" }).first().getByRole("button", { name: "Info" }).click();
  const info = page.getByTestId("system-info");
  const version = docker("version", "--format", "{{.Server.Version}}");
  await expect(info).toContainText(`Docker ${version}`);
  await expect(info).toContainText("Kernel");
  await page.screenshot({ path: join(SHOTS, "host-info-light-desktop.png") });
});

test("the first screen loads at most 300 KB of gzipped JavaScript", async ({ browser }) => {
  // A fresh context: nothing cached, every script fetched over the wire.
  const context = await browser.newContext();
  const page = await context.newPage();
  await login(page);
  await page.goto("/");
  await page.locator('[data-testid="dashboard"][data-ready="true"] .host-card').first().waitFor();
  const scripts = await page.evaluate(() => performance.getEntriesByType("resource")
    .filter((e) => e.name.endsWith(".js"))
    .map((e) => {
      const r = e as PerformanceResourceTiming;
      return { name: new URL(r.name).pathname, wire: r.encodedBodySize, decoded: r.decodedBodySize };
    }));
  await context.close();
  expect(scripts.length).toBeGreaterThan(0);
  const wire = scripts.reduce((a, s) => a + s.wire, 0);
  const decoded = scripts.reduce((a, s) => a + s.decoded, 0);
  record("initial_js", { files: scripts.length, gzipped_kb: Math.round(wire / 1024), decoded_kb: Math.round(decoded / 1024), scripts });
  // served compressed (the wire size is the gzipped size), and within the budget
  expect(wire).toBeLessThan(decoded);
  expect(wire).toBeLessThanOrEqual(300 * 1024);
  // the terminal and the charts are not part of it
  expect(scripts.map((s) => s.name).join(" ")).not.toMatch(/Terminal|StatsCharts|xterm/i);
});

/** Creates a user with `role` as the signed-in admin, and answers a page signed in as them. */
async function signedInAs(page: Page, browser: Browser, role: string): Promise<Page> {
  const me = await (await page.request.get("/api/v1/auth/me")).json();
  const username = unique(role);
  const res = await page.request.post("/api/v1/users", {
    data: { username, password: PASSWORD, role, hosts: null, must_change_password: false },
    headers: { "x-csrf-token": me.csrf_token },
  });
  expect(res.ok(), await res.text()).toBeTruthy();
  const other = await (await browser.newContext()).newPage();
  await other.goto("/login");
  await other.getByLabel("User name").fill(username);
  await other.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await other.getByRole("button", { name: "Sign in" }).click();
  await expect(other.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  return other;
}

test("container, image and network actions are offered to the roles the API allows them", async ({ page, browser }) => {
  await login(page);
  // operators pull and manage networks, but may not remove, prune or tag images
  const op = await signedInAs(page, browser, "operator");
  await op.goto("/images?host=local");
  await expect(op.getByRole("button", { name: "Pull" })).toBeVisible();
  await op.getByLabel("Filter images").fill(IMAGE);
  const row = op.locator("tr", { has: op.getByText(IMAGE, { exact: true }) });
  await expect(row.getByRole("button", { name: "Details" })).toBeVisible();
  await expect(row.getByRole("button", { name: "Remove" })).toHaveCount(0);
  await expect(op.getByRole("button", { name: "Prune…" })).toHaveCount(0);
  await row.getByRole("button", { name: "Details" }).click();
  await expect(op.getByTestId("image-history")).toBeVisible();
  await expect(op.getByRole("button", { name: "Add tag" })).toHaveCount(0);
  await op.goto("/networks?host=local");
  await expect(op.getByRole("button", { name: "New network" })).toBeVisible();
  await op.context().close();

  // deployers also remove, prune and tag images, and manage networks
  const dep = await signedInAs(page, browser, "deployer");
  await dep.goto("/images?host=local");
  await expect(dep.getByRole("button", { name: "Prune…" })).toBeVisible();
  await dep.getByLabel("Filter images").fill(IMAGE);
  await expect(dep.locator("tr", { has: dep.getByText(IMAGE, { exact: true }) }).getByRole("button", { name: "Remove" })).toBeVisible();
  await dep.goto("/networks?host=local");
  await expect(dep.getByRole("button", { name: "New network" })).toBeVisible();
  // … and run a container's lifecycle, but get no terminal
  await dep.goto(`/containers/local/${box}`);
  await expect(dep.getByRole("button", { name: "Restart" })).toBeVisible();
  await expect(dep.getByRole("tab", { name: "Logs" })).toBeVisible();
  await expect(dep.getByRole("tab", { name: "Terminal" })).toHaveCount(0);
  await dep.context().close();

  // viewers read: no actions, no terminal
  const viewer = await signedInAs(page, browser, "viewer");
  await viewer.goto(`/containers/local/${box}`);
  await expect(viewer.getByRole("tab", { name: "Processes" })).toBeVisible();
  await expect(viewer.getByRole("tab", { name: "Terminal" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: "Restart" })).toHaveCount(0);
  // viewers read an engine's information; testing a host is for admins
  await viewer.goto("/hosts");
  const local = viewer.locator("tr", { hasText: "unix:///var/run/docker.sock" }).first();
  await expect(local.getByRole("button", { name: "Info" })).toBeVisible();
  await expect(local.getByRole("button", { name: "Test" })).toHaveCount(0);
  await viewer.context().close();

  // tenants are offered neither volumes nor networks (the API refuses them both)
  const tenant = await signedInAs(page, browser, "user");
  await expect(tenant.getByRole("link", { name: "Containers" }).first()).toBeVisible();
  await expect(tenant.getByRole("link", { name: "Volumes" })).toHaveCount(0);
  await expect(tenant.getByRole("link", { name: "Networks" })).toHaveCount(0);
  // nor through the keyboard: g then v (volumes) goes nowhere, g then c (containers) works
  await tenant.keyboard.press("g");
  await tenant.keyboard.press("v");
  await tenant.waitForTimeout(300);
  await expect(tenant).not.toHaveURL(/\/volumes/);
  await tenant.keyboard.press("g");
  await tenant.keyboard.press("c");
  await expect(tenant).toHaveURL(/\/containers$/);
  await tenant.context().close();
});
