// The host list, fetched once and shared (pages need names and colours); refreshed on demand.
import { useEffect, useSyncExternalStore } from "react";
import { api } from "../api/client";
import type { Host } from "../api/types/Host";

let hosts: Host[] | undefined;
let error: unknown = null;
let inflight: Promise<void> | null = null;
const subs = new Set<() => void>();
let snap = { hosts, error };

function emit() {
  snap = { hosts, error };
  subs.forEach((s) => s());
}

export function refreshHosts(): Promise<void> {
  if (inflight) return inflight;
  inflight = api<Host[]>("/hosts")
    .then((h) => {
      hosts = h;
      error = null;
    })
    .catch((e) => {
      error = e;
    })
    .finally(() => {
      inflight = null;
      emit();
    });
  return inflight;
}

export function clearHosts() {
  hosts = undefined;
  emit();
}

/** The hosts (loaded on first use). */
export function useHosts() {
  const s = useSyncExternalStore((l) => {
    subs.add(l);
    return () => {
      subs.delete(l);
    };
  }, () => snap);
  useEffect(() => {
    if (hosts === undefined && !inflight) void refreshHosts();
  }, []);
  return s;
}

export function hostColor(list: Host[] | undefined, name: string): string | undefined {
  return list?.find((h) => h.name === name)?.color;
}
