import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { describeError } from "../api/client";

export interface Toast {
  id: number;
  kind: "ok" | "error" | "info";
  message: string;
  requestId?: string | null;
}

interface ToastApi {
  ok: (message: string) => void;
  info: (message: string) => void;
  error: (e: unknown, prefix?: string) => void;
}

const Ctx = createContext<ToastApi | null>(null);
let next = 1;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const dismiss = useCallback((id: number) => setToasts((t) => t.filter((x) => x.id !== id)), []);
  const push = useCallback((t: Omit<Toast, "id">) => {
    const id = next++;
    setToasts((old) => [...old.slice(-4), { ...t, id }]);
    setTimeout(() => dismiss(id), t.kind === "error" ? 10000 : 4000);
  }, [dismiss]);
  const api = useMemo<ToastApi>(() => ({
    ok: (message) => push({ kind: "ok", message }),
    info: (message) => push({ kind: "info", message }),
    error: (e, prefix) => {
      const d = describeError(e);
      push({ kind: "error", message: prefix ? `${prefix}: ${d.message}` : d.message, requestId: d.requestId });
    },
  }), [push]);
  return (
    <Ctx.Provider value={api}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`}>
            <div>
              <div>{t.message}</div>
              {t.requestId && <div className="muted small mono">request id {t.requestId}</div>}
            </div>
            <button className="icon-btn" aria-label="Dismiss" onClick={() => dismiss(t.id)}>×</button>
          </div>
        ))}
      </div>
    </Ctx.Provider>
  );
}

export function useToast(): ToastApi {
  const v = useContext(Ctx);
  if (!v) throw new Error("useToast outside ToastProvider");
  return v;
}
