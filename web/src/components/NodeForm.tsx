// The vantage6 node form: every field of the API's create type, each with help and an example,
// and the API's field errors shown at the field. It creates a node, or edits one: prefilled from
// the stored configuration, an edit sends only the fields the user changed, so what the form does
// not show (and what it shows but was left alone) stays in the file exactly as it was.
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { api, ApiError } from "../api/client";
import type { NodeCreate } from "../api/types/NodeCreate";
import type { NodeDetail } from "../api/types/NodeDetail";
import type { NodePolicies } from "../api/types/NodePolicies";
import type { NodeScope } from "../api/types/NodeScope";
import type { NodeUpdate } from "../api/types/NodeUpdate";
import { nodeLink, nodePath } from "../lib/nodes";
import { useToast } from "../lib/toast";
import { Rows } from "./Rows";
import { Field, FormError } from "./ui";

interface KV { k: string; v: string }
interface Db { label: string; uri: string; type: string; read_only: boolean }
interface Reg { registry: string; username: string; password: string }

const DB_TYPES = ["csv", "parquet", "excel", "folder", "sql", "sparql", "omop", "other"];
const LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];
const FIELDS = ["name", "scope", "server_url", "port", "api_path", "api_key", "task_dir", "databases", "logging_level", "encryption", "policies", "extra_env", "extra_mounts", "extra_hosts", "docker_registries", "image"];
const lines = (s: string) => s.split("\n").map((l) => l.trim()).filter(Boolean);
const toMap = (rows: KV[]) => Object.fromEntries(rows.filter((r) => r.k.trim()).map((r) => [r.k.trim(), r.v]));
const toRows = (m: Record<string, string>) => Object.entries(m).map(([k, v]) => ({ k, v }));
const opt = (s: string) => (s.trim() === "" ? null : s.trim());
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The port as a number, or a field error the form shows like the API's (NaN would be sent as null). */
function portOf(port: string): number | null {
  if (port.trim() === "") return null;
  const n = Number(port.trim());
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new ApiError(400, "VALIDATION_FAILED", "the port is a whole number from 1 to 65535, e.g. 443", "port", null);
  }
  return n;
}

/** Creates a node configuration, or (with `initial`) edits that one. */
export function NodeForm({ initial }: { initial?: NodeDetail }) {
  const toast = useToast();
  const navigate = useNavigate();
  const editing = !!initial;
  const [name, setName] = useState(initial?.name ?? "");
  const [scope, setScope] = useState<NodeScope>(initial?.scope ?? "user");
  const [serverUrl, setServerUrl] = useState(initial?.server_url ?? "");
  const [port, setPort] = useState(initial?.port != null ? String(initial.port) : "");
  const [apiPath, setApiPath] = useState(initial?.api_path ?? "");
  const [apiKey, setApiKey] = useState("");
  const [showKey, setShowKey] = useState(false);
  const [taskDir, setTaskDir] = useState(initial?.task_dir ?? "");
  const [dbs, setDbs] = useState<Db[]>(initial ? initial.databases : [{ label: "default", uri: "", type: "csv", read_only: true }]);
  const [level, setLevel] = useState(initial?.logging_level || "INFO");
  const [encrypted, setEncrypted] = useState(initial?.encryption.enabled ?? false);
  const [privateKey, setPrivateKey] = useState(initial?.encryption.private_key ?? "");
  const p = initial?.policies;
  const [algorithms, setAlgorithms] = useState(p?.allowed_algorithms.join("\n") ?? "");
  const [stores, setStores] = useState(p?.allowed_algorithm_stores.join("\n") ?? "");
  const [orgs, setOrgs] = useState(p?.allowed_organizations.join("\n") ?? "");
  const [users, setUsers] = useState(p?.allowed_users.join("\n") ?? "");
  const [either, setEither] = useState(p?.allow_either_whitelist_or_store ?? false);
  const [env, setEnv] = useState<KV[]>(initial ? toRows(initial.extra_env) : []);
  const [mounts, setMounts] = useState(initial?.extra_mounts.join("\n") ?? "");
  const [hostsRows, setHostsRows] = useState<KV[]>(initial ? toRows(initial.extra_hosts) : []);
  // Stored passwords are never shown: an empty password keeps the stored one of that registry.
  const [regs, setRegs] = useState<Reg[]>(initial ? initial.docker_registries.map((r) => ({ registry: r.registry, username: r.username ?? "", password: "" })) : []);
  const [image, setImage] = useState(initial?.image ?? "");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const databases = () => dbs.map((d) => ({ ...d, label: d.label.trim(), uri: d.uri.trim() }));
  const policies = (): NodePolicies | null => {
    const any = algorithms.trim() || stores.trim() || orgs.trim() || users.trim() || either;
    // An explicit `false` in the file stays `false`; otherwise unchecked leaves the key out.
    const eitherValue = either ? true : p?.allow_either_whitelist_or_store === false ? false : null;
    return any || p ? {
      allowed_algorithms: lines(algorithms), allowed_algorithm_stores: lines(stores),
      allowed_organizations: lines(orgs), allowed_users: lines(users), allow_either_whitelist_or_store: eitherValue,
    } : null;
  };
  const registries = () => regs.filter((r) => r.registry.trim()).map((r) => ({ registry: r.registry.trim(), username: opt(r.username), password: r.password || null }));

  /** The edit: each field only when it differs from the stored configuration. */
  const changes = (n: NodeDetail): NodeUpdate => {
    const body: NodeUpdate = {
      server_url: null, port: null, api_path: null, task_dir: null, databases: null, logging_level: null, encryption: null,
      policies: null, extra_env: null, extra_mounts: null, extra_hosts: null, docker_registries: null, image: null,
    };
    if (serverUrl.trim() !== n.server_url) body.server_url = serverUrl.trim();
    const portValue = portOf(port);
    if (portValue !== null && portValue !== n.port) body.port = portValue;
    if (opt(apiPath) !== null && apiPath.trim() !== n.api_path) body.api_path = apiPath.trim();
    if (opt(taskDir) !== null && taskDir.trim() !== n.task_dir) body.task_dir = taskDir.trim();
    if (!same(databases(), n.databases)) body.databases = databases();
    if (level !== n.logging_level) body.logging_level = level;
    const encryption = { enabled: encrypted, private_key: encrypted ? opt(privateKey) : n.encryption.private_key };
    if (!same(encryption, n.encryption)) body.encryption = encryption;
    const pol = policies();
    if (pol && !same(pol, n.policies)) body.policies = pol;
    if (!same(toMap(env), n.extra_env)) body.extra_env = toMap(env);
    if (!same(lines(mounts), n.extra_mounts)) body.extra_mounts = lines(mounts);
    if (!same(toMap(hostsRows), n.extra_hosts)) body.extra_hosts = toMap(hostsRows);
    const regsNow = registries();
    const regsBefore = n.docker_registries.map((r) => ({ registry: r.registry, username: r.username, password: null }));
    if (!same(regsNow, regsBefore)) body.docker_registries = regsNow;
    if (image.trim() !== (n.image ?? "")) body.image = image.trim();
    return body;
  };

  const create = (): NodeCreate => ({
    name: name.trim(),
    scope,
    api_key: apiKey,
    server_url: serverUrl.trim(),
    port: portOf(port),
    api_path: opt(apiPath),
    task_dir: opt(taskDir),
    databases: databases(),
    logging_level: level,
    encryption: { enabled: encrypted, private_key: encrypted ? opt(privateKey) : null },
    policies: policies(),
    extra_env: toMap(env),
    extra_mounts: lines(mounts),
    extra_hosts: toMap(hostsRows),
    docker_registries: registries(),
    image: opt(image),
  });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const d = initial
        ? await api<NodeDetail>(nodePath(initial.name), { method: "PATCH", query: { scope: initial.scope }, body: changes(initial) })
        : await api<NodeDetail>("/vantage6/nodes", { method: "POST", body: create() });
      toast.ok(initial ? `Saved node ${d.name}` : `Created node ${d.name}`);
      navigate(nodeLink(d.name, d.scope));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form-grid" onSubmit={submit} noValidate>
      <section className="card stack">
        <h2>Node</h2>
        {!editing && (
          <>
            <Field label="Name" name="name" error={error} hint="Letters, digits, _ . - (e.g. hospital-a). The container is called vantage6-NAME-SCOPE.">
              {(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} placeholder="hospital-a" />}
            </Field>
            <Field label="Scope" name="scope" error={error} hint="User: ~/.config/vantage6 (the CLI's default). System: /etc/vantage6 for all users.">
              {(id) => <select id={id} value={scope} onChange={(e) => setScope(e.target.value as NodeScope)}><option value="user">user</option><option value="system">system</option></select>}
            </Field>
          </>
        )}
        <Field label="Server URL" name="server_url" error={error} hint="The vantage6 server's base URL, no trailing slash (e.g. https://cotopaxi.vantage6.ai).">
          {(id) => <input id={id} required className="mono" value={serverUrl} onChange={(e) => setServerUrl(e.target.value)} placeholder="https://cotopaxi.vantage6.ai" />}
        </Field>
        <div className="row wrap">
          <Field label="Port" name="port" error={error} hint={editing ? "Empty keeps the stored port." : "443 for https:// URLs, 7601 otherwise, when empty."}>
            {(id) => <input id={id} inputMode="numeric" value={port} onChange={(e) => setPort(e.target.value)} placeholder="443" />}
          </Field>
          <Field label="API path" name="api_path" error={error} hint={editing ? "Empty keeps the stored path." : "/api when empty."}>
            {(id) => <input id={id} className="mono" value={apiPath} onChange={(e) => setApiPath(e.target.value)} placeholder="/api" />}
          </Field>
        </div>
        {!editing && (
          <Field label="API key" name="api_key" error={error} hint="The key the server gave your organization's node. Stored in the file; Berth never shows it again.">
            {(id) => (
              <div className="row">
                <input id={id} required className="mono grow" type={showKey ? "text" : "password"} autoComplete="off" value={apiKey} onChange={(e) => setApiKey(e.target.value)} placeholder="e.g. 6c1d0f2e-…" />
                <button type="button" className="btn" aria-pressed={showKey} onClick={() => setShowKey(!showKey)}>{showKey ? "Hide" : "Show"}</button>
              </div>
            )}
          </Field>
        )}
        <Field label="Task directory" name="task_dir" error={error} hint={editing ? "Where algorithm runs keep their files; empty keeps the stored folder." : "Where algorithm runs keep their files; the node's data folder when empty (e.g. /srv/vantage6/tasks)."}>
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
        <p className="hint">Each database algorithms may read. Label: a Python identifier (default, patients_2024). URI: a file or folder on this machine (/data/patients.csv) or a connection URI (postgresql://user@db/clinic). A relative path is taken from Berth's vantage6 working folder, as the CLI takes it from the folder <code>v6 node start</code> runs in.</p>
        <Rows label="Databases" name="databases" rows={dbs} setRows={setDbs} error={error} add="Add database" rowFields={["label", "uri", "type"]}
          empty={{ label: "", uri: "", type: "csv", read_only: true }}
          render={(d, set, i) => (
            <>
              <Field label="Label" name={`databases[${i}].label`} error={error}>{(id) => <input id={id} className="mono" value={d.label} onChange={(e) => set({ ...d, label: e.target.value })} placeholder="default" />}</Field>
              <Field label="URI" name={`databases[${i}].uri`} error={error} className="field-wide">{(id) => <input id={id} className="mono" value={d.uri} onChange={(e) => set({ ...d, uri: e.target.value })} placeholder="/data/patients.csv" />}</Field>
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
        <Rows label="Registries" name="docker_registries" rows={regs} setRows={setRegs} error={error} add="Add registry" rowFields={["registry", "username", "password"]} empty={{ registry: "", username: "", password: "" }}
          render={(r, set, i) => (
            <>
              <Field label="Registry" name={`docker_registries[${i}].registry`} error={error}>{(id) => <input id={id} className="mono" value={r.registry} onChange={(e) => set({ ...r, registry: e.target.value })} placeholder="harbor2.vantage6.ai" />}</Field>
              <Field label="User" name={`docker_registries[${i}].username`} error={error}>{(id) => <input id={id} value={r.username} onChange={(e) => set({ ...r, username: e.target.value })} />}</Field>
              <Field label="Password" name={`docker_registries[${i}].password`} error={error}>{(id) => <input id={id} type="password" autoComplete="off" value={r.password} onChange={(e) => set({ ...r, password: e.target.value })} placeholder={editing ? "unchanged" : undefined} />}</Field>
            </>
          )} />
      </section>

      <div className="form-actions">
        <FormError error={error} fields={FIELDS} />
        <Link className="btn" to={initial ? nodeLink(initial.name, initial.scope) : "/vantage6/nodes"}>Cancel</Link>
        <button className="btn btn-primary" disabled={busy}>{busy ? (editing ? "Saving…" : "Creating…") : editing ? "Save node" : "Create node"}</button>
      </div>
    </form>
  );
}
