// Schedules, webhooks and tags in the UI, against the real server and engine: the cron field reads
// back in words and the API's next five runs are listed; "Run now" restarts the container and the
// run shows in the history; a webhook's URL is shown once and works; a container gets a tag,
// which the containers table shows and filters by.
import { expect, test } from "@playwright/test";
import { IMAGE, docker, login, unique } from "./helpers";

test("a schedule is created with its cron in words, lists its next five runs, and runs now", async ({ page }) => {
  const name = unique("e2e-sched");
  const box = unique("e2e-sched-box");
  try {
    docker("run", "-d", "--name", box, "--label", "berth.e2e=1", IMAGE, "sleep", "300");
    await login(page);
    await page.getByRole("link", { name: "Schedules" }).click();
    await page.getByRole("button", { name: "New schedule" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Name").fill(name);
    await dialog.getByLabel("Cron", { exact: true }).fill("30 3 * * MON-FRI");
    await expect(dialog.getByTestId("cron-words")).toHaveText("At 03:30 on Monday to Friday");
    await dialog.getByLabel("Time zone").fill("UTC");
    await dialog.getByLabel("Container").fill(box);
    await dialog.getByLabel("Action").selectOption("restart");
    await dialog.getByRole("button", { name: "Create schedule" }).click();
    const row = page.locator(`tr[data-schedule="${name}"]`);
    await expect(row).toContainText("At 03:30 on Monday to Friday");
    await expect(row.getByTestId("next-runs").locator("div")).toHaveCount(5);

    await row.getByRole("button", { name: "Run now" }).click();
    await row.getByRole("button", { name: "History" }).click();
    await expect.poll(async () => {
      await page.getByRole("dialog").getByRole("button", { name: "Close" }).click();
      await row.getByRole("button", { name: "History" }).click();
      return (await page.getByTestId("runs").textContent()) ?? "";
    }, { timeout: 20_000 }).toContain("succeeded");
    await page.getByRole("dialog").getByRole("button", { name: "Close" }).click();

    // Edit: the form starts from the schedule as stored, and the list shows the change.
    await row.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("dialog");
    await expect(edit.getByLabel("Container")).toHaveValue(box);
    await edit.getByLabel("Cron", { exact: true }).fill("15 4 * * *");
    await edit.getByRole("button", { name: "Save schedule" }).click();
    await expect(row).toContainText("15 4 * * *");
    await expect(row).toContainText("restart");
  } finally {
    try {
      docker("rm", "-f", box);
    } catch {
      // gone
    }
  }
});

test("a webhook's URL is shown once and starts a run", async ({ page }) => {
  const name = unique("e2e-hook");
  await login(page);
  await page.goto("/webhooks");
  await page.getByRole("button", { name: "New webhook" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByLabel("Target by").selectOption("label");
  await dialog.getByLabel("Label", { exact: true }).fill(`berth.e2e.none=${name}`);
  await dialog.getByLabel("Action").selectOption("restart");
  await dialog.getByRole("button", { name: "Create webhook" }).click();
  const url = (await dialog.getByTestId("webhook-url").textContent()) ?? "";
  expect(url).toContain("/api/v1/hooks/");
  const res = await page.request.post(url);
  expect(res.status()).toBeLessThan(300);
  await dialog.getByRole("button", { name: "Done" }).click();
  const row = page.locator(`tr[data-webhook="${name}"]`);
  await expect(row).toBeVisible();
  await expect(page.getByText(url)).toHaveCount(0);
});

test("a container gets a new tag from its page", async ({ page }) => {
  const box = unique("e2e-tag-box");
  const tag = unique("t").replaceAll("-", "_");
  try {
    docker("run", "-d", "--name", box, "--label", "berth.e2e=1", IMAGE, "sleep", "300");
    await login(page);
    await page.goto(`/containers/local/${box}`);
    const card = page.getByTestId("container-tags");
    await card.getByRole("button", { name: "Edit tags" }).click();
    await page.getByRole("dialog").getByLabel("New tag").fill(tag);
    await page.getByRole("dialog").getByRole("button", { name: "Save" }).click();
    await expect(card).toContainText(tag);
    // The containers table shows the tag under the name and filters by it.
    await page.goto(`/containers?tag=${tag}`);
    const table = page.getByTestId("container-table");
    await expect(table.locator(`[data-name="${box}"]`)).toContainText(tag);
    await expect(table.locator(".vbody [role=row]")).toHaveCount(1);
    await expect(page.getByRole("combobox", { name: "Tag", exact: true })).toHaveValue(tag);
    await page.screenshot({ path: "e2e/screenshots/containers-tag-filter-light-1366.png" });
  } finally {
    try {
      docker("rm", "-f", box);
    } catch {
      // gone
    }
  }
});
