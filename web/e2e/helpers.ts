import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { expect, test, type Page } from "@playwright/test";

export const ADMIN = "admin";
/** The one-time password the fresh server logged (see global-setup.ts). */
export const FIRST_PASSWORD = process.env.BERTH_E2E_FIRST_PASSWORD ?? "";
export const PASSWORD = "a-much-better-passphrase-42";
export const IMAGE = process.env.BERTH_TEST_IMAGE ?? "berth-test/busybox:latest";
export const SHOTS = join(import.meta.dirname, "screenshots");

export function docker(...args: string[]): string {
  return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

export function unique(prefix: string) {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

/** Signs in; when the first password is still in force (a spec run alone), changes it first. */
export async function login(page: Page) {
  await page.goto("/login");
  await page.getByLabel("User name").fill(ADMIN);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  const dashboard = page.getByRole("heading", { name: "Dashboard" });
  await expect(dashboard.or(page.locator(".form-error"))).toBeVisible();
  if (await dashboard.isVisible()) return;
  await page.getByLabel("Password", { exact: true }).fill(FIRST_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Current password").fill(FIRST_PASSWORD);
  await page.getByLabel("New password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Repeat the new password").fill(PASSWORD);
  await page.getByRole("button", { name: "Save and continue" }).click();
  await expect(dashboard).toBeVisible();
}

/** Numbers the tests measured: gathered in one file, and shown in the test report. Call it inside a test. */
export function record(key: string, value: unknown) {
  const file = join(import.meta.dirname, "..", "test-results", "metrics.json");
  mkdirSync(join(import.meta.dirname, "..", "test-results"), { recursive: true });
  const all = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  all[key] = value;
  writeFileSync(file, JSON.stringify(all, null, 2));
  test.info().annotations.push({ type: "metric", description: `${key} = ${JSON.stringify(value)}` });
}
