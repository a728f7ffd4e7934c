// One WebSocket on /api/v1/events for the whole app, shared by every page that wants live
// Docker events; it reconnects with backoff and keeps the last few events for the dashboard.
import { useEffect, useState, useSyncExternalStore } from "react";
import { wsUrl } from "../api/client";
import type { DockerEvent } from "../api/types/DockerEvent";

type Listener = (e: DockerEvent) => void;
export type Conn = "connecting" | "open" | "closed";

const listeners = new Set<Listener>();
const stateListeners = new Set<() => void>();
let recent: DockerEvent[] = [];
let socket: WebSocket | null = null;
let state: Conn = "closed";
let retry = 0;
let timer: number | undefined;
let wanted = false;

function setState(s: Conn) {
  state = s;
  stateListeners.forEach((l) => l());
}

function connect() {
  if (!wanted || socket) return;
  setState("connecting");
  const ws = new WebSocket(wsUrl("/events"));
  socket = ws;
  ws.onopen = () => {
    retry = 0;
    setState("open");
  };
  ws.onmessage = (m) => {
    let msg: DockerEvent;
    try {
      msg = JSON.parse(String(m.data));
    } catch {
      return;
    }
    if (msg.type !== "event") return;
    recent = [msg, ...recent].slice(0, 50);
    listeners.forEach((l) => l(msg));
    stateListeners.forEach((l) => l());
  };
  ws.onclose = () => {
    socket = null;
    setState("closed");
    if (!wanted) return;
    const delay = Math.min(15000, 500 * 2 ** retry++);
    timer = window.setTimeout(connect, delay);
  };
}

/** Opens the stream (after sign-in). */
export function startEvents() {
  wanted = true;
  connect();
}

/** Closes it (on sign-out). */
export function stopEvents() {
  wanted = false;
  window.clearTimeout(timer);
  socket?.close();
  socket = null;
  recent = [];
}

/** Calls `fn` for every event while the component is mounted. */
export function useDockerEvents(fn: Listener) {
  useEffect(() => {
    listeners.add(fn);
    return () => {
      listeners.delete(fn);
    };
  }, [fn]);
}

let snapshot: { state: Conn; recent: DockerEvent[] } = { state, recent };
function getSnapshot() {
  if (snapshot.state !== state || snapshot.recent !== recent) snapshot = { state, recent };
  return snapshot;
}
function subscribe(l: () => void) {
  stateListeners.add(l);
  return () => {
    stateListeners.delete(l);
  };
}

/** The connection state and the latest events. */
export function useEventFeed() {
  return useSyncExternalStore(subscribe, getSnapshot);
}

/** Re-renders every `ms` (for "3 s ago" labels). */
export function useNow(ms = 10000) {
  const [, set] = useState(0);
  useEffect(() => {
    const t = window.setInterval(() => set((x) => x + 1), ms);
    return () => window.clearInterval(t);
  }, [ms]);
}
