// Editing a vantage6 node's configuration in the browser, against the real server and its files:
// the form opens prefilled from the stored file, a bad value is shown at its field, a good edit is
// saved and shown, and what the form does not show (an unmodelled key, the API key) stays in the
// file. Viewers get no edit action.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { PASSWORD, SHOTS, login, unique } from "./helpers";

const V6 = process.env.BERTH_E2E_V6_DIR ?? "/tmp";

/** A call to the API as the signed-in admin (the session cookie and its CSRF token). */
async function adminApi(page: Page, method: "POST" | "DELETE", path: string, data?: unknown) {
  const me = await (await page.request.get("/api/v1/auth/me")).json();
  const res = await page.request.fetch(`/api/v1${path}`, { method, data, headers: { "x-csrf-token": me.csrf_token } });
  expect(res.ok(), `${method} ${path}: ${await res.text()}`).toBeTruthy();
  return res;
}

/** A node made through the API, with a key Berth does not model added to its file by hand. */
async function makeNode(page: Page) {
  const name = unique("e2e-edit");
  const data = join(V6, "e2e-edit-data");
  mkdirSync(data, { recursive: true });
  const csv = join(data, "patients.csv");
  writeFileSync(csv, "id,age\n1,42\n");
  await adminApi(page, "POST", "/vantage6/nodes", {
    name, api_key: "e2e-edit-secret-key", server_url: "https://v6.example.org",
    databases: [{ label: "default", uri: csv, type: "csv", read_only: true }],
    extra_env: { EXTRA_ONE: "1" },
  });
  const file = join(V6, "user-config", "node", `${name}.yaml`);
  appendFileSync(file, "vpn_subnet: 10.76.0.0/16\n");
  return { name, csv, file };
}

test("a node's configuration is edited through the prefilled form, a bad value is shown at its field", async ({ page }) => {
  await login(page);
  const { name, csv, file } = await makeNode(page);
  await page.goto("/vantage6/nodes");
  const row = page.locator(`tr[data-node="${name}"]`);
  await expect(row).toContainText("no container");
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, "v6-nodes-list-edit-light-1366.png") });
  await row.getByRole("link", { name: "Edit", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: `Edit ${name}` })).toBeVisible();
  // prefilled from the stored file; the API key is not part of the form
  await expect(page.getByLabel("Server URL")).toHaveValue("https://v6.example.org");
  await expect(page.getByLabel("Port")).toHaveValue("443");
  await expect(page.getByLabel("URI")).toHaveValue(csv);
  await expect(page.getByLabel("Logging level")).toHaveValue("INFO");
  await expect(page.getByLabel("Variable name")).toHaveValue("EXTRA_ONE");
  await expect(page.getByLabel("API key")).toHaveCount(0);

  // a database file that does not exist: the API's error at the URI field, nothing saved
  await page.getByLabel("Logging level").selectOption("DEBUG");
  await page.getByLabel("URI").fill(join(V6, "e2e-edit-data", "missing.csv"));
  await page.getByRole("button", { name: "Save node" }).click();
  const err = page.locator('[data-field="databases[0].uri"] .field-error');
  await expect(err).toContainText("does not exist");
  // once, at that field: not repeated for the list, nor marking the row's other fields
  await expect(page.getByRole("alert").filter({ hasText: "does not exist" })).toHaveCount(1);
  await expect(page.locator('[data-field="databases[0].label"]')).not.toHaveClass(/field-invalid/);
  expect(readFileSync(file, "utf8")).toContain("level: INFO");
  await err.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SHOTS, "v6-node-edit-field-error-light-1366.png") });
  // a port that is not a number is named at its field before anything is sent
  await page.getByLabel("URI").fill(csv);
  await page.getByLabel("Port").fill("https");
  await page.getByRole("button", { name: "Save node" }).click();
  await expect(page.locator('[data-field="port"] .field-error')).toContainText("whole number");

  // a good edit: saved, shown on the node's page, and the rest of the file kept
  await page.getByLabel("Port").fill("7601");
  await page.getByLabel("Server URL").fill("http://v6.internal");
  await page.getByRole("button", { name: "Save node" }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(page.locator("dd", { hasText: "http://v6.internal:7601/api" })).toBeVisible();
  await expect(page.locator("dd", { hasText: /^DEBUG$/ })).toBeVisible();
  await expect(page.getByText("e2e-edit-secret-key")).toHaveCount(0);
  await page.screenshot({ path: join(SHOTS, "v6-node-edited-light-1366.png"), fullPage: true });
  const text = readFileSync(file, "utf8");
  expect(text).toContain("level: DEBUG");
  expect(text).toContain("port: 7601");
  expect(text).toMatch(/^vpn_subnet: "?10\.76\.0\.0\/16"?$/m);
  expect(text).toContain("api_key: e2e-edit-secret-key");
  expect(text).toContain("mount_mode: ro");
  expect(text).toContain("EXTRA_ONE:");

  // the edit page again, from the node's page: it shows what was saved
  await page.getByRole("link", { name: "Edit", exact: true }).click();
  await expect(page.getByLabel("Server URL")).toHaveValue("http://v6.internal");
  await expect(page.getByLabel("Logging level")).toHaveValue("DEBUG");
  await page.screenshot({ path: join(SHOTS, "v6-node-edit-light-1366.png"), fullPage: true });
  await adminApi(page, "DELETE", `/vantage6/nodes/${encodeURIComponent(name)}`);
});

test("a viewer gets no edit action on the node list or page, and the edit address says why", async ({ page, browser }) => {
  await login(page);
  const { name } = await makeNode(page);
  const viewer = unique("viewer");
  await adminApi(page, "POST", "/users", { username: viewer, password: PASSWORD, role: "viewer", hosts: null, must_change_password: false });
  const ctx = await browser.newContext();
  const vp = await ctx.newPage();
  await vp.goto("/login");
  await vp.getByLabel("User name").fill(viewer);
  await vp.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await vp.getByRole("button", { name: "Sign in" }).click();
  await expect(vp.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await vp.goto("/vantage6/nodes");
  const row = vp.locator(`tr[data-node="${name}"]`);
  await expect(row).toContainText("no container");
  await expect(row.getByRole("link", { name: "Edit", exact: true })).toHaveCount(0);
  await row.getByRole("link", { name }).click();
  await expect(vp.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(vp.getByRole("link", { name: "Edit", exact: true })).toHaveCount(0);
  await vp.goto(`/vantage6/nodes/${encodeURIComponent(name)}/edit`);
  await expect(vp.getByRole("alert")).toContainText("Only operators and admins may edit");
  await expect(vp.getByRole("button", { name: "Save node" })).toHaveCount(0);
  await ctx.close();
  await adminApi(page, "DELETE", `/vantage6/nodes/${encodeURIComponent(name)}`);
});
