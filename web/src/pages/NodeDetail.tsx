// One vantage6 node: its configuration (never the API key: the API does not answer it), its
// container, live logs, and start / stop / restart / delete / set API key.
import { Fragment, useCallback, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { api } from "../api/client";
import type { DockerEvent } from "../api/types/DockerEvent";
import type { NodeDetail } from "../api/types/NodeDetail";
import type { NodeScope } from "../api/types/NodeScope";
import { LogsView } from "../components/LogsView";
import { Badge, Confirm, ErrorBox, Field, FormError, Modal, PageHeader, Spinner } from "../components/ui";
import { useAuth } from "../lib/auth";
import { useDockerEvents } from "../lib/events";
import { useLoad, useTitle } from "../lib/hooks";
import { NODE_STATE_TEXT, NODE_TONE, NODE_WRITERS, nodeEditLink, nodePath, type NodeAction } from "../lib/nodes";
import { useToast } from "../lib/toast";

const list = (xs: string[]) => (xs.length ? xs.join(", ") : "any");

function Config({ n }: { n: NodeDetail }) {
  return (
    <div className="detail-grid">
      <section className="card">
        <h2>Configuration</h2>
        <dl className="kv">
          <dt>Server</dt><dd className="mono small">{n.server_url}{n.port ? `:${n.port}` : ""}{n.api_path}</dd>
          <dt>API key</dt><dd>{n.api_key_set ? <Badge tone="ok">API key set</Badge> : <Badge tone="warn">no API key</Badge>}</dd>
          <dt>Task dir</dt><dd className="mono small">{n.task_dir}</dd>
          <dt>Logging</dt><dd>{n.logging_level}</dd>
          <dt>Encryption</dt><dd>{n.encryption.enabled ? <>on · <span className="mono small">{n.encryption.private_key ?? "no key path"}</span></> : "off"}</dd>
          <dt>Image</dt><dd className="mono small">{n.image ?? "the server's version"}</dd>
          <dt>File</dt><dd className="mono small">{n.config_file}</dd>
          <dt>Data</dt><dd className="mono small">{n.data_dir}</dd>
          <dt>Logs</dt><dd className="mono small">{n.log_dir}</dd>
        </dl>
      </section>
      <section className="card">
        <h2>Container</h2>
        <dl className="kv">
          <dt>State</dt><dd><Badge tone={NODE_TONE[n.container.state]}>{NODE_STATE_TEXT[n.container.state]}</Badge></dd>
          <dt>Name</dt><dd className="mono small">{n.container.id ? <Link to={`/containers/local/${encodeURIComponent(n.container.name)}`}>{n.container.name}</Link> : n.container.name}</dd>
          <dt>Id</dt><dd className="mono small">{n.container.id?.slice(0, 12) ?? "–"}</dd>
          <dt>Image</dt><dd className="mono small">{n.container.image ?? "–"}</dd>
          <dt>Status</dt><dd>{n.container.status ?? "–"}</dd>
        </dl>
      </section>
      <section className="card">
        <h2>Databases</h2>
        {n.databases.length === 0 ? <p className="muted">None.</p> : (
          <dl className="kv">
            {n.databases.map((d) => <Fragment key={d.label}><dt className="mono">{d.label}</dt><dd className="mono small">{d.type} · {d.uri}{d.read_only ? " (ro)" : ""}</dd></Fragment>)}
          </dl>
        )}
      </section>
      <section className="card">
        <h2>Policies</h2>
        {!n.policies ? <p className="muted">None: any algorithm, organization and user.</p> : (
          <dl className="kv">
            <dt>Algorithms</dt><dd className="mono small">{list(n.policies.allowed_algorithms)}</dd>
            <dt>Stores</dt><dd className="mono small">{list(n.policies.allowed_algorithm_stores)}</dd>
            <dt>Organizations</dt><dd>{list(n.policies.allowed_organizations)}</dd>
            <dt>Users</dt><dd>{list(n.policies.allowed_users)}</dd>
            <dt>Either list</dt><dd>{n.policies.allow_either_whitelist_or_store ? "yes" : "no"}</dd>
          </dl>
        )}
      </section>
      <section className="card span-2">
        <h2>Extras</h2>
        <dl className="kv">
          <dt>Environment</dt><dd className="mono small">{Object.keys(n.extra_env).length ? Object.entries(n.extra_env).map(([k, v]) => `${k}=${v}`).join(" · ") : "–"}</dd>
          <dt>Mounts</dt><dd className="mono small">{n.extra_mounts.join(" · ") || "–"}</dd>
          <dt>Hosts</dt><dd className="mono small">{Object.keys(n.extra_hosts).length ? Object.entries(n.extra_hosts).map(([k, v]) => `${k} → ${v}`).join(" · ") : "–"}</dd>
          <dt>Registries</dt><dd className="mono small">{n.docker_registries.length ? n.docker_registries.map((r) => `${r.registry}${r.username ? ` (${r.username}${r.password_set ? ", password set" : ""})` : ""}`).join(" · ") : "–"}</dd>
        </dl>
      </section>
    </div>
  );
}

export default function NodeDetailPage() {
  const { name = "" } = useParams();
  const [params] = useSearchParams();
  const scope: NodeScope = params.get("scope") === "system" ? "system" : "user";
  useTitle(name);
  const { can } = useAuth();
  const toast = useToast();
  const navigate = useNavigate();
  const detail = useLoad((signal) => api<NodeDetail>(nodePath(name), { query: { scope }, signal }), [name, scope]);
  const [busy, setBusy] = useState(false);
  const [removing, setRemoving] = useState(false);
  const [keyOpen, setKeyOpen] = useState(false);
  const [key, setKey] = useState("");
  const [showKey, setShowKey] = useState(false);
  const [keyError, setKeyError] = useState<unknown>(null);
  const write = can(...NODE_WRITERS);
  const n = detail.data;
  const { reload } = detail;
  const container = n?.container.name;
  useDockerEvents(useCallback((e: DockerEvent) => {
    if (e.object === "container" && e.host === "local" && e.name === container) reload();
  }, [container, reload]));

  const act = async (a: NodeAction) => {
    setBusy(true);
    try {
      await api(`${nodePath(name)}/${a}`, { method: "POST", body: a === "stop" ? { scope, force: false } : { scope, image: null, keep: false } });
      toast.ok(`${a}: ${name}`);
    } catch (e) {
      toast.error(e, `Could not ${a} ${name}`);
    } finally {
      setBusy(false);
      detail.reload();
    }
  };

  if (detail.error && !n) return <div className="page"><ErrorBox error={detail.error} retry={detail.reload} /></div>;
  if (!n) return <Spinner />;
  const running = n.container.state === "running";
  return (
    <div className="page">
      <nav className="crumbs" aria-label="Breadcrumb"><Link to="/vantage6/nodes">vantage6 nodes</Link> / <span>{n.name}</span></nav>
      <PageHeader title={n.name} sub={<>{n.scope} scope · <Badge tone={NODE_TONE[n.container.state]}>{NODE_STATE_TEXT[n.container.state]}</Badge></>}>
        {write && (
          <div className="btn-group">
            {!running && <button className="btn btn-primary" disabled={busy} onClick={() => act("start")}>Start</button>}
            {running && <button className="btn" disabled={busy} onClick={() => act("stop")}>Stop</button>}
            {running && <button className="btn" disabled={busy} onClick={() => act("restart")}>Restart</button>}
            <Link className="btn" to={nodeEditLink(n.name, n.scope)}>Edit</Link>
            <button className="btn" onClick={() => { setKey(""); setKeyError(null); setKeyOpen(true); }}>Set API key</button>
            <button className="btn btn-danger" onClick={() => setRemoving(true)}>Delete</button>
          </div>
        )}
      </PageHeader>
      <Config n={n} />
      <h2 className="section-title">Logs</h2>
      {n.container.id
        ? <LogsView host="local" id={n.container.id} name={n.container.name} running={running} />
        : <div className="state state-empty"><strong>No container.</strong>Start the node to see its logs.</div>}
      <Confirm open={removing} title={`Delete ${n.name}?`} danger confirmLabel="Delete"
        body={<>The configuration file <b className="mono">{n.config_file}</b> is removed{running ? " and the running container stopped" : ""}.</>}
        onClose={() => setRemoving(false)}
        onConfirm={async () => {
          try {
            await api(nodePath(name), { method: "DELETE", query: { scope } });
            toast.ok(`Deleted ${n.name}`);
            navigate("/vantage6/nodes");
          } catch (e) {
            toast.error(e, "Could not delete");
          }
        }} />
      <Modal title="Set API key" open={keyOpen} onClose={() => setKeyOpen(false)}>
        <form className="stack" onSubmit={async (e) => {
          e.preventDefault();
          setKeyError(null);
          try {
            await api(`${nodePath(name)}/api-key`, { method: "PUT", query: { scope }, body: { api_key: key } });
            toast.ok("API key set");
            setKeyOpen(false);
            detail.reload();
          } catch (err) {
            setKeyError(err);
          }
        }}>
          <Field label="API key" name="api_key" error={keyError} hint="The key the server gave this node's organization. Restart the node to use it.">
            {(id) => (
              <div className="row">
                <input id={id} required className="mono grow" type={showKey ? "text" : "password"} autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} />
                <button type="button" className="btn" aria-pressed={showKey} onClick={() => setShowKey(!showKey)}>{showKey ? "Hide" : "Show"}</button>
              </div>
            )}
          </Field>
          <FormError error={keyError} fields={["api_key"]} />
          <div className="row end"><button className="btn btn-primary">Save</button></div>
        </form>
      </Modal>
    </div>
  );
}
