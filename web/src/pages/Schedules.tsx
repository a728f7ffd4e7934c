// Schedules: cron or one-time jobs over a container, a label or a tag (start, stop, restart,
// update, exec, run, prune…), each with its next five runs (from the API) and its run history.
import { useState, type FormEvent } from "react";
import { api } from "../api/client";
import type { JobAction } from "../api/types/JobAction";
import type { Schedule } from "../api/types/Schedule";
import type { ScheduleCreate } from "../api/types/ScheduleCreate";
import type { ScheduleRuns } from "../api/types/ScheduleRuns";
import { Badge, ConfirmDelete, Empty, ErrorBox, Field, FormError, Modal, PageHeader, Spinner } from "../components/ui";
import { useAuth } from "../lib/auth";
import { describeCron } from "../lib/cron";
import { ago, dateTime, plural } from "../lib/format";
import { useLoad, useTitle } from "../lib/hooks";
import { useHosts } from "../lib/hosts";
import { useToast } from "../lib/toast";

export const ACTIONS: JobAction[] = ["start", "stop", "restart", "pause", "unpause", "kill", "update", "exec", "run", "prune"];
const OUTCOME_TONE = { running: "info", succeeded: "ok", failed: "bad", timed_out: "bad", skipped: "muted" } as const;

/** What a job acts on, in words. */
export function targetText(j: { host: string; container: string | null; selector: { label: string } | null; tag: string | null }) {
  const on = j.container ? j.container : j.selector ? `label ${j.selector.label}` : j.tag ? `tag ${j.tag}` : "—";
  return `${on} on ${j.host === "*" ? "every host" : j.host}`;
}

/** Splits a command line on spaces, keeping quoted parts together. */
const argv = (s: string) => (s.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((a) => a.replace(/^["']|["']$/g, ""));

/** The other way: a command for the input box, quoting parts with spaces. */
const commandLine = (args: string[] | null) => (args ?? []).map((a) => (/\s/.test(a) ? (a.includes('"') ? `'${a}'` : `"${a}"`) : a)).join(" ");

/** The job fields a stored schedule or webhook has (what an edit starts from). */
export type JobInitial = Pick<Schedule, "host" | "container" | "selector" | "tag" | "action" | "command" | "image" | "network" | "signal" | "prune" | "max_runtime_secs" | "retries" | "retry_backoff_secs">;

export function Runs({ path }: { path: string }) {
  const runs = useLoad((signal) => api<ScheduleRuns>(path, { query: { limit: 50 }, signal }), [path]);
  if (runs.error && !runs.data) return <ErrorBox error={runs.error} retry={runs.reload} />;
  if (!runs.data) return <Spinner />;
  if (runs.data.runs.length === 0) return <Empty title="No runs yet" />;
  return (
    <div className="table-wrap">
      <table className="table table-compact" data-testid="runs">
        <thead><tr><th>Started</th><th>Outcome</th><th>Trigger</th><th>Message</th></tr></thead>
        <tbody>
          {runs.data.runs.map((r) => (
            <tr key={r.id}>
              <td className="nowrap" title={dateTime(r.started_at)}>{ago(r.started_at)}</td>
              <td><Badge tone={OUTCOME_TONE[r.outcome]}>{r.outcome.replace("_", " ")}</Badge>{r.attempts > 1 && <span className="muted small"> · {r.attempts} attempts</span>}</td>
              <td className="small">{r.trigger}{r.triggered_by ? ` · ${r.triggered_by}` : ""}</td>
              <td className="small">{r.message}{r.output && <pre className="pre small">{r.output}</pre>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The job part of a schedule or webhook form: target, action and its options. */
export function useJobFields(error: unknown, initial?: JobInitial) {
  const { hosts } = useHosts();
  const [host, setHost] = useState(initial?.host ?? "local");
  const [by, setBy] = useState<"container" | "label" | "tag">(initial?.selector ? "label" : initial?.tag ? "tag" : "container");
  const [target, setTarget] = useState(initial?.container ?? initial?.selector?.label ?? initial?.tag ?? "");
  const [action, setAction] = useState<JobAction>(initial?.action ?? "restart");
  const [command, setCommand] = useState(commandLine(initial?.command ?? null));
  const [image, setImage] = useState(initial?.image ?? "");
  const [retries, setRetries] = useState(String(initial?.retries ?? 0));
  // What the form does not show (set through the API) is kept as it was.
  const job = {
    host, container: by === "container" ? target.trim() || null : null, selector: by === "label" ? { label: target.trim() } : null, tag: by === "tag" ? target.trim() || null : null,
    action, command: (action === "exec" || action === "run") && command.trim() ? argv(command) : null, image: action === "run" ? image.trim() || null : null,
    network: initial?.network ?? null, signal: initial?.signal ?? null, prune: initial?.prune ?? null, max_runtime_secs: initial?.max_runtime_secs ?? null,
    retries: retries.trim() === "" ? null : Number(retries), retry_backoff_secs: initial?.retry_backoff_secs ?? null,
  };
  const fields = (
    <>
      <div className="row wrap">
        <Field label="Host" name="host" error={error}>
          {(id) => <select id={id} value={host} onChange={(e) => setHost(e.target.value)}><option value="*">every host</option>{(hosts ?? []).map((h) => <option key={h.name}>{h.name}</option>)}</select>}
        </Field>
        <Field label="Target by" name="target_by">
          {(id) => <select id={id} value={by} onChange={(e) => setBy(e.target.value as typeof by)}><option value="container">container name</option><option value="label">label</option><option value="tag">tag</option></select>}
        </Field>
      </div>
      {action !== "prune" && (
        <Field label={by === "container" ? "Container" : by === "label" ? "Label" : "Tag"} name={by === "container" ? "container" : by === "label" ? "selector" : "tag"} error={error}
          hint={by === "container" ? "A name (names survive an update; ids do not), e.g. web." : by === "label" ? "key or key=value, e.g. app=web." : "e.g. nightly."}>
          {(id) => <input id={id} className="mono" value={target} onChange={(e) => setTarget(e.target.value)} />}
        </Field>
      )}
      <Field label="Action" name="action" error={error}>
        {(id) => <select id={id} value={action} onChange={(e) => setAction(e.target.value as JobAction)}>{ACTIONS.map((a) => <option key={a}>{a}</option>)}</select>}
      </Field>
      {action === "run" && (
        <Field label="Image" name="image" error={error} hint="The image a fresh container runs, e.g. alpine:3.20.">{(id) => <input id={id} className="mono" value={image} onChange={(e) => setImage(e.target.value)} />}</Field>
      )}
      {(action === "exec" || action === "run") && (
        <Field label="Command" name="command" error={error} hint='e.g. sh -c "pg_dump app > /backup/app.sql"'>{(id) => <input id={id} className="mono" value={command} onChange={(e) => setCommand(e.target.value)} />}</Field>
      )}
      <Field label="Retries" name="retries" error={error} hint="Attempts after a failure.">{(id) => <input id={id} inputMode="numeric" value={retries} onChange={(e) => setRetries(e.target.value)} />}</Field>
    </>
  );
  return { job, fields };
}

/** `datetime-local` text (local time) of an ISO time. */
const localInput = (iso: string) => {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

/** Creates a schedule, or edits `initial` (a full replace, as the API's PUT is). */
function ScheduleForm({ initial, onDone }: { initial?: Schedule; onDone: () => void }) {
  const toast = useToast();
  const [error, setError] = useState<unknown>(null);
  const [name, setName] = useState(initial?.name ?? "");
  const [once, setOnce] = useState(!!initial?.run_at && !initial.cron);
  const [cron, setCron] = useState(initial?.cron ?? "0 3 * * *");
  const [runAt, setRunAt] = useState(initial?.run_at ? localInput(initial.run_at) : "");
  const [tz, setTz] = useState(() => initial?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
  const [catchUp, setCatchUp] = useState(initial?.catch_up ?? false);
  const { job, fields } = useJobFields(error, initial);
  const words = describeCron(cron);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const body: ScheduleCreate = { name: name.trim(), cron: once ? null : cron.trim(), run_at: once && runAt ? new Date(runAt).toISOString() : null, timezone: tz.trim() || null, enabled: initial?.enabled ?? true, catch_up: catchUp, ...job };
    try {
      const s = initial
        ? await api<Schedule>(`/schedules/${initial.id}`, { method: "PUT", body })
        : await api<Schedule>("/schedules", { method: "POST", body });
      toast.ok(initial ? `Saved schedule ${s.name}` : `Created schedule ${s.name}`);
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="stack" onSubmit={submit} noValidate>
      <Field label="Name" name="name" error={error} hint="e.g. nightly-restart">{(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} />}</Field>
      <label className="check"><input type="checkbox" checked={once} onChange={(e) => setOnce(e.target.checked)} /> Run once (not on a cron schedule)</label>
      {once ? (
        <Field label="Run at" name="run_at" error={error}>{(id) => <input id={id} type="datetime-local" value={runAt} onChange={(e) => setRunAt(e.target.value)} />}</Field>
      ) : (
        <Field label="Cron" name="cron" error={error} hint={<span data-testid="cron-words">{words ?? "minute hour day month weekday, e.g. 0 3 * * MON-FRI"}</span>}>
          {(id) => <input id={id} className="mono" value={cron} onChange={(e) => setCron(e.target.value)} />}
        </Field>
      )}
      <Field label="Time zone" name="timezone" error={error} hint="IANA name, e.g. Europe/Amsterdam.">{(id) => <input id={id} value={tz} onChange={(e) => setTz(e.target.value)} />}</Field>
      {fields}
      <label className="check"><input type="checkbox" checked={catchUp} onChange={(e) => setCatchUp(e.target.checked)} /> After downtime, run once for what was missed</label>
      <FormError error={error} fields={["name", "cron", "run_at", "timezone", "host", "container", "selector", "tag", "action", "image", "command", "retries"]} />
      <div className="row end"><button className="btn btn-primary">{initial ? "Save schedule" : "Create schedule"}</button></div>
    </form>
  );
}

export default function Schedules() {
  useTitle("Schedules");
  const { can } = useAuth();
  const toast = useToast();
  const list = useLoad((signal) => api<Schedule[]>("/schedules", { signal }), []);
  const [creating, setCreating] = useState(false);
  const [history, setHistory] = useState<Schedule | null>(null);
  const [editing, setEditing] = useState<Schedule | null>(null);
  const [removing, setRemoving] = useState<Schedule | null>(null);
  const write = can("admin", "operator");
  const call = async (s: Schedule, what: "run" | "enable" | "disable") => {
    try {
      await api(`/schedules/${s.id}/${what}`, { method: "POST" });
      toast.ok(what === "run" ? `Started ${s.name}` : `${s.name} ${what}d`);
      list.reload();
    } catch (e) {
      toast.error(e, `Could not ${what} ${s.name}`);
    }
  };
  return (
    <div className="page">
      <PageHeader title="Schedules" sub={list.data ? plural(list.data.length, "schedule") : undefined}>
        {write && <button className="btn btn-primary" onClick={() => setCreating(true)}>New schedule</button>}
      </PageHeader>
      {list.error && !list.data ? <ErrorBox error={list.error} retry={list.reload} /> : !list.data ? <Spinner /> : list.data.length === 0 ? <Empty title="No schedules">Restart, update, back up or clean up on a timetable.</Empty> : (
        <div className="table-wrap">
          <table className="table">
            <thead><tr><th>Name</th><th>When</th><th className="hide-sm">Action</th><th className="hide-sm">Next runs</th><th><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {list.data.map((s) => (
                <tr key={s.id} data-schedule={s.name}>
                  <td><b>{s.name}</b>{!s.enabled && <Badge>disabled</Badge>}{s.running && <Badge tone="info">running</Badge>}</td>
                  <td className="small">{s.cron ? <><span className="mono">{s.cron}</span><div className="muted">{describeCron(s.cron)} ({s.timezone})</div></> : s.run_at ? `once, ${dateTime(s.run_at)}` : "–"}</td>
                  <td className="hide-sm small">{s.action} · {targetText(s)}</td>
                  <td className="hide-sm small" data-testid="next-runs">{s.next_runs.length ? s.next_runs.map((t) => <div key={t} className="nowrap">{dateTime(t)}</div>) : <span className="muted">none</span>}</td>
                  <td className="actions">
                    <div className="btn-group">
                      <button className="btn btn-sm" onClick={() => setHistory(s)}>History</button>
                      {write && <button className="btn btn-sm" onClick={() => setEditing(s)}>Edit</button>}
                      {write && <button className="btn btn-sm" onClick={() => call(s, "run")}>Run now</button>}
                      {write && <button className="btn btn-sm" onClick={() => call(s, s.enabled ? "disable" : "enable")}>{s.enabled ? "Disable" : "Enable"}</button>}
                      {write && <button className="btn btn-sm btn-danger" onClick={() => setRemoving(s)}>Delete</button>}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Modal title="New schedule" open={creating} onClose={() => setCreating(false)} wide>
        {creating && <ScheduleForm onDone={() => { setCreating(false); list.reload(); }} />}
      </Modal>
      <Modal title={`Edit ${editing?.name ?? ""}`} open={!!editing} onClose={() => setEditing(null)} wide>
        {editing && <ScheduleForm key={editing.id} initial={editing} onDone={() => { setEditing(null); list.reload(); }} />}
      </Modal>
      <Modal title={`Runs of ${history?.name ?? ""}`} open={!!history} onClose={() => setHistory(null)} wide>
        {history && <Runs path={`/schedules/${history.id}/runs`} />}
      </Modal>
      <ConfirmDelete item={removing} done="Schedule deleted" title={(it) => `Delete ${it.name}?`}
        path={(it) => `/schedules/${it.id}`}
        body="It no longer runs; its history goes too."
        onClose={() => setRemoving(null)} onDone={list.reload} />
    </div>
  );
}
