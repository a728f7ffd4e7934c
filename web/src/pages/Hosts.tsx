import { useEffect, useState, type FormEvent } from "react";
import { api, seg } from "../api/client";
import type { Host } from "../api/types/Host";
import type { HostTestResult } from "../api/types/HostTestResult";
import type { HostTls } from "../api/types/HostTls";
import { SystemInfoView } from "../components/ResourceDetails";
import { Badge, ConfirmDelete, Empty, ErrorBox, Field, FormError, Modal, PageHeader, Spinner } from "../components/ui";
import { useAuth } from "../lib/auth";
import { ago, bytes } from "../lib/format";
import { useTitle } from "../lib/hooks";
import { refreshHosts, useHosts } from "../lib/hosts";
import { useToast } from "../lib/toast";

const TONE = { online: "ok", offline: "bad", unknown: "muted" } as const;

function TestResult({ r }: { r: HostTestResult }) {
  return (
    <div className={`notice ${r.ok ? "notice-ok" : "notice-bad"}`} role="status">
      {r.ok ? `Connected in ${r.latency_ms} ms: Docker ${r.engine_version ?? "?"} (API ${r.negotiated_api_version ?? "?"})` : `Failed: ${r.error ?? "no answer"}`}
    </div>
  );
}

function HostForm({ host, onDone }: { host: Host | null; onDone: () => void }) {
  const toast = useToast();
  const [name, setName] = useState(host?.name ?? "");
  const [url, setUrl] = useState(host?.url ?? "");
  const [color, setColor] = useState(host?.color ?? "#2563eb");
  const [description, setDescription] = useState(host?.description ?? "");
  const [useTls, setUseTls] = useState(false);
  const [removeTls, setRemoveTls] = useState(false);
  const [tls, setTls] = useState<HostTls>({ ca_cert: "", client_cert: "", client_key: "" });
  const [error, setError] = useState<unknown>(null);
  const [test, setTest] = useState<HostTestResult | null>(null);
  const [busy, setBusy] = useState(false);
  const tlsBody = useTls ? tls : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (host) {
        await api(`/hosts/${seg(host.name)}`, { method: "PATCH", body: {
          name: name !== host.name ? name : null, url: url !== host.url ? url : null, tls: tlsBody, remove_tls: removeTls,
          color: color !== host.color ? color : null, description: description !== (host.description ?? "") ? description : null,
        } });
        toast.ok(`Saved ${name}`);
      } else {
        await api("/hosts", { method: "POST", body: { name, url, tls: tlsBody, color, description: description || null } });
        toast.ok(`Added ${name}`);
      }
      await refreshHosts();
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const runTest = async () => {
    setTest(null);
    setError(null);
    try {
      setTest(await api<HostTestResult>("/hosts/_test", { method: "POST", body: { url, tls: tlsBody } }));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="stack" onSubmit={submit}>
      <Field label="Name" name="name" error={error} hint="lower-case letters, digits, - _ .">
        {(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} placeholder="edge-1" />}
      </Field>
      <Field label="Engine address" name="url" error={error} hint="unix:///var/run/docker.sock or tcp://10.0.0.5:2376">
        {(id) => <input id={id} required className="mono" value={url} onChange={(e) => setUrl(e.target.value)} />}
      </Field>
      <div className="row wrap">
        <Field label="Colour" name="color" error={error}>{(id) => <input id={id} type="color" value={color} onChange={(e) => setColor(e.target.value)} />}</Field>
        <Field label="Description" name="description" error={error} className="grow">{(id) => <input id={id} value={description} onChange={(e) => setDescription(e.target.value)} />}</Field>
      </div>
      <label className="check"><input type="checkbox" checked={useTls} onChange={(e) => setUseTls(e.target.checked)} /> {host?.tls ? "Replace the TLS client certificates" : "TLS client certificates"}</label>
      {host?.tls && !useTls && <label className="check"><input type="checkbox" checked={removeTls} onChange={(e) => setRemoveTls(e.target.checked)} /> Remove the TLS certificates</label>}
      {useTls && (
        <div className="stack">
          {(["ca_cert", "client_cert", "client_key"] as const).map((k) => (
            <Field key={k} label={{ ca_cert: "CA certificate (PEM)", client_cert: "Client certificate (PEM)", client_key: "Client key (PEM)" }[k]} name={`tls.${k}`} error={error}>
              {(id) => <textarea id={id} rows={3} className="mono small" value={tls[k]} onChange={(e) => setTls({ ...tls, [k]: e.target.value })} />}
            </Field>
          ))}
        </div>
      )}
      {test && <TestResult r={test} />}
      <FormError error={error} fields={["name", "url", "color", "description", "tls"]} />
      <div className="row end">
        <button type="button" className="btn" onClick={runTest} disabled={!url}>Test connection</button>
        <button className="btn btn-primary" disabled={busy}>{host ? "Save" : "Add host"}</button>
      </div>
    </form>
  );
}

export default function Hosts() {
  useTitle("Hosts");
  const { hosts, error } = useHosts();
  const { can } = useAuth();
  const toast = useToast();
  const [editing, setEditing] = useState<Host | null | "new">(null);
  const [removing, setRemoving] = useState<Host | null>(null);
  const [info, setInfo] = useState<Host | null>(null);
  const [tests, setTests] = useState<Record<string, HostTestResult | "running">>({});
  const admin = can("admin");
  // As the permission table says: testing a host is admin business; tenants do not read engines.
  const readSystem = can("admin", "operator", "deployer", "viewer");
  useEffect(() => {
    void refreshHosts();
    const t = window.setInterval(() => void refreshHosts(), 5000);
    return () => window.clearInterval(t);
  }, []);
  const test = async (h: Host) => {
    setTests((t) => ({ ...t, [h.name]: "running" }));
    try {
      const r = await api<HostTestResult>(`/hosts/${seg(h.name)}/test`, { method: "POST" });
      setTests((t) => ({ ...t, [h.name]: r }));
    } catch (e) {
      toast.error(e, "Test failed");
      setTests((t) => {
        const n = { ...t };
        delete n[h.name];
        return n;
      });
    }
  };
  return (
    <div className="page">
      <PageHeader title="Hosts" sub="Docker engines Berth manages">
        {admin && <button className="btn btn-primary" onClick={() => setEditing("new")}>Add host</button>}
      </PageHeader>
      {error && !hosts ? <ErrorBox error={error} /> : !hosts ? <Spinner /> : hosts.length === 0 ? <Empty title="No hosts" /> : (
        <div className="table-wrap">
          <table className="table">
            <thead><tr><th>Host</th><th>Status</th><th className="hide-sm">Engine</th><th className="hide-sm">Containers</th><th className="hide-md">Resources</th><th><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {hosts.map((h) => {
                const t = tests[h.name];
                return (
                  <tr key={h.name}>
                    <td>
                      <div className="row"><span className="dot dot-lg" style={{ background: h.color }} aria-hidden="true" /><b>{h.name}</b>{h.tls && <Badge tone="info">TLS</Badge>}</div>
                      <div className="mono small muted">{h.url}</div>
                      {h.description && <div className="small">{h.description}</div>}
                    </td>
                    <td>
                      <Badge tone={TONE[h.state.status]}>{h.state.status}</Badge>
                      <div className="muted small">{h.state.status === "offline" ? h.state.error : `seen ${ago(h.state.last_seen)}`}</div>
                      {t && t !== "running" && <div className={`small ${t.ok ? "text-ok" : "text-bad"}`}>{t.ok ? `test ok · ${t.latency_ms} ms` : t.error}</div>}
                    </td>
                    <td className="hide-sm small">{h.state.engine_version ? `Docker ${h.state.engine_version}` : "–"}<div className="muted">{h.state.platform ?? ""} {h.state.negotiated_api_version ? `API ${h.state.negotiated_api_version}` : ""}</div></td>
                    <td className="hide-sm small">{h.state.containers_running} running · {h.state.containers_stopped} stopped · {h.state.containers_paused} paused</td>
                    <td className="hide-md small">{h.state.cpus ?? "–"} CPUs · {bytes(h.state.memory_bytes)} · {h.state.images} images</td>
                    <td className="actions">
                      {readSystem && <button className="btn btn-sm" disabled={h.state.status !== "online"} onClick={() => setInfo(h)}>Info</button>}
                      {admin && <button className="btn btn-sm" disabled={t === "running"} onClick={() => test(h)}>{t === "running" ? "Testing…" : "Test"}</button>}
                      {admin && <button className="btn btn-sm" onClick={() => setEditing(h)}>Edit</button>}
                      {admin && <button className="btn btn-sm btn-danger" onClick={() => setRemoving(h)}>Remove</button>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <Modal title={editing === "new" ? "Add a host" : `Edit ${editing?.name ?? ""}`} open={editing !== null} onClose={() => setEditing(null)} wide>
        {editing !== null && <HostForm host={editing === "new" ? null : editing} onDone={() => setEditing(null)} />}
      </Modal>
      <Modal title={info ? `Engine of ${info.name}` : "Engine information"} open={!!info} onClose={() => setInfo(null)} wide>
        {info && <SystemInfoView host={info.name} />}
      </Modal>
      <ConfirmDelete item={removing} verb="Remove" done="Host removed" title={(it) => `Remove ${it.name}?`}
        path={(it) => `/hosts/${seg(it.name)}`}
        body="Berth forgets the host; its containers keep running."
        onClose={() => setRemoving(null)} onDone={refreshHosts} />
    </div>
  );
}
