// Details of one image, network, volume or engine, opened from their pages: what the API's
// inspect, history, system-info and top routes answer, plus the actions that belong to them
// (tag an image, connect/disconnect a container). Loaded with those pages, not the first screen.
import { useState, type FormEvent } from "react";
import { api, seg } from "../api/client";
import type { ContainerTop } from "../api/types/ContainerTop";
import type { ImageDetail } from "../api/types/ImageDetail";
import type { ImageHistoryEntry } from "../api/types/ImageHistoryEntry";
import type { Network } from "../api/types/Network";
import type { SystemInfo } from "../api/types/SystemInfo";
import type { Volume } from "../api/types/Volume";
import { bytes, dateTime, shortId } from "../lib/format";
import { useLoad } from "../lib/hooks";
import { useToast } from "../lib/toast";
import { Empty, ErrorBox, Field, FormError, JsonView, Loadable, Spinner } from "./ui";

const list = (items: string[]) => (items.length ? items.join(" ") : "–");

/** An image: its configuration, layer history, and a form to add a tag. */
export function ImageDetails({ host, image, canTag, onTagged }: {
  host: string; image: string; canTag: boolean; onTagged: () => void;
}) {
  const base = `/hosts/${seg(host)}/images/${seg(image)}`;
  const detail = useLoad((signal) => api<ImageDetail>(base, { signal }), [base]);
  const history = useLoad((signal) => api<ImageHistoryEntry[]>(`${base}/history`, { signal }), [base]);
  return (
    <div className="stack" data-testid="image-details">
      <Loadable {...detail} reload={detail.reload}>
        {(d) => (
          <dl className="kv">
            <dt>Id</dt><dd className="mono small">{shortId(d.id)}</dd>
            <dt>Tags</dt><dd className="mono small">{d.repo_tags.length ? d.repo_tags.map((t) => <div key={t}>{t}</div>) : "–"}</dd>
            <dt>Size</dt><dd>{bytes(d.size)}</dd>
            <dt>Created</dt><dd>{dateTime(d.created)}</dd>
            <dt>Platform</dt><dd>{[d.os, d.architecture].filter(Boolean).join("/") || "–"}</dd>
            <dt>Entrypoint</dt><dd className="mono small">{list(d.entrypoint)}</dd>
            <dt>Command</dt><dd className="mono small">{list(d.command)}</dd>
            <dt>Ports</dt><dd className="mono small">{list(d.exposed_ports)}</dd>
            <dt>Workdir</dt><dd className="mono small">{d.working_dir || "–"}</dd>
            <dt>User</dt><dd>{d.user || "root"}</dd>
            <dt>Env</dt><dd className="mono small">{d.env.length ? d.env.map((e) => <div key={e}>{e}</div>) : "–"}</dd>
          </dl>
        )}
      </Loadable>
      {canTag && <TagForm host={host} image={image} onTagged={onTagged} />}
      <h3>History</h3>
      <Loadable {...history} reload={history.reload}>
        {(h) => h.length === 0 ? <Empty title="No layers" /> : (
          <div className="table-wrap">
            <table className="table" data-testid="image-history">
              <thead><tr><th>Created</th><th>Created by</th><th>Size</th></tr></thead>
              <tbody>
                {h.map((l, i) => (
                  <tr key={`${l.id}-${i}`}>
                    <td className="small muted">{dateTime(l.created)}</td>
                    <td className="mono small ellipsis-cell" title={l.created_by}>{l.created_by || "–"}</td>
                    <td className="small">{bytes(l.size)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loadable>
    </div>
  );
}

function TagForm({ host, image, onTagged }: { host: string; image: string; onTagged: () => void }) {
  const toast = useToast();
  const [repo, setRepo] = useState("");
  const [tag, setTag] = useState("");
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api(`/hosts/${seg(host)}/images/${seg(image)}/tag`, { method: "POST", body: { repo: repo.trim(), tag: tag.trim() || null } });
      toast.ok(`Tagged ${repo.trim()}:${tag.trim() || "latest"}`);
      setRepo("");
      setTag("");
      onTagged();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="stack" onSubmit={submit} aria-label="Add a tag">
      <div className="row wrap align-end">
        <Field label="Repository" name="repo" error={error} className="grow">
          {(id) => <input id={id} required placeholder="registry.example.com/team/app" value={repo} onChange={(e) => setRepo(e.target.value)} />}
        </Field>
        <Field label="Tag" name="tag" error={error}>
          {(id) => <input id={id} placeholder="latest" value={tag} onChange={(e) => setTag(e.target.value)} />}
        </Field>
        <button className="btn">Add tag</button>
      </div>
      <FormError error={error} fields={["repo", "tag"]} />
    </form>
  );
}

/** A network: its settings and attached containers, with connect and disconnect. */
export function NetworkDetails({ host, id, canConnect, onChanged }: {
  host: string; id: string; canConnect: boolean; onChanged: () => void;
}) {
  const toast = useToast();
  const base = `/hosts/${seg(host)}/networks/${seg(id)}`;
  const net = useLoad((signal) => api<Network>(base, { signal }), [base]);
  const [container, setContainer] = useState("");
  const [aliases, setAliases] = useState("");
  const [error, setError] = useState<unknown>(null);
  const changed = () => {
    net.reload();
    onChanged();
  };
  const connect = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api(`${base}/connect`, { method: "POST", body: { container: container.trim(), aliases: aliases.split(/[\s,]+/).filter(Boolean), ipv4_address: null } });
      toast.ok(`Connected ${container.trim()}`);
      setContainer("");
      setAliases("");
      changed();
    } catch (err) {
      setError(err);
    }
  };
  const disconnect = async (name: string) => {
    try {
      await api(`${base}/disconnect`, { method: "POST", body: { container: name, force: false } });
      toast.ok(`Disconnected ${name}`);
      changed();
    } catch (err) {
      toast.error(err, "Could not disconnect");
    }
  };
  if (net.error && !net.data) return <ErrorBox error={net.error} retry={net.reload} />;
  const n = net.data;
  if (!n) return <Spinner />;
  return (
    <div className="stack" data-testid="network-details">
      <dl className="kv">
        <dt>Id</dt><dd className="mono small">{shortId(n.id)}</dd>
        <dt>Driver</dt><dd>{n.driver} · {n.scope}</dd>
        <dt>Subnets</dt><dd className="mono small">{n.subnets.map((s) => [s.subnet, s.gateway && `gw ${s.gateway}`].filter(Boolean).join(" ")).join(", ") || "–"}</dd>
        <dt>Options</dt><dd>{[n.internal && "internal", n.attachable && "attachable", n.ipv6 && "IPv6"].filter(Boolean).join(", ") || "–"}</dd>
        <dt>Created</dt><dd>{dateTime(n.created)}</dd>
      </dl>
      <h3>Containers</h3>
      {n.containers.length === 0 ? <Empty title="No container is attached" /> : (
        <div className="table-wrap">
          <table className="table" data-testid="network-containers">
            <thead><tr><th>Container</th><th>Address</th><th><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {n.containers.map((c) => (
                <tr key={c.id} data-container={c.name}>
                  <td>{c.name}</td>
                  <td className="mono small">{c.ipv4_address ?? "–"}</td>
                  <td className="actions">{canConnect && <button className="btn btn-sm" onClick={() => disconnect(c.name)}>Disconnect</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canConnect && (
        <form className="stack" onSubmit={connect} aria-label="Connect a container">
          <div className="row wrap align-end">
            <Field label="Container" name="container" error={error} className="grow">
              {(fid) => <input id={fid} required placeholder="name or id" value={container} onChange={(e) => setContainer(e.target.value)} />}
            </Field>
            <Field label="Aliases" name="aliases" error={error}>
              {(fid) => <input id={fid} placeholder="db, cache" value={aliases} onChange={(e) => setAliases(e.target.value)} />}
            </Field>
            <button className="btn">Connect</button>
          </div>
          <FormError error={error} fields={["container", "aliases"]} />
        </form>
      )}
    </div>
  );
}

/** A volume as the engine describes it. */
export function VolumeDetails({ host, name }: { host: string; name: string }) {
  const vol = useLoad((signal) => api<Volume>(`/hosts/${seg(host)}/volumes/${seg(name)}`, { signal }), [host, name]);
  return (
    <Loadable {...vol} reload={vol.reload}>
      {(v) => (
        <div className="stack" data-testid="volume-details">
          <dl className="kv">
            <dt>Driver</dt><dd>{v.driver} · {v.scope}</dd>
            <dt>Mount point</dt><dd className="mono small">{v.mountpoint}</dd>
            <dt>Created</dt><dd>{dateTime(v.created_at)}</dd>
          </dl>
          <h3>Labels and options</h3>
          <div className="json-view"><JsonView value={{ labels: v.labels, options: v.options }} /></div>
        </div>
      )}
    </Loadable>
  );
}

/** What an engine says about itself (`docker info`). */
export function SystemInfoView({ host }: { host: string }) {
  const info = useLoad((signal) => api<SystemInfo>(`/hosts/${seg(host)}/system/info`, { signal }), [host]);
  return (
    <Loadable {...info} reload={info.reload}>
      {(i) => (
        <div className="stack" data-testid="system-info">
          <dl className="kv">
            <dt>Engine</dt><dd>Docker {i.server_version ?? "?"} · API {i.api_version ?? "?"} (Berth uses {i.negotiated_api_version})</dd>
            <dt>Name</dt><dd>{i.name ?? "–"}</dd>
            <dt>System</dt><dd>{i.operating_system ?? "–"} · {i.os_type ?? ""}/{i.architecture ?? ""}</dd>
            <dt>Kernel</dt><dd className="mono small">{i.kernel_version ?? "–"}</dd>
            <dt>Resources</dt><dd>{i.cpus ?? "?"} CPUs · {bytes(i.memory_bytes)}</dd>
            <dt>Containers</dt><dd>{i.containers} ({i.containers_running} running, {i.containers_paused} paused, {i.containers_stopped} stopped) · {i.images} images</dd>
            <dt>Storage</dt><dd>{i.storage_driver ?? "–"} in <span className="mono small">{i.docker_root_dir ?? "?"}</span></dd>
            <dt>Runtimes</dt><dd>{i.runtimes.join(", ") || "–"}</dd>
            <dt>Swarm</dt><dd>{i.swarm ?? "–"}</dd>
          </dl>
          {i.warnings.length > 0 && (
            <div className="form-error" role="note">{i.warnings.map((w) => <div key={w}>{w}</div>)}</div>
          )}
        </div>
      )}
    </Loadable>
  );
}

/** The processes running in a container (`docker top`), refreshed on demand. */
export function Processes({ host, id }: { host: string; id: string }) {
  const top = useLoad((signal) => api<ContainerTop>(`/hosts/${seg(host)}/containers/${seg(id)}/top`, { signal }), [host, id]);
  return (
    <div className="stack">
      <div className="row end"><button className="btn" onClick={top.reload} disabled={top.loading}>{top.loading ? "Refreshing…" : "Refresh"}</button></div>
      <Loadable {...top} reload={top.reload}>
        {(t) => t.processes.length === 0 ? <Empty title="No processes" /> : (
          <div className="table-wrap">
            <table className="table" data-testid="processes">
              <thead><tr>{t.titles.map((h) => <th key={h}>{h}</th>)}</tr></thead>
              <tbody>
                {t.processes.map((p, i) => (
                  <tr key={i}>{p.map((v, j) => <td key={j} className={t.titles[j] === "CMD" || t.titles[j] === "COMMAND" ? "mono small" : "small"}>{v}</td>)}</tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loadable>
    </div>
  );
}
