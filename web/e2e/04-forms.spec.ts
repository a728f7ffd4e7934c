// Forms that talk back: the create form shows the API's field error at the field, and an image
// pull shows its progress from the task stream.
import { expect, test } from "@playwright/test";
import { IMAGE, docker, login, unique } from "./helpers";

test("the create form shows the API's error at the field, then creates the container", async ({ page }) => {
  const name = unique("e2e-form");
  try {
    await login(page);
    await page.goto("/containers/new");
    await page.getByLabel("Image").fill(IMAGE);
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByLabel("Command").fill("sleep 300");
    await page.getByRole("button", { name: "+ Add port" }).click();
    await page.getByLabel("Container port").fill("70000");
    await page.getByRole("button", { name: "Create container" }).click();
    const error = page.locator('[data-field="ports.0.container_port"] .field-error');
    await expect(error).toBeVisible();
    await expect(error).toContainText(/65535|port/i);

    await page.getByLabel("Container port").fill("80");
    await page.getByRole("button", { name: "Create container" }).click();
    await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
    await expect(page.locator(".page-header [data-state]")).toHaveText("running");
  } finally {
    try {
      docker("rm", "-f", name);
    } catch {
      // not created
    }
  }
});

test("an image pull shows live progress", async ({ page }) => {
  const registry = process.env.BERTH_TEST_REGISTRY;
  // scripts/test-env.sh starts the registry and sets this; without it the test cannot run.
  if (!registry) throw new Error("BERTH_TEST_REGISTRY is not set: run scripts/test-env.sh and source /run/berth-test/env");
  const ref = `${registry}/berth-test/busybox:latest`;
  try {
    docker("rmi", ref);
  } catch {
    // not there
  }
  await login(page);
  await page.goto("/images");
  await page.getByLabel("Image", { exact: true }).fill(ref);
  await page.getByRole("button", { name: "Pull" }).click();
  const progress = page.getByTestId("pull-progress");
  await expect(progress).toBeVisible();
  await expect(progress).toContainText("succeeded", { timeout: 30_000 });
  await expect(page.locator(".toast-ok")).toContainText(`Pulled ${ref}`);
  await expect(page.getByRole("cell", { name: ref })).toBeVisible();
});
