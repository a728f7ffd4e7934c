import { useMemo, useState, type FormEvent } from "react";
import { api, seg } from "../api/client";
import type { PruneResult } from "../api/types/PruneResult";
import type { Volume } from "../api/types/Volume";
import { HostSelect, useHostParam } from "../components/HostSelect";
import { VolumeDetails } from "../components/ResourceDetails";
import { Confirm, ConfirmDelete, Empty, ErrorBox, Field, FormError, Modal, PageHeader, Spinner } from "../components/ui";
import { useAuth } from "../lib/auth";
import { ago, bytes, plural } from "../lib/format";
import { useLoad, useTitle } from "../lib/hooks";
import { useToast } from "../lib/toast";

export default function Volumes() {
  useTitle("Volumes");
  const [host, setHost] = useHostParam();
  const { can } = useAuth();
  const toast = useToast();
  const list = useLoad((signal) => (host ? api<Volume[]>(`/hosts/${seg(host)}/volumes`, { signal }) : Promise.resolve([])), [host]);
  const [q, setQ] = useState("");
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState("");
  const [driver, setDriver] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [removing, setRemoving] = useState<Volume | null>(null);
  const [showing, setShowing] = useState<Volume | null>(null);
  const [pruning, setPruning] = useState(false);
  const [pruneAll, setPruneAll] = useState(false);
  const rows = useMemo(() => (list.data ?? []).filter((v) => !q || v.name.toLowerCase().includes(q.toLowerCase())), [list.data, q]);
  const write = can("admin", "operator", "deployer");

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api(`/hosts/${seg(host)}/volumes`, { method: "POST", body: { name: name.trim() || null, driver: driver.trim() || null, driver_opts: {}, labels: {} } });
      toast.ok(`Created volume ${name || "(unnamed)"}`);
      setCreating(false);
      setName("");
      list.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div className="page">
      <PageHeader title="Volumes" sub={list.data ? plural(list.data.length, "volume") : undefined}>
        <HostSelect host={host} onChange={setHost} />
        {write && <button className="btn" onClick={() => setPruning(true)}>Prune…</button>}
        {write && <button className="btn btn-primary" onClick={() => setCreating(true)}>New volume</button>}
      </PageHeader>
      <div className="toolbar">
        <input data-search type="search" className="grow" placeholder="Filter by name  ( / )" aria-label="Filter volumes" value={q} onChange={(e) => setQ(e.target.value)} />
      </div>
      {list.error ? <ErrorBox error={list.error} retry={list.reload} /> : !list.data ? <Spinner /> : rows.length === 0 ? <Empty title="No volumes" /> : (
        <div className="table-wrap">
          <table className="table">
            <thead><tr><th>Name</th><th>Driver</th><th className="hide-sm">Mount point</th><th className="hide-sm">Created</th><th><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {rows.map((v) => (
                <tr key={v.name}>
                  <td className="mono small ellipsis-cell" title={v.name}>{v.name}</td>
                  <td>{v.driver}</td>
                  <td className="hide-sm mono small ellipsis-cell" title={v.mountpoint}>{v.mountpoint}</td>
                  <td className="hide-sm muted">{ago(v.created_at)}</td>
                  <td className="actions">
                    <button className="btn btn-sm" onClick={() => setShowing(v)}>Details</button>
                    {write && <button className="btn btn-sm btn-danger" onClick={() => setRemoving(v)}>Remove</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Modal title="New volume" open={creating} onClose={() => setCreating(false)}>
        <form className="stack" onSubmit={create}>
          <Field label="Name" name="name" error={error}>{(id) => <input id={id} value={name} onChange={(e) => setName(e.target.value)} placeholder="chosen by Docker when empty" />}</Field>
          <Field label="Driver" name="driver" error={error}>{(id) => <input id={id} value={driver} onChange={(e) => setDriver(e.target.value)} placeholder="local" />}</Field>
          <FormError error={error} fields={["name", "driver"]} />
          <div className="row end"><button className="btn btn-primary">Create</button></div>
        </form>
      </Modal>
      <Modal title={showing ? `Volume ${showing.name}` : "Volume details"} open={!!showing} onClose={() => setShowing(null)} wide>
        {showing && <VolumeDetails host={host} name={showing.name} />}
      </Modal>
      <ConfirmDelete item={removing} verb="Remove" done="Volume removed" title={() => "Remove volume?"}
        path={(it) => `/hosts/${seg(host)}/volumes/${seg(it.name)}`}
        body={(it) => <>The data in <b className="mono">{it.name}</b> is deleted.</>}
        onClose={() => setRemoving(null)} onDone={list.reload} />
      <Confirm open={pruning} title="Prune volumes" danger confirmLabel="Prune" body={`Remove volumes on ${host} that no container uses.`}
        onClose={() => setPruning(false)}
        onConfirm={async () => {
          try {
            const r = await api<PruneResult>(`/hosts/${seg(host)}/volumes/prune`, { method: "POST", body: { all: pruneAll } });
            toast.ok(`Pruned ${plural(r.deleted.length, "volume")}, reclaimed ${bytes(r.space_reclaimed)}`);
            setPruning(false);
            list.reload();
          } catch (e) {
            toast.error(e, "Prune failed");
          }
        }}>
        <label className="check"><input type="checkbox" checked={pruneAll} onChange={(e) => setPruneAll(e.target.checked)} /> Named volumes too, not only anonymous ones</label>
      </Confirm>
    </div>
  );
}
