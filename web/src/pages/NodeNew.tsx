// Create a vantage6 node configuration: every field of the API's create type, each with help
// and an example, and the API's field errors shown at the field.
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { api } from "../api/client";
import type { NodeCreate } from "../api/types/NodeCreate";
import type { NodeDetail } from "../api/types/NodeDetail";
import type { NodeScope } from "../api/types/NodeScope";
import { Rows } from "../components/Rows";
import { Field, FormError, PageHeader } from "../components/ui";
import { useTitle } from "../lib/hooks";
import { nodeLink } from "../lib/nodes";
import { useToast } from "../lib/toast";

interface KV { k: string; v: string }
interface Db { label: string; uri: string; type: string; read_only: boolean }
interface Reg { registry: string; username: string; password: string }

const DB_TYPES = ["csv", "parquet", "excel", "folder", "sql", "sparql", "omop", "other"];
const LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];
const lines = (s: string) => s.split("\n").map((l) => l.trim()).filter(Boolean);
const toMap = (rows: KV[]) => Object.fromEntries(rows.filter((r) => r.k.trim()).map((r) => [r.k.trim(), r.v]));
const opt = (s: string) => (s.trim() === "" ? null : s.trim());

export default function NodeNew() {
  useTitle("New vantage6 node");
  const toast = useToast();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [scope, setScope] = useState<NodeScope>("user");
  const [serverUrl, setServerUrl] = useState("");
  const [port, setPort] = useState("");
  const [apiPath, setApiPath] = useState("");
  const [apiKey, setApiKey] = useState("");
  const [showKey, setShowKey] = useState(false);
  const [taskDir, setTaskDir] = useState("");
  const [dbs, setDbs] = useState<Db[]>([{ label: "default", uri: "", type: "csv", read_only: true }]);
  const [level, setLevel] = useState("INFO");
  const [encrypted, setEncrypted] = useState(false);
  const [privateKey, setPrivateKey] = useState("");
  const [algorithms, setAlgorithms] = useState("");
  const [stores, setStores] = useState("");
  const [orgs, setOrgs] = useState("");
  const [users, setUsers] = useState("");
  const [either, setEither] = useState(false);
  const [env, setEnv] = useState<KV[]>([]);
  const [mounts, setMounts] = useState("");
  const [hostsRows, setHostsRows] = useState<KV[]>([]);
  const [regs, setRegs] = useState<Reg[]>([]);
  const [image, setImage] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const anyPolicy = algorithms || stores || orgs || users || either;
    const body: NodeCreate = {
      name: name.trim(),
      scope,
      api_key: apiKey,
      server_url: serverUrl.trim(),
      port: port.trim() === "" ? null : Number(port),
      api_path: opt(apiPath),
      task_dir: opt(taskDir),
      databases: dbs.map((d) => ({ ...d, label: d.label.trim(), uri: d.uri.trim() })),
      logging_level: level,
      encryption: { enabled: encrypted, private_key: encrypted ? opt(privateKey) : null },
      policies: anyPolicy ? {
        allowed_algorithms: lines(algorithms), allowed_algorithm_stores: lines(stores),
        allowed_organizations: lines(orgs), allowed_users: lines(users), allow_either_whitelist_or_store: either || null,
      } : null,
      extra_env: toMap(env),
      extra_mounts: lines(mounts),
      extra_hosts: toMap(hostsRows),
      docker_registries: regs.filter((r) => r.registry.trim()).map((r) => ({ registry: r.registry.trim(), username: opt(r.username), password: r.password || null })),
      image: opt(image),
    };
    setBusy(true);
    try {
      const d = await api<NodeDetail>("/vantage6/nodes", { method: "POST", body });
      toast.ok(`Created node ${d.name}`);
      navigate(nodeLink(d.name, d.scope));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="page">
      <nav className="crumbs" aria-label="Breadcrumb"><Link to="/vantage6/nodes">vantage6 nodes</Link> / <span>New</span></nav>
      <PageHeader title="New vantage6 node" sub={<>Writes the node's configuration file, as <code>v6 node new</code> does. Start it from its page.</>} />
      <form className="form-grid" onSubmit={submit} noValidate>
        <section className="card stack">
          <h2>Node</h2>
          <Field label="Name" name="name" error={error} hint="Letters, digits, _ . - (e.g. hospital-a). The container is called vantage6-NAME-SCOPE.">
            {(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} placeholder="hospital-a" />}
          </Field>
          <Field label="Scope" name="scope" error={error} hint="User: ~/.config/vantage6 (the CLI's default). System: /etc/vantage6 for all users.">
            {(id) => <select id={id} value={scope} onChange={(e) => setScope(e.target.value as NodeScope)}><option value="user">user</option><option value="system">system</option></select>}
          </Field>
          <Field label="Server URL" name="server_url" error={error} hint="The vantage6 server's base URL, no trailing slash (e.g. https://cotopaxi.vantage6.ai).">
            {(id) => <input id={id} required className="mono" value={serverUrl} onChange={(e) => setServerUrl(e.target.value)} placeholder="https://cotopaxi.vantage6.ai" />}
          </Field>
          <div className="row wrap">
            <Field label="Port" name="port" error={error} hint="443 for https:// URLs, 7601 otherwise, when empty.">
              {(id) => <input id={id} inputMode="numeric" value={port} onChange={(e) => setPort(e.target.value)} placeholder="443" />}
            </Field>
            <Field label="API path" name="api_path" error={error} hint="/api when empty.">
              {(id) => <input id={id} className="mono" value={apiPath} onChange={(e) => setApiPath(e.target.value)} placeholder="/api" />}
            </Field>
          </div>
          <Field label="API key" name="api_key" error={error} hint="The key the server gave your organization's node. Stored in the file; Berth never shows it again.">
            {(id) => (
              <div className="row">
                <input id={id} required className="mono grow" type={showKey ? "text" : "password"} autoComplete="off" value={apiKey} onChange={(e) => setApiKey(e.target.value)} placeholder="e.g. 6c1d0f2e-…" />
                <button type="button" className="btn" aria-pressed={showKey} onClick={() => setShowKey(!showKey)}>{showKey ? "Hide" : "Show"}</button>
              </div>
            )}
          </Field>
          <Field label="Task directory" name="task_dir" error={error} hint="Where algorithm runs keep their files; the node's data folder when empty (e.g. /srv/vantage6/tasks).">
            {(id) => <input id={id} className="mono" value={taskDir} onChange={(e) => setTaskDir(e.target.value)} placeholder="the node's data folder" />}
          </Field>
          <Field label="Logging level" name="logging_level" error={error} hint="INFO is usual; DEBUG when chasing a problem.">
            {(id) => <select id={id} value={level} onChange={(e) => setLevel(e.target.value)}>{LEVELS.map((l) => <option key={l}>{l}</option>)}</select>}
          </Field>
          <Field label="Node image" name="image" error={error} hint="Leave empty: the server's version decides (e.g. harbor2.vantage6.ai/infrastructure/node:4.7).">
            {(id) => <input id={id} className="mono" value={image} onChange={(e) => setImage(e.target.value)} placeholder="chosen by the server's version" />}
          </Field>
        </section>

        <section className="card stack">
          <h2>Databases</h2>
          <p className="hint">Each database algorithms may read. Label: a Python identifier (default, patients_2024). URI: a file or folder on this machine (/data/patients.csv) or a connection URI (postgresql://user@db/clinic).</p>
          <Rows label="Databases" name="databases" rows={dbs} setRows={setDbs} error={error} add="Add database"
            empty={{ label: "", uri: "", type: "csv", read_only: true }}
            render={(d, set, i) => (
              <>
                <Field label="Label" name={`databases[${i}].label`} error={error}>{(id) => <input id={id} className="mono" value={d.label} onChange={(e) => set({ ...d, label: e.target.value })} placeholder="default" />}</Field>
                <Field label="URI" name={`databases[${i}].uri`} error={error}>{(id) => <input id={id} className="mono" value={d.uri} onChange={(e) => set({ ...d, uri: e.target.value })} placeholder="/data/patients.csv" />}</Field>
                <Field label="Type" name={`databases[${i}].type`} error={error}>{(id) => (
                  <select id={id} value={d.type} onChange={(e) => set({ ...d, type: e.target.value })}>{DB_TYPES.map((t) => <option key={t}>{t}</option>)}</select>
                )}</Field>
                <label className="check"><input type="checkbox" checked={d.read_only} onChange={(e) => set({ ...d, read_only: e.target.checked })} /> read-only</label>
              </>
            )} />
        </section>

        <section className="card stack">
          <h2>Encryption and policies</h2>
          <label className="check" data-field="encryption"><input type="checkbox" checked={encrypted} onChange={(e) => setEncrypted(e.target.checked)} /> The collaboration is encrypted</label>
          {encrypted && (
            <Field label="Private key path" name="encryption.private_key" error={error} hint="The organization's private key file, absolute or relative to the node's data folder (e.g. privkey_hospital-a.pem).">
              {(id) => <input id={id} className="mono" value={privateKey} onChange={(e) => setPrivateKey(e.target.value)} placeholder="privkey.pem" />}
            </Field>
          )}
          <Field label="Allowed algorithms" name="policies.allowed_algorithms" error={error} hint="One per line: images or regular expressions (e.g. ^harbor2\.vantage6\.ai/.*). Empty: any.">
            {(id) => <textarea id={id} className="mono" rows={2} value={algorithms} onChange={(e) => setAlgorithms(e.target.value)} />}
          </Field>
          <Field label="Allowed algorithm stores" name="policies.allowed_algorithm_stores" error={error} hint="One per line: store URLs or regular expressions (e.g. https://store.cotopaxi.vantage6.ai).">
            {(id) => <textarea id={id} className="mono" rows={2} value={stores} onChange={(e) => setStores(e.target.value)} />}
          </Field>
          <label className="check"><input type="checkbox" checked={either} onChange={(e) => setEither(e.target.checked)} /> Allow an algorithm in either list (not only in both)</label>
          <Field label="Allowed organizations" name="policies.allowed_organizations" error={error} hint="One per line: organization ids or names (e.g. 3). Empty: any.">
            {(id) => <textarea id={id} className="mono" rows={2} value={orgs} onChange={(e) => setOrgs(e.target.value)} />}
          </Field>
          <Field label="Allowed users" name="policies.allowed_users" error={error} hint="One per line: user ids or names (e.g. alice). Empty: any.">
            {(id) => <textarea id={id} className="mono" rows={2} value={users} onChange={(e) => setUsers(e.target.value)} />}
          </Field>
        </section>

        <section className="card stack">
          <h2>Container extras</h2>
          <Rows label="Extra environment" name="extra_env" rows={env} setRows={setEnv} error={error} add="Add variable" empty={{ k: "", v: "" }}
            render={(r, set) => (
              <>
                <input aria-label="Variable name" className="mono" placeholder="HTTP_PROXY" value={r.k} onChange={(e) => set({ ...r, k: e.target.value })} />
                <input aria-label="Value" className="mono" placeholder="http://proxy:3128" value={r.v} onChange={(e) => set({ ...r, v: e.target.value })} />
              </>
            )} />
          <Field label="Extra mounts" name="extra_mounts" error={error} hint="One per line, SOURCE:TARGET[:MODE] (e.g. /srv/certs:/mnt/certs:ro).">
            {(id) => <textarea id={id} className="mono" rows={2} value={mounts} onChange={(e) => setMounts(e.target.value)} />}
          </Field>
          <Rows label="Extra hosts" name="extra_hosts" rows={hostsRows} setRows={setHostsRows} error={error} add="Add host" empty={{ k: "", v: "" }}
            render={(r, set) => (
              <>
                <input aria-label="Host name" className="mono" placeholder="db.internal" value={r.k} onChange={(e) => set({ ...r, k: e.target.value })} />
                <input aria-label="Address" className="mono" placeholder="10.0.0.5" value={r.v} onChange={(e) => set({ ...r, v: e.target.value })} />
              </>
            )} />
          <Rows label="Registries" name="docker_registries" rows={regs} setRows={setRegs} error={error} add="Add registry" empty={{ registry: "", username: "", password: "" }}
            render={(r, set, i) => (
              <>
                <Field label="Registry" name={`docker_registries[${i}].registry`} error={error}>{(id) => <input id={id} className="mono" value={r.registry} onChange={(e) => set({ ...r, registry: e.target.value })} placeholder="harbor2.vantage6.ai" />}</Field>
                <Field label="User" name={`docker_registries[${i}].username`} error={error}>{(id) => <input id={id} value={r.username} onChange={(e) => set({ ...r, username: e.target.value })} />}</Field>
                <Field label="Password" name={`docker_registries[${i}].password`} error={error}>{(id) => <input id={id} type="password" autoComplete="off" value={r.password} onChange={(e) => set({ ...r, password: e.target.value })} />}</Field>
              </>
            )} />
        </section>

        <div className="form-actions">
          <FormError error={error} fields={["name", "scope", "server_url", "port", "api_path", "api_key", "task_dir", "databases", "logging_level", "encryption", "policies", "extra_env", "extra_mounts", "extra_hosts", "docker_registries", "image"]} />
          <Link className="btn" to="/vantage6/nodes">Cancel</Link>
          <button className="btn btn-primary" disabled={busy}>{busy ? "Creating…" : "Create node"}</button>
        </div>
      </form>
    </div>
  );
}
