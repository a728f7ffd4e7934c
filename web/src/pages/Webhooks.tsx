// Webhooks: a secret URL that runs a job when called (e.g. from CI after an image push). The
// token is shown once, at creation.
import { useState, type FormEvent } from "react";
import { api } from "../api/client";
import type { SignatureCheck } from "../api/types/SignatureCheck";
import type { Webhook } from "../api/types/Webhook";
import type { WebhookCreate } from "../api/types/WebhookCreate";
import type { WebhookCreated } from "../api/types/WebhookCreated";
import { Badge, ConfirmDelete, CopyButton, Empty, ErrorBox, Field, FormError, Modal, PageHeader, Spinner } from "../components/ui";
import { useAuth } from "../lib/auth";
import { ago, plural } from "../lib/format";
import { useLoad, useTitle } from "../lib/hooks";
import { useToast } from "../lib/toast";
import { Runs, targetText, useJobFields } from "./Schedules";

/** Creates a webhook, or edits `initial` (a full replace; the token stays, an empty secret keeps the stored one). */
function WebhookForm({ initial, onCreated, onSaved }: { initial?: Webhook; onCreated?: (w: WebhookCreated) => void; onSaved?: (w: Webhook) => void }) {
  const [error, setError] = useState<unknown>(null);
  const [name, setName] = useState(initial?.name ?? "");
  const [signature, setSignature] = useState<SignatureCheck>(initial?.signature ?? "none");
  const [secret, setSecret] = useState("");
  const [rate, setRate] = useState(String(initial?.rate_limit_per_minute ?? 10));
  const { job, fields } = useJobFields(error, initial);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const body: WebhookCreate = { name: name.trim(), signature, secret: signature === "none" || (initial && secret === "") ? null : secret, rate_limit_per_minute: rate.trim() === "" ? null : Number(rate), ...job };
    try {
      if (initial) onSaved?.(await api<Webhook>(`/webhooks/${initial.id}`, { method: "PUT", body }));
      else onCreated?.(await api<WebhookCreated>("/webhooks", { method: "POST", body }));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="stack" onSubmit={submit} noValidate>
      <Field label="Name" name="name" error={error} hint="e.g. deploy-web">{(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} />}</Field>
      <div className="row wrap">
        <Field label="Signature check" name="signature" error={error}>
          {(id) => <select id={id} value={signature} onChange={(e) => setSignature(e.target.value as SignatureCheck)}><option value="none">none</option><option value="github">GitHub (X-Hub-Signature-256)</option><option value="gitlab">GitLab (X-Gitlab-Token)</option></select>}
        </Field>
        <Field label="Calls per minute" name="rate_limit_per_minute" error={error}>{(id) => <input id={id} inputMode="numeric" value={rate} onChange={(e) => setRate(e.target.value)} />}</Field>
      </div>
      {signature !== "none" && (
        <Field label="Shared secret" name="secret" error={error} hint={initial ? "Never shown: leave it empty to keep the stored one, or enter a new one." : "The secret set in the GitHub or GitLab webhook."}>{(id) => <input id={id} type="password" autoComplete="off" value={secret} onChange={(e) => setSecret(e.target.value)} />}</Field>
      )}
      {fields}
      <FormError error={error} fields={["name", "signature", "secret", "rate_limit_per_minute", "host", "container", "selector", "tag", "action", "image", "command", "retries"]} />
      <div className="row end"><button className="btn btn-primary">{initial ? "Save webhook" : "Create webhook"}</button></div>
    </form>
  );
}

export default function Webhooks() {
  useTitle("Webhooks");
  const { can } = useAuth();
  const toast = useToast();
  const list = useLoad((signal) => api<Webhook[]>("/webhooks", { signal }), []);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<WebhookCreated | null>(null);
  const [history, setHistory] = useState<Webhook | null>(null);
  const [editing, setEditing] = useState<Webhook | null>(null);
  const [removing, setRemoving] = useState<Webhook | null>(null);
  const write = can("admin", "operator");
  const url = created ? `${location.origin}${created.path}` : "";
  return (
    <div className="page">
      <PageHeader title="Webhooks" sub={list.data ? plural(list.data.length, "webhook") : undefined}>
        {write && <button className="btn btn-primary" onClick={() => { setCreated(null); setCreating(true); }}>New webhook</button>}
      </PageHeader>
      {list.error && !list.data ? <ErrorBox error={list.error} retry={list.reload} /> : !list.data ? <Spinner /> : list.data.length === 0 ? <Empty title="No webhooks">A URL your CI can call to update or restart containers.</Empty> : (
        <div className="table-wrap">
          <table className="table">
            <thead><tr><th>Name</th><th className="hide-sm">Action</th><th className="hide-sm">Check</th><th>Last call</th><th><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {list.data.map((w) => (
                <tr key={w.id} data-webhook={w.name}>
                  <td><b>{w.name}</b><div className="muted small mono">{w.token_prefix}…</div></td>
                  <td className="hide-sm small">{w.action} · {targetText(w)}</td>
                  <td className="hide-sm">{w.signature === "none" ? <Badge>none</Badge> : <Badge tone="ok">{w.signature}</Badge>} <span className="muted small">{w.rate_limit_per_minute}/min</span></td>
                  <td className="small">{w.last_triggered_at ? `${ago(w.last_triggered_at)} · ${w.trigger_count}×` : <span className="muted">never</span>}</td>
                  <td className="actions">
                    <div className="btn-group">
                      <button className="btn btn-sm" onClick={() => setHistory(w)}>History</button>
                      {write && <button className="btn btn-sm" onClick={() => setEditing(w)}>Edit</button>}
                      {write && <button className="btn btn-sm btn-danger" onClick={() => setRemoving(w)}>Delete</button>}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Modal title={created ? "Webhook created" : "New webhook"} open={creating} onClose={() => setCreating(false)} wide>
        {created ? (
          <div className="stack">
            <div className="notice notice-warn">Copy the URL now: its token is shown only this once.</div>
            <div className="secret mono" data-testid="webhook-url">{url}</div>
            <div className="muted small">Call it with <span className="mono">curl -X POST {url}</span></div>
            <div className="row end"><CopyButton text={url} /><button className="btn btn-primary" onClick={() => setCreating(false)}>Done</button></div>
          </div>
        ) : creating && <WebhookForm onCreated={(w) => { setCreated(w); list.reload(); toast.ok(`Created webhook ${w.webhook.name}`); }} />}
      </Modal>
      <Modal title={`Edit ${editing?.name ?? ""}`} open={!!editing} onClose={() => setEditing(null)} wide>
        {editing && <WebhookForm key={editing.id} initial={editing} onSaved={(w) => { setEditing(null); list.reload(); toast.ok(`Saved webhook ${w.name}`); }} />}
      </Modal>
      <Modal title={`Runs of ${history?.name ?? ""}`} open={!!history} onClose={() => setHistory(null)} wide>
        {history && <Runs path={`/webhooks/${history.id}/runs`} />}
      </Modal>
      <ConfirmDelete item={removing} done="Webhook deleted" title={(it) => `Delete ${it.name}?`}
        path={(it) => `/webhooks/${it.id}`}
        body="Calls to its URL stop working."
        onClose={() => setRemoving(null)} onDone={list.reload} />
    </div>
  );
}
