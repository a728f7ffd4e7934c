import { useEffect } from "react";
import { Link } from "react-router";
import { ApiError, api } from "../api/client";
import type { AuditPage } from "../api/types/AuditPage";
import type { DiskUsage } from "../api/types/DiskUsage";
import type { Host } from "../api/types/Host";
import type { NodeList } from "../api/types/NodeList";
import { Badge, Empty, ErrorBox, HostDot, PageHeader, Spinner } from "../components/ui";
import { useAuth } from "../lib/auth";
import { useDockerEvents, useEventFeed, useNow } from "../lib/events";
import { ago, bytes, plural } from "../lib/format";
import { useLoad, useTitle } from "../lib/hooks";
import { refreshHosts, useHosts } from "../lib/hosts";
import { NODE_READERS } from "../lib/nodes";

const STATUS_TONE = { online: "ok", offline: "bad", unknown: "muted" } as const;

function Totals({ hosts }: { hosts: Host[] }) {
  const sum = (f: (h: Host) => number) => hosts.reduce((a, h) => a + f(h), 0);
  const running = sum((h) => h.state.containers_running);
  const stopped = sum((h) => h.state.containers_stopped);
  const paused = sum((h) => h.state.containers_paused);
  const online = hosts.filter((h) => h.state.status === "online").length;
  return (
    <div className="stat-grid">
      <Link to="/hosts" className="stat"><span className="stat-num">{online}<span className="muted stat-of">/{hosts.length}</span></span><span className="stat-label">hosts online</span></Link>
      <Link to="/containers?status=running" className="stat stat-ok"><span className="stat-num">{running}</span><span className="stat-label">running</span></Link>
      <Link to="/containers?status=exited" className="stat"><span className="stat-num">{stopped}</span><span className="stat-label">stopped</span></Link>
      <Link to="/containers?status=paused" className="stat stat-warn"><span className="stat-num">{paused}</span><span className="stat-label">paused</span></Link>
    </div>
  );
}

function HostCards({ hosts }: { hosts: Host[] }) {
  if (hosts.length === 0) return <Empty title="No hosts yet"><Link to="/hosts">Add a Docker host</Link></Empty>;
  return (
    <div className="host-grid">
      {hosts.map((h) => (
        <Link key={h.name} to={`/containers?host=${encodeURIComponent(h.name)}`} className="card host-card" style={{ borderTopColor: h.color }}>
          <div className="row between">
            <HostDot color={h.color} name={h.name} />
            <Badge tone={STATUS_TONE[h.state.status]}>{h.state.status}</Badge>
          </div>
          <div className="muted small mono ellipsis" title={h.url}>{h.url}</div>
          <div className="host-counts">
            <span><b>{h.state.containers_running}</b> running</span>
            <span><b>{h.state.containers_stopped}</b> stopped</span>
            <span><b>{h.state.containers_paused}</b> paused</span>
          </div>
          <div className="muted small">
            {h.state.status === "offline"
              ? (h.state.error ?? "not answering")
              : [h.state.engine_version && `Docker ${h.state.engine_version}`, h.state.cpus && `${h.state.cpus} CPUs`,
                h.state.memory_bytes && bytes(h.state.memory_bytes), `${plural(h.state.images, "image")}`].filter(Boolean).join(" · ")}
          </div>
        </Link>
      ))}
    </div>
  );
}

function Resources({ hosts }: { hosts: Host[] }) {
  const online = hosts.filter((h) => h.state.status === "online").map((h) => h.name);
  const df = useLoad(
    (signal) => Promise.all(online.map((h) => api<DiskUsage>(`/hosts/${encodeURIComponent(h)}/system/df`, { signal }).catch(() => null))),
    [online.join(",")],
  );
  const cpus = hosts.reduce((a, h) => a + (h.state.cpus ?? 0), 0);
  const mem = hosts.reduce((a, h) => a + (h.state.memory_bytes ?? 0), 0);
  const images = hosts.reduce((a, h) => a + h.state.images, 0);
  const disk = (df.data ?? []).filter((d): d is DiskUsage => !!d);
  const total = (k: keyof DiskUsage, f: "size" | "reclaimable") => disk.reduce((a, d) => a + d[k][f], 0);
  return (
    <section className="card">
      <h2>Resources</h2>
      <dl className="kv">
        <dt>CPUs</dt><dd>{cpus || "–"}</dd>
        <dt>Memory</dt><dd>{mem ? bytes(mem) : "–"}</dd>
        <dt>Images</dt><dd>{images}{disk.length > 0 && <span className="muted"> · {bytes(total("images", "size"))}</span>}</dd>
        <dt>Volumes</dt><dd>{disk.length ? `${disk.reduce((a, d) => a + d.volumes.count, 0)} · ${bytes(total("volumes", "size"))}` : df.loading ? "…" : "–"}</dd>
        <dt>Container layers</dt><dd>{disk.length ? bytes(total("containers", "size")) : df.loading ? "…" : "–"}</dd>
        <dt>Reclaimable</dt><dd>{disk.length ? bytes(total("images", "reclaimable") + total("volumes", "reclaimable") + total("build_cache", "reclaimable") + total("containers", "reclaimable")) : df.loading ? "…" : "–"}</dd>
      </dl>
    </section>
  );
}

function LiveEvents() {
  const feed = useEventFeed();
  useNow(5000);
  return (
    <section className="card">
      <div className="row between">
        <h2>Live events</h2>
        <span className="muted small"><span className={`live-dot live-${feed.state}`} aria-hidden="true" /> {feed.state === "open" ? "live" : feed.state}</span>
      </div>
      {feed.recent.length === 0 ? (
        <p className="muted">Nothing has happened since you opened Berth. Start or stop a container to see it here.</p>
      ) : (
        <ul className="feed" data-testid="event-feed">
          {feed.recent.slice(0, 12).map((e, i) => (
            <li key={`${e.time}-${e.id}-${e.action}-${i}`}>
              <span className={`feed-action act-${e.action.split(":")[0]}`}>{e.object} {e.action.split(":")[0]}</span>
              <span className="ellipsis">{e.name ?? e.id.slice(0, 12)}</span>
              <span className="muted small">{e.host} · {ago(e.time)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** vantage6 nodes at a glance; absent when the API answers 403 (the role cannot read them). */
function NodesCard() {
  const nodes = useLoad((signal) => api<NodeList>("/vantage6/nodes", { signal }), []);
  if (nodes.error instanceof ApiError && nodes.error.status === 403) return null;
  const d = nodes.data;
  return (
    <section className="card" data-testid="nodes-card">
      <div className="row between">
        <h2>vantage6 nodes</h2>
        <Link to="/vantage6/nodes" className="small">All nodes →</Link>
      </div>
      {nodes.error && !d ? <ErrorBox error={nodes.error} retry={nodes.reload} /> : !d ? <Spinner /> : (
        <dl className="kv">
          <dt>Total</dt><dd>{d.total}</dd>
          <dt>Running</dt><dd className={d.running ? "text-ok" : undefined}>{d.running}</dd>
          <dt>Stopped</dt><dd>{d.stopped}</dd>
        </dl>
      )}
    </section>
  );
}

function RecentActivity() {
  const audit = useLoad((signal) => api<AuditPage>("/audit", { query: { limit: 8 }, signal }), []);
  const reload = audit.reload;
  useEffect(() => {
    const t = window.setInterval(reload, 10000);
    return () => window.clearInterval(t);
  }, [reload]);
  return (
    <section className="card">
      <div className="row between">
        <h2>Recent activity</h2>
        <Link to="/audit" className="small">Audit log →</Link>
      </div>
      {audit.error ? <ErrorBox error={audit.error} /> : !audit.data ? <Spinner /> : audit.data.entries.length === 0 ? <p className="muted">No activity yet.</p> : (
        <ul className="feed">
          {audit.data.entries.map((a) => (
            <li key={a.id}>
              <span className={`feed-action ${a.outcome === "failure" ? "act-die" : ""}`}>{a.action}</span>
              <span className="ellipsis">{a.username ?? "anonymous"}{a.resource_id ? ` · ${a.resource_id}` : ""}</span>
              <span className="muted small">{ago(a.time)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function Dashboard() {
  useTitle("Dashboard");
  const { hosts, error } = useHosts();
  const { can } = useAuth();
  useEffect(() => {
    void refreshHosts();
    const t = window.setInterval(() => void refreshHosts(), 5000);
    return () => window.clearInterval(t);
  }, []);
  // Counts change with container events; the poller updates them within seconds.
  useDockerEvents((e) => {
    if (e.object === "container") window.setTimeout(() => void refreshHosts(), 700);
  });
  return (
    <div className="page" data-ready={hosts ? "true" : undefined} data-testid="dashboard">
      <PageHeader title="Dashboard" sub="Every host at a glance" />
      {error && !hosts ? <ErrorBox error={error} retry={() => void refreshHosts()} /> : !hosts ? <Spinner /> : (
        <>
          <Totals hosts={hosts} />
          <h2 className="section-title">Hosts</h2>
          <HostCards hosts={hosts} />
          <div className="dash-grid">
            <LiveEvents />
            {can("admin") ? <RecentActivity /> : null}
            <Resources hosts={hosts} />
            {can(...NODE_READERS) ? <NodesCard /> : null}
          </div>
        </>
      )}
    </div>
  );
}
