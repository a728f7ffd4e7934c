// Background tasks (image pulls, container updates): follow one over its WebSocket.
import { seg, wsUrl } from "../api/client";
import type { Task } from "../api/types/Task";

/** Follows a background task over its WebSocket until it ends. */
export function followTask(id: string, onUpdate: (t: Task) => void): Promise<Task> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(`/tasks/${seg(id)}`));
    let last: Task | null = null;
    ws.onmessage = (m) => {
      try {
        const t = JSON.parse(String(m.data)) as Task;
        if (t.type !== "task") return;
        last = t;
        onUpdate(t);
        if (t.status === "succeeded" || t.status === "failed") {
          ws.close();
          resolve(t);
        }
      } catch {
        // ignore
      }
    };
    ws.onclose = () => (last && (last.status === "succeeded" || last.status === "failed") ? resolve(last) : reject(new Error("the progress stream closed early")));
  });
}
