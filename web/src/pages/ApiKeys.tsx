import { useState, type FormEvent } from "react";
import { api } from "../api/client";
import type { ApiKey } from "../api/types/ApiKey";
import type { ApiKeyCreated } from "../api/types/ApiKeyCreated";
import type { ApiKeyScope } from "../api/types/ApiKeyScope";
import { Badge, ConfirmDelete, CopyButton, Empty, ErrorBox, Field, FormError, Modal, PageHeader, Spinner } from "../components/ui";
import { useAuth } from "../lib/auth";
import { ago, dateTime } from "../lib/format";
import { useLoad, useTitle } from "../lib/hooks";

export default function ApiKeys() {
  useTitle("API keys");
  const { can } = useAuth();
  const [everyone, setEveryone] = useState(false);
  const list = useLoad((signal) => api<ApiKey[]>("/api-keys", { query: { all: everyone || undefined }, signal }), [everyone]);
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState("");
  const [scope, setScope] = useState<ApiKeyScope>("read");
  const [expires, setExpires] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const c = await api<ApiKeyCreated>("/api-keys", { method: "POST", body: { name, scope, expires_at: expires ? new Date(expires).toISOString() : null } });
      setCreating(false);
      setCreated(c);
      setName("");
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div className="page">
      <PageHeader title="API keys" sub="Keys let scripts call the API as you, within the key's scope">
        {can("admin") && <label className="check"><input type="checkbox" checked={everyone} onChange={(e) => setEveryone(e.target.checked)} /> Everyone's</label>}
        <button className="btn btn-primary" onClick={() => setCreating(true)}>New key</button>
      </PageHeader>
      {list.error ? <ErrorBox error={list.error} retry={list.reload} /> : !list.data ? <Spinner /> : list.data.length === 0 ? <Empty title="No API keys">Create one for a script or CI job.</Empty> : (
        <div className="table-wrap">
          <table className="table">
            <thead><tr><th>Name</th><th>Scope</th><th className="hide-sm">Key</th><th className="hide-sm">Last used</th><th className="hide-md">Expires</th><th><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {list.data.map((k) => (
                <tr key={k.id}>
                  <td><b>{k.name}</b>{everyone && <div className="muted small">{k.username}</div>} {k.revoked_at && <Badge tone="bad">revoked</Badge>}</td>
                  <td><Badge tone={k.scope === "admin" ? "warn" : k.scope === "write" ? "info" : "muted"}>{k.scope}</Badge></td>
                  <td className="hide-sm mono small">{k.prefix}…</td>
                  <td className="hide-sm muted">{k.last_used_at ? ago(k.last_used_at) : "never"}</td>
                  <td className="hide-md muted">{k.expires_at ? dateTime(k.expires_at) : "never"}</td>
                  <td className="actions">{!k.revoked_at && <button className="btn btn-sm btn-danger" onClick={() => setRevoking(k)}>Revoke</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Modal title="New API key" open={creating} onClose={() => setCreating(false)}>
        <form className="stack" onSubmit={create}>
          <Field label="Name" name="name" error={error} hint="What uses it, e.g. ci-deploy">{(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} />}</Field>
          <Field label="Scope" name="scope" error={error}>
            {(id) => (
              <select id={id} value={scope} onChange={(e) => setScope(e.target.value as ApiKeyScope)}>
                <option value="read">read: look, change nothing</option>
                <option value="write">write: everything your role may do but admin business</option>
                <option value="admin">admin: everything your role may do</option>
              </select>
            )}
          </Field>
          <Field label="Expires" name="expires_at" error={error} hint="Empty: never">{(id) => <input id={id} type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />}</Field>
          <FormError error={error} fields={["name", "scope", "expires_at"]} />
          <div className="row end"><button className="btn btn-primary">Create key</button></div>
        </form>
      </Modal>
      <Modal title="Your new API key" open={!!created} onClose={() => setCreated(null)}>
        {created && (
          <div className="stack">
            <div className="notice notice-warn">Copy it now: it is shown only this once.</div>
            <code className="secret" data-testid="new-key">{created.key}</code>
            <div className="row end">
              <CopyButton text={created.key} />
              <button className="btn btn-primary" onClick={() => setCreated(null)}>Done</button>
            </div>
            <p className="muted small">Use it as <code>Authorization: Bearer {created.api_key.prefix}…</code></p>
          </div>
        )}
      </Modal>
      <ConfirmDelete item={revoking} verb="Revoke" done="Key revoked" title={(it) => `Revoke ${it.name}?`}
        path={(it) => `/api-keys/${it.id}`}
        body="Programs using this key stop working at once."
        onClose={() => setRevoking(null)} onDone={list.reload} />
    </div>
  );
}
