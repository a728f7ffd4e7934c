// Helpers around containers: actions, port links, the state an event implies.
import { api, seg } from "../api/client";
import type { ContainerState } from "../api/types/ContainerState";
import type { Host } from "../api/types/Host";
import type { PortMapping } from "../api/types/PortMapping";

export type Action = "start" | "stop" | "restart" | "kill" | "pause" | "unpause";

export const containerPath = (host: string, id: string) => `/hosts/${seg(host)}/containers/${seg(id)}`;

export function act(host: string, id: string, action: Action) {
  return api<void>(`${containerPath(host, id)}/${action}`, { method: "POST" });
}

export function removeContainer(host: string, id: string, force: boolean, volumes = false) {
  return api<void>(containerPath(host, id), { method: "DELETE", query: { force, volumes } });
}

/** Runs `fn` over `items`, at most `limit` at a time; reports what failed. */
export async function runAll<T>(items: T[], fn: (t: T) => Promise<unknown>, limit = 6) {
  const failed: { item: T; error: unknown }[] = [];
  let i = 0;
  const worker = async () => {
    while (i < items.length) {
      const item = items[i++];
      try {
        await fn(item);
      } catch (error) {
        failed.push({ item, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return failed;
}

/** The state a Docker event leaves a container in, when it says. */
export function stateAfter(action: string): ContainerState | "gone" | null {
  const a = action.split(":")[0];
  switch (a) {
    case "start": case "unpause": case "restart": return "running";
    case "die": case "stop": case "kill": case "oom": return a === "kill" ? null : "exited";
    case "pause": return "paused";
    case "destroy": return "gone";
    default: return null;
  }
}

/** A browser link for a published port, when the port is published. */
export function portLink(p: PortMapping, host: Host | undefined): string | null {
  if (!p.host_port || p.protocol !== "tcp") return null;
  let addr = p.host_ip && !["0.0.0.0", "::", ""].includes(p.host_ip) ? p.host_ip : null;
  if (!addr && host?.url.startsWith("tcp://")) {
    addr = host.url.slice(6).split(":")[0] ?? null;
  }
  addr ??= location.hostname;
  if (addr.includes(":")) addr = `[${addr}]`;
  const scheme = [443, 8443].includes(p.container_port) ? "https" : "http";
  return `${scheme}://${addr}:${p.host_port}`;
}

export function portText(p: PortMapping): string {
  return p.host_port ? `${p.host_port}→${p.container_port}/${p.protocol}` : `${p.container_port}/${p.protocol}`;
}
