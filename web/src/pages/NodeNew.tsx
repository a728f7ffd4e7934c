// Create a vantage6 node configuration (the form is shared with the edit page).
import { Link } from "react-router";
import { NodeForm } from "../components/NodeForm";
import { PageHeader } from "../components/ui";
import { useTitle } from "../lib/hooks";

export default function NodeNew() {
  useTitle("New vantage6 node");
  return (
    <div className="page">
      <nav className="crumbs" aria-label="Breadcrumb"><Link to="/vantage6/nodes">vantage6 nodes</Link> / <span>New</span></nav>
      <PageHeader title="New vantage6 node" sub={<>Writes the node's configuration file, as <code>v6 node new</code> does. Start it from its page.</>} />
      <NodeForm />
    </div>
  );
}
