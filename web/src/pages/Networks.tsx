import { useMemo, useState, type FormEvent } from "react";
import { api, seg } from "../api/client";
import type { Network } from "../api/types/Network";
import type { PruneResult } from "../api/types/PruneResult";
import { HostSelect, useHostParam } from "../components/HostSelect";
import { NetworkDetails } from "../components/ResourceDetails";
import { Badge, Confirm, ConfirmDelete, Empty, ErrorBox, Field, FormError, Modal, PageHeader, Spinner } from "../components/ui";
import { useAuth } from "../lib/auth";
import { ago, plural, shortId } from "../lib/format";
import { useLoad, useTitle } from "../lib/hooks";
import { useToast } from "../lib/toast";

const BUILTIN = ["bridge", "host", "none"];

export default function Networks() {
  useTitle("Networks");
  const [host, setHost] = useHostParam();
  const { can } = useAuth();
  const toast = useToast();
  const list = useLoad((signal) => (host ? api<Network[]>(`/hosts/${seg(host)}/networks`, { signal }) : Promise.resolve([])), [host]);
  const [q, setQ] = useState("");
  const [creating, setCreating] = useState(false);
  const [form, setForm] = useState({ name: "", driver: "", subnet: "", gateway: "", internal: false, attachable: false, ipv6: false });
  const [error, setError] = useState<unknown>(null);
  const [removing, setRemoving] = useState<Network | null>(null);
  const [pruning, setPruning] = useState(false);
  const [showing, setShowing] = useState<Network | null>(null);
  const rows = useMemo(() => (list.data ?? []).filter((n) => !q || n.name.toLowerCase().includes(q.toLowerCase())).sort((a, b) => a.name.localeCompare(b.name)), [list.data, q]);
  const write = can("admin", "operator", "deployer");

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api(`/hosts/${seg(host)}/networks`, {
        method: "POST",
        body: { name: form.name.trim(), driver: form.driver.trim() || null, internal: form.internal, attachable: form.attachable, ipv6: form.ipv6,
          subnet: form.subnet.trim() || null, gateway: form.gateway.trim() || null, labels: {} },
      });
      toast.ok(`Created network ${form.name}`);
      setCreating(false);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setForm({ ...form, [k]: e.target.type === "checkbox" ? e.target.checked : e.target.value });

  return (
    <div className="page">
      <PageHeader title="Networks" sub={list.data ? plural(list.data.length, "network") : undefined}>
        <HostSelect host={host} onChange={setHost} />
        {write && <button className="btn" onClick={() => setPruning(true)}>Prune…</button>}
        {write && <button className="btn btn-primary" onClick={() => setCreating(true)}>New network</button>}
      </PageHeader>
      <div className="toolbar">
        <input data-search type="search" className="grow" placeholder="Filter by name  ( / )" aria-label="Filter networks" value={q} onChange={(e) => setQ(e.target.value)} />
      </div>
      {list.error ? <ErrorBox error={list.error} retry={list.reload} /> : !list.data ? <Spinner /> : rows.length === 0 ? <Empty title="No networks" /> : (
        <div className="table-wrap">
          <table className="table">
            <thead><tr><th>Name</th><th>Driver</th><th className="hide-sm">Subnet</th><th className="hide-sm">Id</th><th className="hide-sm">Created</th><th><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {rows.map((n) => (
                <tr key={n.id}>
                  <td>{n.name} {n.internal && <Badge>internal</Badge>} {BUILTIN.includes(n.name) && <Badge tone="info">built-in</Badge>}</td>
                  <td>{n.driver}</td>
                  <td className="hide-sm mono small">{n.subnets.map((s) => s.subnet).filter(Boolean).join(", ") || "–"}</td>
                  <td className="hide-sm mono small">{shortId(n.id)}</td>
                  <td className="hide-sm muted">{ago(n.created)}</td>
                  <td className="actions">
                    <button className="btn btn-sm" onClick={() => setShowing(n)}>Details</button>
                    {write && !BUILTIN.includes(n.name) && <button className="btn btn-sm btn-danger" onClick={() => setRemoving(n)}>Remove</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Modal title="New network" open={creating} onClose={() => setCreating(false)}>
        <form className="stack" onSubmit={create}>
          <Field label="Name" name="name" error={error}>{(id) => <input id={id} required value={form.name} onChange={set("name")} />}</Field>
          <Field label="Driver" name="driver" error={error}>{(id) => <input id={id} placeholder="bridge" value={form.driver} onChange={set("driver")} />}</Field>
          <div className="row wrap">
            <Field label="Subnet" name="subnet" error={error}>{(id) => <input id={id} placeholder="10.10.0.0/24" value={form.subnet} onChange={set("subnet")} />}</Field>
            <Field label="Gateway" name="gateway" error={error}>{(id) => <input id={id} placeholder="10.10.0.1" value={form.gateway} onChange={set("gateway")} />}</Field>
          </div>
          <div className="row wrap">
            <label className="check"><input type="checkbox" checked={form.internal} onChange={set("internal")} /> Internal</label>
            <label className="check"><input type="checkbox" checked={form.attachable} onChange={set("attachable")} /> Attachable</label>
            <label className="check"><input type="checkbox" checked={form.ipv6} onChange={set("ipv6")} /> IPv6</label>
          </div>
          <FormError error={error} fields={["name", "driver", "subnet", "gateway"]} />
          <div className="row end"><button className="btn btn-primary">Create</button></div>
        </form>
      </Modal>
      <Modal title={showing ? `Network ${showing.name}` : "Network details"} open={!!showing} onClose={() => setShowing(null)} wide>
        {showing && <NetworkDetails host={host} id={showing.id} canConnect={write && showing.name !== "host" && showing.name !== "none"} onChanged={list.reload} />}
      </Modal>
      <ConfirmDelete item={removing} verb="Remove" done="Network removed" title={() => "Remove network?"}
        path={(it) => `/hosts/${seg(host)}/networks/${seg(it.id)}`}
        body={(it) => <>Remove <b>{it.name}</b>?</>}
        onClose={() => setRemoving(null)} onDone={list.reload} />
      <Confirm open={pruning} title="Prune networks" danger confirmLabel="Prune" body={`Remove networks on ${host} that no container uses.`}
        onClose={() => setPruning(false)}
        onConfirm={async () => {
          try {
            const r = await api<PruneResult>(`/hosts/${seg(host)}/networks/prune`, { method: "POST" });
            toast.ok(`Pruned ${plural(r.deleted.length, "network")}`);
            setPruning(false);
            list.reload();
          } catch (e) {
            toast.error(e, "Prune failed");
          }
        }} />
    </div>
  );
}
