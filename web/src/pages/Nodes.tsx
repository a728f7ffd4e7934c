// vantage6 nodes: every configuration of both scopes with its container's state, databases and
// quick actions (start, stop, restart).
import { useCallback, useState } from "react";
import { Link } from "react-router";
import { api } from "../api/client";
import type { DockerEvent } from "../api/types/DockerEvent";
import type { NodeList } from "../api/types/NodeList";
import type { NodeSummary } from "../api/types/NodeSummary";
import { Badge, Empty, ErrorBox, PageHeader, Spinner } from "../components/ui";
import { useAuth } from "../lib/auth";
import { plural } from "../lib/format";
import { useDockerEvents } from "../lib/events";
import { useLoad, useTitle } from "../lib/hooks";
import { NODE_STATE_TEXT, NODE_TONE, NODE_WRITERS, nodeEditLink, nodeLink, nodePath, type NodeAction } from "../lib/nodes";
import { useToast } from "../lib/toast";

export default function Nodes() {
  useTitle("vantage6 nodes");
  const { can } = useAuth();
  const toast = useToast();
  const list = useLoad((signal) => api<NodeList>("/vantage6/nodes", { signal }), []);
  const [busy, setBusy] = useState<string | null>(null);
  const write = can(...NODE_WRITERS);
  // a node's container starting or stopping (here or from the CLI) changes its row
  const { reload } = list;
  useDockerEvents(useCallback((e: DockerEvent) => {
    if (e.object === "container" && e.host === "local" && e.name?.startsWith("vantage6-")) reload();
  }, [reload]));

  const act = async (n: NodeSummary, a: NodeAction) => {
    setBusy(`${n.scope}/${n.name}`);
    try {
      await api(`${nodePath(n.name)}/${a}`, { method: "POST", body: a === "stop" ? { scope: n.scope, force: false } : { scope: n.scope, image: null, keep: false } });
      toast.ok(`${a}: ${n.name}`);
    } catch (e) {
      toast.error(e, `Could not ${a} ${n.name}`);
    } finally {
      setBusy(null);
      list.reload();
    }
  };

  const d = list.data;
  return (
    <div className="page">
      <PageHeader title="vantage6 nodes" sub={d ? `${plural(d.total, "node")} · ${d.running} running · ${d.stopped} stopped` : undefined}>
        <button className="btn" onClick={list.reload}>Refresh</button>
        {write && <Link className="btn btn-primary" to="/vantage6/nodes/new">New node</Link>}
      </PageHeader>
      {list.error && !d ? <ErrorBox error={list.error} retry={list.reload} /> : !d ? <Spinner /> : d.nodes.length === 0 ? (
        <Empty title="No vantage6 nodes">{write ? <Link to="/vantage6/nodes/new">Create a node configuration</Link> : "An operator or admin can create one."}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="nodes">
            <thead><tr><th>Name</th><th>Status</th><th className="hide-sm">Server</th><th>Databases</th><th><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {d.nodes.map((n) => {
                const key = `${n.scope}/${n.name}`;
                const running = n.container.state === "running";
                return (
                  <tr key={key} data-node={n.name}>
                    <td>
                      <Link to={nodeLink(n.name, n.scope)} className="strong">{n.name}</Link>
                      {n.scope === "system" && <Badge tone="info">system</Badge>}
                      {!n.valid && <div className="text-bad small" title={n.error ?? ""}>invalid: {n.error}</div>}
                    </td>
                    <td><Badge tone={NODE_TONE[n.container.state]}>{NODE_STATE_TEXT[n.container.state]}</Badge>{n.container.status && <div className="muted small">{n.container.status}</div>}</td>
                    <td className="hide-sm mono small ellipsis-cell" title={n.server_url ?? ""}>{n.server_url ?? "–"}</td>
                    <td>
                      {n.databases.length === 0 ? <span className="muted">none</span> : (
                        <div className="labels">{n.databases.map((db) => <span key={db.label} className="label-chip mono" title={db.uri}>{db.label} · {db.type}</span>)}</div>
                      )}
                    </td>
                    <td className="actions">
                      {write && (
                        <div className="btn-group">
                          {!running && <button className="btn btn-sm btn-primary" disabled={busy === key || !n.valid} onClick={() => act(n, "start")}>Start</button>}
                          {running && <button className="btn btn-sm" disabled={busy === key} onClick={() => act(n, "stop")}>Stop</button>}
                          {running && <button className="btn btn-sm" disabled={busy === key} onClick={() => act(n, "restart")}>Restart</button>}
                          <Link className="btn btn-sm" to={nodeEditLink(n.name, n.scope)}>Edit</Link>
                        </div>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
