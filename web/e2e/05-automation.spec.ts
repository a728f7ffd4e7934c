// The pages for vantage6 nodes, notifications and safe updates, against the real server, engine
// and local registry: a viewer sees the nodes, a node configuration is created through the form,
// a webhook channel's test reaches a local receiver, and a container's update is checked and run.
import { createServer, type IncomingMessage } from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { IMAGE, PASSWORD, SHOTS, docker, login, unique } from "./helpers";

/** A call to the API as the signed-in admin (the session cookie and its CSRF token). */
async function adminApi(page: Page, method: "POST" | "DELETE", path: string, data?: unknown) {
  const me = await (await page.request.get("/api/v1/auth/me")).json();
  const res = await page.request.fetch(`/api/v1${path}`, { method, data, headers: { "x-csrf-token": me.csrf_token } });
  expect(res.ok(), `${method} ${path}: ${await res.text()}`).toBeTruthy();
  return res;
}

test("a viewer sees the nodes page and the dashboard's nodes card, without write actions", async ({ page, browser }) => {
  await login(page);
  const viewer = unique("viewer");
  await adminApi(page, "POST", "/users", { username: viewer, password: PASSWORD, role: "viewer", hosts: null, must_change_password: false });
  const ctx = await browser.newContext();
  const vp = await ctx.newPage();
  await vp.goto("/login");
  await vp.getByLabel("User name").fill(viewer);
  await vp.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await vp.getByRole("button", { name: "Sign in" }).click();
  await expect(vp.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(vp.getByTestId("nodes-card")).toContainText("Total");
  // notifications are for admins only
  await expect(vp.getByRole("link", { name: "Notifications" })).toHaveCount(0);
  await vp.getByRole("link", { name: "vantage6 nodes" }).first().click();
  await expect(vp.getByRole("heading", { level: 1, name: "vantage6 nodes" })).toBeVisible();
  await expect(vp.locator(".state-error")).toHaveCount(0);
  await expect(vp.getByRole("link", { name: "New node" })).toHaveCount(0);
  await ctx.close();
});

test("a node configuration is created through the form and listed with no container", async ({ page }) => {
  const name = unique("e2e-node");
  const data = join(process.env.BERTH_E2E_V6_DIR ?? "/tmp", "e2e-data");
  mkdirSync(data, { recursive: true });
  const csv = join(data, "patients.csv");
  writeFileSync(csv, "id,age\n1,42\n");
  await login(page);
  await page.goto("/vantage6/nodes");
  await page.getByRole("link", { name: "New node" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "New vantage6 node" })).toBeVisible();
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Server URL").fill("cotopaxi.vantage6.ai");
  await page.getByLabel("API key").fill("e2e-secret-api-key");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByLabel("API key")).toHaveAttribute("type", "text");
  await page.getByLabel("URI").fill(csv);
  // the API's error is shown at its field
  await page.getByRole("button", { name: "Create node" }).click();
  const err = page.locator('[data-field="server_url"] .field-error');
  await expect(err).toContainText("http");
  mkdirSync(SHOTS, { recursive: true });
  await err.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SHOTS, "v6-node-new-field-error-light-1366.png") });
  await page.getByLabel("Server URL").fill("https://cotopaxi.vantage6.ai");
  await page.getByRole("button", { name: "Create node" }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(page.getByText("API key set")).toBeVisible();
  await expect(page.getByText("e2e-secret-api-key")).toHaveCount(0);
  await expect(page.getByText("Start the node to see its logs")).toBeVisible();

  await page.getByRole("link", { name: "vantage6 nodes" }).first().click();
  const row = page.locator(`tr[data-node="${name}"]`);
  await expect(row).toContainText("no container");
  await expect(row).toContainText("default · csv");
  await expect(row.getByRole("button", { name: "Start" })).toBeVisible();
  // delete it again from its page
  await row.getByRole("link", { name }).click();
  await page.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "vantage6 nodes" })).toBeVisible();
  await expect(page.locator(`tr[data-node="${name}"]`)).toHaveCount(0);
});

test("a webhook channel's test reaches a local receiver and shows sent", async ({ page }) => {
  const got: { body: string; req: IncomingMessage }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      got.push({ body, req });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as { port: number }).port;
  const name = unique("hook");
  try {
    await login(page);
    await page.getByRole("link", { name: "Notifications" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Notifications" })).toBeVisible();
    await page.getByRole("button", { name: "New channel" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Name", { exact: true }).fill(name);
    await dialog.getByLabel("Kind", { exact: true }).selectOption("webhook");
    await dialog.getByLabel("URL", { exact: true }).fill("not a url");
    await dialog.getByRole("button", { name: "Create channel" }).click();
    await expect(dialog.locator('[data-field="config.url"] .field-error')).toBeVisible();
    await dialog.getByLabel("URL", { exact: true }).fill(`http://127.0.0.1:${port}/hook`);
    await dialog.getByRole("button", { name: "Create channel" }).click();
    const row = page.locator(`tr[data-channel="${name}"]`);
    await expect(row).toContainText("webhook");
    await row.getByRole("button", { name: "Send test" }).click();
    await expect(row.getByTestId("test-outcome")).toHaveText("sent");
    await page.screenshot({ path: join(SHOTS, "notify-channel-test-sent-light-1366.png") });
    expect(got.length).toBeGreaterThan(0);
    expect(got[0].req.url).toBe("/hook");

    // the send is listed among the deliveries, filtered by its channel
    await page.getByRole("tab", { name: "Deliveries" }).click();
    await page.getByLabel("Channel").selectOption({ label: name });
    const deliveries = page.getByTestId("deliveries");
    await expect(deliveries).toContainText(name);
    await expect(deliveries).toContainText("sent");

    // a rule sends container deaths to it
    await page.getByRole("tab", { name: "Rules" }).click();
    await page.getByRole("button", { name: "New rule" }).click();
    await page.getByRole("dialog").getByLabel("Name").fill(`${name}-rule`);
    await page.getByRole("dialog").getByLabel(name).check();
    await page.getByRole("dialog").getByRole("button", { name: "Create rule" }).click();
    await expect(page.getByRole("cell", { name: `${name}-rule` })).toBeVisible();
  } finally {
    // the rule would otherwise send the other tests' container events to a closed receiver
    for (const kind of ["rules", "channels"]) {
      const all = (await (await page.request.get(`/api/v1/notifications/${kind}`)).json()) as { id: number; name: string }[];
      for (const x of all.filter((x) => x.name.startsWith(name))) await adminApi(page, "DELETE", `/notifications/${kind}/${x.id}`);
    }
    server.close();
  }
});

test("the container page checks for an update, then updates", async ({ page }) => {
  const registry = process.env.BERTH_TEST_REGISTRY;
  // scripts/test-env.sh starts the registry and sets this; without it the test cannot run.
  if (!registry) throw new Error("BERTH_TEST_REGISTRY is not set: run scripts/test-env.sh and source /run/berth-test/env");
  test.setTimeout(120_000);
  const alt = process.env.BERTH_TEST_IMAGE_ALT ?? "berth-test/busybox:alt";
  const ref = `${registry}/berth-test/${unique("e2e-upd")}:latest`;
  const name = unique("e2e-upd");
  try {
    docker("tag", IMAGE, ref);
    docker("push", ref);
    docker("run", "-d", "--name", name, "--label", "berth.e2e=1", ref, "sleep", "300");
    await login(page);
    await page.goto(`/containers/local/${name}`);
    const panel = page.getByTestId("update-panel");
    await panel.getByRole("button", { name: "Check for update" }).click();
    await expect(panel.getByTestId("update-check")).toContainText("Up to date", { timeout: 30_000 });

    // a newer image in the registry
    docker("tag", alt, ref);
    docker("push", ref);
    docker("tag", IMAGE, ref);
    await panel.getByRole("button", { name: "Check for update" }).click();
    await expect(panel.getByTestId("update-check")).toContainText("Update available", { timeout: 30_000 });
    await panel.getByRole("button", { name: "Update", exact: true }).click();
    await expect(panel.getByTestId("update-progress")).toBeVisible();
    await expect(page.getByTestId("update-outcome")).toContainText("Updated", { timeout: 60_000 });
    await page.getByTestId("update-panel").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, "container-update-outcome-light-1366.png") });
  } finally {
    for (const args of [["rm", "-f", name], ["rmi", ref]]) {
      try {
        docker(...args);
      } catch {
        // gone
      }
    }
  }
});
