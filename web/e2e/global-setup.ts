// Starts a real `berth serve` for the tests: a free port on 127.0.0.1 and a fresh data directory.
// Like a fresh install, no admin password is configured: Berth logs a one-time password, which
// the first test signs in with and must change.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";


function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
    srv.on("error", fail);
  });
}

export default async function globalSetup() {
  const target = process.env.CARGO_TARGET_DIR ?? resolve(import.meta.dirname, "../../target");
  const bin = process.env.BERTH_BIN ?? join(target, "debug", "berth");
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "berth-e2e-"));
  const url = `http://127.0.0.1:${port}`;
  // vantage6 configurations go to a fresh folder, never the machine's own ~/.config/vantage6
  const v6 = join(dataDir, "vantage6");
  const env: NodeJS.ProcessEnv = {
    ...process.env, BERTH_LOG_LEVEL: "warn", BERTH_LOG_FORMAT: "text",
    BERTH_V6_USER_CONFIG_DIR: join(v6, "user-config"), BERTH_V6_SYSTEM_CONFIG_DIR: join(v6, "system-config"),
    BERTH_V6_USER_DATA_DIR: join(v6, "user-data"), BERTH_V6_USER_LOG_DIR: join(v6, "user-log"),
    BERTH_V6_SYSTEM_DATA_DIR: join(v6, "system-data"),
  };
  delete env.BERTH_ADMIN_PASSWORD;
  delete env.BERTH_ADMIN_PASSWORD_FILE;
  const child: ChildProcess = spawn(bin, ["serve", "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir, "--poll-interval", "1"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let firstPassword = "";
  const scan = (chunk: Buffer) => {
    const text = chunk.toString();
    const m = text.match(/one-time password (\S+)/);
    if (m) firstPassword = m[1];
    else process.stderr.write(text);
  };
  child.stdout?.on("data", scan);
  child.stderr?.on("data", scan);
  let exited = false;
  child.on("exit", () => {
    exited = true;
  });
  try {
    await waitReady(url, () => exited, bin, () => firstPassword);
  } catch (e) {
    child.kill("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  process.env.BERTH_E2E_URL = url;
  process.env.BERTH_E2E_FIRST_PASSWORD = firstPassword;
  process.env.BERTH_E2E_V6_DIR = v6;
  return async () => {
    child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    rmSync(dataDir, { recursive: true, force: true });
  };
}

async function waitReady(url: string, exited: () => boolean, bin: string, firstPassword: () => string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited()) throw new Error(`${bin} exited at start (is it built? cargo build -p berth)`);
    try {
      const r = await fetch(`${url}/health`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`berth did not answer at ${url} within 30 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  // the UI must be the real app, not the "UI was not built" page
  const index = await (await fetch(`${url}/`)).text();
  if (!index.includes("/assets/")) throw new Error("berth serves no built UI: run `npm run build` in web/ and rebuild berth");
  for (let i = 0; !firstPassword() && i < 50; i++) await new Promise((r) => setTimeout(r, 100));
  if (!firstPassword()) throw new Error("berth logged no one-time admin password");
}
