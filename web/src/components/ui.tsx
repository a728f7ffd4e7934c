// Small building blocks every page uses: states (loading, empty, error), badges, dialogs,
// form fields that show the API's field errors, and a JSON viewer.
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { api, ApiError, describeError } from "../api/client";
import type { ContainerState } from "../api/types/ContainerState";
import { useToast } from "../lib/toast";

export function Spinner({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="state state-loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  const d = describeError(error);
  return (
    <div className="state state-error" role="alert">
      <strong>Something went wrong.</strong>
      <div>{d.message}</div>
      {d.requestId && <div className="muted small mono">request id {d.requestId}</div>}
      {retry && <button className="btn" onClick={retry}>Try again</button>}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <strong>{title}</strong>
      {children && <div className="muted">{children}</div>}
    </div>
  );
}

/** Loading, error, or the content. */
export function Loadable<T>({ data, error, loading, reload, children }: {
  data: T | undefined; error: unknown; loading: boolean; reload?: () => void; children: (d: T) => ReactNode;
}) {
  if (error && data === undefined) return <ErrorBox error={error} retry={reload} />;
  if (data === undefined) return loading ? <Spinner /> : null;
  return <>{children(data)}</>;
}

const STATE_TONE: Record<ContainerState, string> = {
  running: "ok", paused: "warn", restarting: "warn", created: "info",
  exited: "muted", dead: "bad", removing: "warn", unknown: "muted",
};

export function StateBadge({ state }: { state: ContainerState }) {
  return <span className={`badge badge-${STATE_TONE[state] ?? "muted"}`} data-state={state}>{state}</span>;
}

export function Badge({ tone = "muted", children }: { tone?: string; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

export function HostDot({ color, name }: { color?: string; name: string }) {
  return (
    <span className="host-tag">
      <span className="dot" style={{ background: color ?? "var(--muted)" }} aria-hidden="true" />
      {name}
    </span>
  );
}

export function PageHeader({ title, children, sub }: { title: string; sub?: ReactNode; children?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {sub && <p className="muted">{sub}</p>}
      </div>
      {children && <div className="page-actions">{children}</div>}
    </header>
  );
}

/** A modal dialog (native <dialog>: focus trap and Escape for free). */
export function Modal({ title, open, onClose, children, wide }: {
  title: string; open: boolean; onClose: () => void; children: ReactNode; wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} className={`modal${wide ? " modal-wide" : ""}`} onClose={onClose} aria-label={title}>
      {open && (
        <>
          <header className="modal-head">
            <h2>{title}</h2>
            <button className="icon-btn" aria-label="Close" onClick={onClose}>×</button>
          </header>
          <div className="modal-body">{children}</div>
        </>
      )}
    </dialog>
  );
}

/** Asks before something destructive. */
export function Confirm({ open, title, body, confirmLabel = "Confirm", danger, onConfirm, onClose, children }: {
  open: boolean; title: string; body: ReactNode; confirmLabel?: string; danger?: boolean;
  onConfirm: () => Promise<void> | void; onClose: () => void; children?: ReactNode;
}) {
  const [busy, setBusy] = useState(false);
  return (
    <Modal title={title} open={open} onClose={onClose}>
      <div className="stack">
        <div>{body}</div>
        {children}
        <div className="row end">
          <button className="btn" onClick={onClose}>Cancel</button>
          <button
            className={`btn ${danger ? "btn-danger" : "btn-primary"}`}
            disabled={busy}
            onClick={async () => {
              setBusy(true);
              try {
                await onConfirm();
              } finally {
                setBusy(false);
              }
            }}
          >{busy ? "Working…" : confirmLabel}</button>
        </div>
      </div>
    </Modal>
  );
}

/**
 * Asks before removing `item`, then sends the DELETE: a toast says how it went, and `onDone` runs
 * after a removal (the dialog closes first). Closed while `item` is null.
 */
export function ConfirmDelete<T>({ item, path, title, body, verb = "Delete", done, onClose, onDone }: {
  item: T | null;
  path: (item: T) => string;
  title: (item: T) => string;
  body: ReactNode | ((item: T) => ReactNode);
  /** The button's word ("Delete", "Remove", "Revoke"); the error toast says "Could not <verb>". */
  verb?: string;
  /** The toast after a removal ("Schedule deleted"). */
  done: string;
  onClose: () => void;
  onDone: () => void | Promise<void>;
}) {
  const toast = useToast();
  return (
    <Confirm open={item !== null} title={item === null ? "" : title(item)} danger confirmLabel={verb}
      body={item === null ? null : typeof body === "function" ? body(item) : body}
      onClose={onClose}
      onConfirm={async () => {
        if (item === null) return;
        try {
          await api(path(item), { method: "DELETE" });
          toast.ok(done);
          onClose();
          await onDone();
        } catch (e) {
          toast.error(e, `Could not ${verb.toLowerCase()}`);
        }
      }} />
  );
}

/** Which field an API error names, if any. */
export function fieldOf(e: unknown): string | null {
  return e instanceof ApiError ? e.field : null;
}

/** Whether an error's field is `name` or inside it (`name.x`, `name[0]`). */
export function fieldMatches(f: string | null, name: string): boolean {
  return !!f && (f === name || f.startsWith(`${name}.`) || f.startsWith(`${name}[`));
}

/** A labelled control; shows the API's error when it names this field (or one inside it). */
export function Field({ label, name, error, hint, children, className }: {
  label: string; name?: string; error?: unknown; hint?: ReactNode; children: (id: string, invalid: boolean) => ReactNode; className?: string;
}) {
  const id = useId();
  const f = fieldOf(error);
  const mine = !!name && fieldMatches(f, name);
  return (
    <div className={`field${mine ? " field-invalid" : ""}${className ? ` ${className}` : ""}`} data-field={name}>
      <label htmlFor={id}>{label}</label>
      {children(id, mine)}
      {mine && <div className="field-error" role="alert">{describeError(error).message}</div>}
      {hint && !mine && <div className="hint">{hint}</div>}
    </div>
  );
}

/** An error not tied to a field, shown above a form's buttons. */
export function FormError({ error, fields = [] }: { error: unknown; fields?: string[] }) {
  if (!error) return null;
  const f = fieldOf(error);
  if (f && fields.some((n) => fieldMatches(f, n))) return null;
  const d = describeError(error);
  return (
    <div className="form-error" role="alert">
      {d.message}
      {d.requestId && <div className="muted small mono">request id {d.requestId}</div>}
    </div>
  );
}

/** A collapsible tree for any JSON value. */
export function JsonView({ value, name, depth = 0 }: { value: unknown; name?: string; depth?: number }) {
  const [open, setOpen] = useState(depth < 2);
  const label = name !== undefined ? <span className="json-key">{name}: </span> : null;
  if (value === null || typeof value !== "object") {
    const cls = value === null ? "json-null" : `json-${typeof value}`;
    return <div className="json-line">{label}<span className={cls}>{JSON.stringify(value)}</span></div>;
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  const [o, c] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0) return <div className="json-line">{label}<span className="muted">{o}{c}</span></div>;
  return (
    <div className="json-node">
      <button className="json-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span aria-hidden="true">{open ? "▾" : "▸"}</span> {label}
        <span className="muted">{o}{!open && ` ${entries.length} ${Array.isArray(value) ? "items" : "keys"} ${c}`}</span>
      </button>
      {open && (
        <div className="json-children">
          {entries.map(([k, v]) => <JsonView key={k} name={k} value={v} depth={depth + 1} />)}
          <div className="muted">{c}</div>
        </div>
      )}
    </div>
  );
}

/** Copies text, saying so. */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      className="btn"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
        } catch {
          // insecure contexts (plain http on another host) have no clipboard API
          const ta = document.createElement("textarea");
          ta.value = text;
          document.body.appendChild(ta);
          ta.select();
          document.execCommand("copy");
          ta.remove();
        }
        setDone(true);
        setTimeout(() => setDone(false), 2000);
      }}
    >{done ? "Copied" : label}</button>
  );
}
