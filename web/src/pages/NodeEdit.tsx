// Edit a vantage6 node's configuration: the create form, prefilled from the stored file. Only
// operators and admins may; the API key has its own action on the node's page.
import { Link, useParams, useSearchParams } from "react-router";
import { api } from "../api/client";
import type { NodeDetail } from "../api/types/NodeDetail";
import type { NodeScope } from "../api/types/NodeScope";
import { NodeForm } from "../components/NodeForm";
import { ErrorBox, PageHeader, Spinner } from "../components/ui";
import { useAuth } from "../lib/auth";
import { useLoad, useTitle } from "../lib/hooks";
import { NODE_WRITERS, nodeLink, nodePath } from "../lib/nodes";

export default function NodeEdit() {
  const { name = "" } = useParams();
  const [params] = useSearchParams();
  const scope: NodeScope = params.get("scope") === "system" ? "system" : "user";
  useTitle(`Edit ${name}`);
  const { can } = useAuth();
  const detail = useLoad((signal) => api<NodeDetail>(nodePath(name), { query: { scope }, signal }), [name, scope]);
  const n = detail.data;
  const crumbs = <nav className="crumbs" aria-label="Breadcrumb"><Link to="/vantage6/nodes">vantage6 nodes</Link> / <Link to={nodeLink(name, scope)}>{name}</Link> / <span>Edit</span></nav>;
  if (!can(...NODE_WRITERS)) return <div className="page">{crumbs}<ErrorBox error={new Error("Only operators and admins may edit a node.")} /></div>;
  if (detail.error && !n) return <div className="page">{crumbs}<ErrorBox error={detail.error} retry={detail.reload} /></div>;
  if (!n) return <Spinner />;
  return (
    <div className="page">
      {crumbs}
      <PageHeader title={`Edit ${n.name}`} sub={<>{n.scope} scope · <span className="mono small">{n.config_file}</span> · keys this form does not show stay as they are. A running node uses the change after a restart.</>} />
      <NodeForm key={`${n.scope}/${n.name}`} initial={n} />
    </div>
  );
}
