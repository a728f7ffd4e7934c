// Image build and push from the Images page: a Dockerfile typed into the Build dialog becomes an
// image (its output shown live while it builds), the image is listed, and its tag is pushed to the
// local registry, which is then asked whether it arrived.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { IMAGE, SHOTS, docker, login, unique } from "./helpers";

test("a Dockerfile typed in builds an image that is listed and pushed to the registry", async ({ page, request }) => {
  const registry = process.env.BERTH_TEST_REGISTRY;
  // scripts/test-env.sh starts the registry and sets this; without it the test cannot run.
  if (!registry) throw new Error("BERTH_TEST_REGISTRY is not set: run scripts/test-env.sh and source /run/berth-test/env");
  mkdirSync(SHOTS, { recursive: true });
  const name = `berth-test/${unique("e2e-build")}`;
  const tag = `${registry}/${name}:v1`;
  const marker = unique("built-in-the-browser");
  try {
    await login(page);
    await page.goto("/images");
    await page.getByRole("button", { name: "Build…" }).click();
    const build = page.getByRole("dialog", { name: "Build an image" });
    await build.getByLabel("Dockerfile").fill(`FROM ${IMAGE}\nLABEL e2e=build\nRUN ["/bin/busybox","echo","${marker}"]\n`);
    await build.getByLabel("Tag").fill(tag);
    await build.getByRole("button", { name: "Build", exact: true }).click();
    const output = build.getByTestId("build-output");
    await expect(output).toContainText(marker, { timeout: 60_000 });
    await expect(output).toContainText("Step 3/3");
    await expect(build.getByRole("status")).toContainText(`as ${tag}`);
    await page.screenshot({ path: join(SHOTS, "image-build.png") });
    await build.getByRole("button", { name: "Close" }).last().click();
    await expect(page.getByRole("cell", { name: tag })).toBeVisible();
    await page.screenshot({ path: join(SHOTS, "image-list-push.png") });

    await page.getByRole("button", { name: `Push ${tag}` }).click();
    const push = page.getByRole("dialog", { name: "Push an image" });
    await push.getByRole("button", { name: "Push", exact: true }).click();
    await expect(push.getByRole("status")).toContainText(`Pushed ${tag}`, { timeout: 60_000 });
    await expect(push.getByRole("status")).toContainText("sha256:");
    await page.screenshot({ path: join(SHOTS, "image-push.png") });
    const res = await request.get(`http://${registry}/v2/${name}/tags/list`);
    expect(res.status()).toBe(200);
    expect((await res.json()).tags).toEqual(["v1"]);
  } finally {
    try {
      docker("rmi", "-f", tag);
    } catch {
      // not built
    }
  }
});
