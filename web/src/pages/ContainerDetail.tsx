// One container: overview, inspect, logs, terminal and stats, with its actions.
import { Fragment, lazy, Suspense, useCallback, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { api } from "../api/client";
import type { ContainerDetail } from "../api/types/ContainerDetail";
import type { DockerEvent } from "../api/types/DockerEvent";
import { Confirm, ErrorBox, HostDot, JsonView, Modal, PageHeader, Spinner, StateBadge } from "../components/ui";
import { LogsView } from "../components/LogsView";
import { UpdatePanel } from "../components/UpdatePanel";
import { ContainerTags } from "../components/ContainerTags";
import { Processes } from "../components/ResourceDetails";
import { useAuth } from "../lib/auth";
import { act, containerPath, portLink, portText, removeContainer, type Action } from "../lib/containers";
import { useDockerEvents } from "../lib/events";
import { ago, bytes, dateTime } from "../lib/format";
import { useLoad, useTitle } from "../lib/hooks";
import { hostColor, useHosts } from "../lib/hosts";
import { useToast } from "../lib/toast";

const Terminal = lazy(() => import("../components/Terminal"));
const StatsCharts = lazy(() => import("../components/StatsCharts"));

const TABS = ["overview", "inspect", "logs", "terminal", "stats", "processes"] as const;
type Tab = (typeof TABS)[number];

function Overview({ c }: { c: ContainerDetail }) {
  const { hosts } = useHosts();
  const host = hosts?.find((h) => h.name === c.host);
  return (
    <div className="detail-grid">
      <section className="card">
        <h2>State</h2>
        <dl className="kv">
          <dt>State</dt><dd><StateBadge state={c.state} />{c.health && <span className="muted"> · {c.health.status}</span>}</dd>
          <dt>Started</dt><dd>{c.running ? `${ago(c.started_at)} (${dateTime(c.started_at)})` : "–"}</dd>
          <dt>Finished</dt><dd>{!c.running && c.finished_at && !c.finished_at.startsWith("0001") ? `${ago(c.finished_at)} · exit ${c.exit_code ?? "?"}` : "–"}</dd>
          <dt>Restarts</dt><dd>{c.restart_count}{c.oom_killed && <span className="badge badge-bad">OOM killed</span>}</dd>
          {c.error && <><dt>Error</dt><dd className="text-bad">{c.error}</dd></>}
          <dt>Created</dt><dd>{dateTime(c.created)}</dd>
          <dt>PID</dt><dd>{c.pid ?? "–"}</dd>
        </dl>
      </section>
      <section className="card">
        <h2>Configuration</h2>
        <dl className="kv">
          <dt>Image</dt><dd className="mono small">{c.image}</dd>
          <dt>Command</dt><dd className="mono small">{[...c.entrypoint, ...c.command].join(" ") || "–"}</dd>
          <dt>Restart</dt><dd>{c.restart_policy || "no"}</dd>
          <dt>Limits</dt><dd>{c.cpus ? `${c.cpus} CPUs` : "no CPU limit"} · {c.memory_bytes ? bytes(c.memory_bytes) : "no memory limit"}</dd>
          <dt>User</dt><dd>{c.user || "image default"}</dd>
          <dt>Workdir</dt><dd className="mono small">{c.working_dir || "–"}</dd>
          <dt>TTY</dt><dd>{c.tty ? "yes" : "no"}{c.privileged && <span className="badge badge-warn">privileged</span>}</dd>
        </dl>
      </section>
      <section className="card">
        <h2>Network</h2>
        <dl className="kv">
          <dt>Mode</dt><dd>{c.network_mode ?? "–"}</dd>
          {c.networks.map((n) => <Fragment key={n.network}><dt>{n.network}</dt><dd className="mono small">{n.ip_address || "no address"}</dd></Fragment>)}
          <dt>Ports</dt>
          <dd>
            {c.ports.length === 0 ? "none" : c.ports.map((p, i) => {
              const href = portLink(p, host);
              return href ? <a key={i} className="port" href={href} target="_blank" rel="noreferrer">{portText(p)}</a> : <span key={i} className="port">{portText(p)}</span>;
            })}
          </dd>
        </dl>
      </section>
      <section className="card">
        <h2>Mounts</h2>
        {c.mounts.length === 0 ? <p className="muted">No mounts.</p> : (
          <ul className="plain">
            {c.mounts.map((m, i) => <li key={i} className="mono small">{m.type}: {m.source} → {m.target}{m.read_only ? " (ro)" : ""}</li>)}
          </ul>
        )}
      </section>
      <section className="card span-2">
        <h2>Environment</h2>
        {c.env.length === 0 ? <p className="muted">None.</p> : <pre className="pre small">{c.env.join("\n")}</pre>}
        <h2>Labels</h2>
        {Object.keys(c.labels).length === 0 ? <p className="muted">None.</p> : (
          <div className="labels">{Object.entries(c.labels).map(([k, v]) => <span key={k} className="label-chip mono">{k}={v}</span>)}</div>
        )}
      </section>
    </div>
  );
}

export default function ContainerDetailPage() {
  const { host = "", id = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const tab = (TABS as readonly string[]).includes(params.get("tab") ?? "") ? (params.get("tab") as Tab) : "overview";
  const { hosts } = useHosts();
  const { can } = useAuth();
  const toast = useToast();
  const navigate = useNavigate();
  const detail = useLoad((signal) => api<ContainerDetail>(containerPath(host, id), { signal }), [host, id]);
  const [busy, setBusy] = useState<string | null>(null);
  const [removing, setRemoving] = useState(false);
  const [renaming, setRenaming] = useState(false);
  const [newName, setNewName] = useState("");
  const [force, setForce] = useState(true);
  const c = detail.data;
  useTitle(c?.name ?? id);

  const { reload } = detail;
  useDockerEvents(useCallback((e: DockerEvent) => {
    if (e.object === "container" && e.host === host && c && (e.id === c.id)) reload();
  }, [host, c, reload]));

  const run = async (a: Action) => {
    setBusy(a);
    try {
      await act(host, id, a);
      toast.ok(`${a}: ${c?.name ?? id}`);
    } catch (e) {
      toast.error(e, `Could not ${a}`);
    } finally {
      setBusy(null);
      reload();
    }
  };
  // As the permission table says: deployers and tenants may run the lifecycle too, but only
  // operators and admins may exec.
  const operate = can("admin", "operator", "deployer", "user");
  const exec = can("admin", "operator");

  if (detail.error && !c) return <div className="page"><ErrorBox error={detail.error} retry={reload} /></div>;
  if (!c) return <Spinner />;
  return (
    <div className="page">
      <nav className="crumbs" aria-label="Breadcrumb"><Link to="/containers">Containers</Link> / <span>{c.name}</span></nav>
      <PageHeader title={c.name} sub={<><HostDot name={c.host} color={hostColor(hosts, c.host)} /> · <span className="mono">{c.id.slice(0, 12)}</span> · <StateBadge state={c.state} /></>}>
        {operate && (
          <div className="btn-group">
            {!c.running && <button className="btn btn-primary" disabled={!!busy} onClick={() => run("start")}>Start</button>}
            {c.running && c.state !== "paused" && <button className="btn" disabled={!!busy} onClick={() => run("stop")}>Stop</button>}
            <button className="btn" disabled={!!busy} onClick={() => run("restart")}>Restart</button>
            {c.state === "paused"
              ? <button className="btn" disabled={!!busy} onClick={() => run("unpause")}>Resume</button>
              : c.running && <button className="btn" disabled={!!busy} onClick={() => run("pause")}>Pause</button>}
            {c.running && <button className="btn" disabled={!!busy} onClick={() => run("kill")}>Kill</button>}
            <button className="btn" onClick={() => { setNewName(c.name); setRenaming(true); }}>Rename</button>
            <button className="btn btn-danger" onClick={() => setRemoving(true)}>Remove</button>
          </div>
        )}
      </PageHeader>
      <div className="tabs" role="tablist" aria-label="Container views">
        {TABS.filter((t) => t !== "terminal" || exec).map((t) => (
          <button
            key={t}
            role="tab"
            aria-selected={tab === t}
            className={`tab${tab === t ? " active" : ""}`}
            onClick={() => setParams(t === "overview" ? {} : { tab: t }, { replace: true })}
          >{t[0].toUpperCase() + t.slice(1)}</button>
        ))}
      </div>
      <div role="tabpanel" className="tabpanel">
        {tab === "overview" && <Overview c={c} />}
        {tab === "overview" && <ContainerTags host={host} id={c.name} write={can("admin", "operator", "deployer", "user")} />}
        {tab === "overview" && can("admin", "operator", "deployer", "user") && (
          <UpdatePanel host={host} id={c.id} onChanged={(newId) => {
            if (c.id.startsWith(id)) navigate(`/containers/${encodeURIComponent(host)}/${encodeURIComponent(newId)}`, { replace: true });
            else reload();
          }} />
        )}
        {tab === "inspect" && <div className="card json-view"><JsonView value={c} /></div>}
        {tab === "logs" && <LogsView host={host} id={c.id} name={c.name} running={c.running} />}
        {tab === "terminal" && exec && (
          <Suspense fallback={<Spinner label="Loading the terminal…" />}>
            {c.running ? <Terminal host={host} id={c.id} /> : <div className="state state-empty"><strong>The container is not running.</strong>Start it to open a terminal.</div>}
          </Suspense>
        )}
        {tab === "processes" && (c.running
          ? <Processes host={host} id={c.id} />
          : <div className="state state-empty"><strong>The container is not running.</strong>It has no processes.</div>)}
        {tab === "stats" && (
          <Suspense fallback={<Spinner label="Loading charts…" />}>
            {c.running ? <StatsCharts host={host} id={c.id} /> : <div className="state state-empty"><strong>The container is not running.</strong>Stats are collected while it runs.</div>}
          </Suspense>
        )}
      </div>
      <Confirm
        open={removing}
        title={`Remove ${c.name}?`}
        danger
        confirmLabel="Remove"
        body="The container and its writable layer are deleted. Named volumes stay."
        onClose={() => setRemoving(false)}
        onConfirm={async () => {
          try {
            await removeContainer(host, c.id, force);
            toast.ok(`Removed ${c.name}`);
            navigate("/containers");
          } catch (e) {
            toast.error(e, "Could not remove");
          }
        }}
      >
        <label className="check"><input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> Stop it first if it runs</label>
      </Confirm>
      <Modal title="Rename container" open={renaming} onClose={() => setRenaming(false)}>
        <form className="stack" onSubmit={async (e) => {
          e.preventDefault();
          try {
            await api(`${containerPath(host, c.id)}/rename`, { method: "POST", body: { name: newName } });
            setRenaming(false);
            toast.ok(`Renamed to ${newName}`);
            navigate(`/containers/${encodeURIComponent(host)}/${encodeURIComponent(newName)}`, { replace: true });
          } catch (err) {
            toast.error(err, "Could not rename");
          }
        }}>
          <div className="field"><label htmlFor="rename">New name</label><input id="rename" value={newName} onChange={(e) => setNewName(e.target.value)} required /></div>
          <div className="row end"><button className="btn btn-primary">Rename</button></div>
        </form>
      </Modal>
    </div>
  );
}
