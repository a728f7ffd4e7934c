import { useMemo, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { api, seg } from "../api/client";
import type { ImageSummary } from "../api/types/ImageSummary";
import type { PruneResult } from "../api/types/PruneResult";
import type { Task } from "../api/types/Task";
import { HostSelect, useHostParam } from "../components/HostSelect";
import { BuildDialog, PushDialog } from "../components/ImageBuild";
import { ImageDetails } from "../components/ResourceDetails";
import { Confirm, Empty, ErrorBox, Field, FormError, Modal, PageHeader, Spinner } from "../components/ui";
import { useAuth } from "../lib/auth";
import { ago, bytes, plural, shortId } from "../lib/format";
import { useLoad, useTitle } from "../lib/hooks";
import { followTask } from "../lib/tasks";
import { useToast } from "../lib/toast";

function PullForm({ host, onDone }: { host: string; onDone: () => void }) {
  const toast = useToast();
  const [image, setImage] = useState("");
  const [platform, setPlatform] = useState("");
  const [task, setTask] = useState<Task | null>(null);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const t = await api<Task>(`/hosts/${seg(host)}/images/pull`, { method: "POST", body: { image: image.trim(), platform: platform.trim() || null, background: true } });
      setTask(t);
      const end = await followTask(t.id, setTask);
      if (end.status === "succeeded") {
        toast.ok(`Pulled ${end.target}`);
        setImage("");
      } else toast.error(new Error(end.error ?? "failed"), `Pull of ${end.target} failed`);
      onDone();
    } catch (err) {
      setError(err);
      setTask(null);
    }
  };
  const running = task && (task.status === "pending" || task.status === "running");
  return (
    <form className="card stack" onSubmit={submit}>
      <h2>Pull an image</h2>
      <div className="row wrap align-end">
        <Field label="Image" name="image" error={error} className="grow">
          {(id) => <input id={id} required placeholder="nginx:1.27" value={image} onChange={(e) => setImage(e.target.value)} />}
        </Field>
        <Field label="Platform" name="platform" error={error}>
          {(id) => <input id={id} placeholder="linux/amd64" value={platform} onChange={(e) => setPlatform(e.target.value)} />}
        </Field>
        <button className="btn btn-primary" disabled={!!running || !host}>{running ? "Pulling…" : "Pull"}</button>
      </div>
      <FormError error={error} fields={["image", "platform"]} />
      {task && (
        <div className="progress-block" data-testid="pull-progress">
          <div className="row between small">
            <span>{task.target}: <b>{task.status}</b></span>
            <span className="muted">{task.percent !== null ? `${task.percent.toFixed(0)} %` : ""} {task.total ? `${bytes(task.current)} / ${bytes(task.total)}` : ""}</span>
          </div>
          <progress max={100} value={task.percent ?? (task.status === "succeeded" ? 100 : undefined)} aria-label="Pull progress" />
          <div className="muted small ellipsis">{task.error ?? task.message}</div>
        </div>
      )}
    </form>
  );
}

export default function Images() {
  useTitle("Images");
  const [host, setHost] = useHostParam();
  const { can } = useAuth();
  const toast = useToast();
  const list = useLoad((signal) => (host ? api<ImageSummary[]>(`/hosts/${seg(host)}/images`, { signal }) : Promise.resolve([])), [host]);
  const [q, setQ] = useState("");
  const [removing, setRemoving] = useState<ImageSummary | null>(null);
  const [force, setForce] = useState(false);
  const [pruning, setPruning] = useState(false);
  const [pruneAll, setPruneAll] = useState(false);
  const [showing, setShowing] = useState<ImageSummary | null>(null);
  const rows = useMemo(() => (list.data ?? []).filter((i) => !q || i.repo_tags.join(" ").toLowerCase().includes(q.toLowerCase()) || i.id.includes(q))
    .sort((a, b) => b.created.localeCompare(a.created)), [list.data, q]);
  // As the permission table says: operators and tenants pull; admins and deployers also remove, prune and tag.
  const pull = can("admin", "operator", "deployer", "user");
  const manage = can("admin", "deployer");
  const [building, setBuilding] = useState(false);
  const [pushing, setPushing] = useState<string | null>(null);
  return (
    <div className="page">
      <PageHeader title="Images" sub={list.data ? `${plural(list.data.length, "image")} · ${bytes(list.data.reduce((a, i) => a + i.size, 0))}` : undefined}>
        <HostSelect host={host} onChange={setHost} />
        {manage && <button className="btn" onClick={() => setBuilding(true)}>Build…</button>}
        {manage && <button className="btn" onClick={() => setPruning(true)}>Prune…</button>}
      </PageHeader>
      {pull && <PullForm host={host} onDone={list.reload} />}
      <div className="toolbar">
        <input data-search type="search" className="grow" placeholder="Filter by tag or id  ( / )" aria-label="Filter images" value={q} onChange={(e) => setQ(e.target.value)} />
      </div>
      {list.error ? <ErrorBox error={list.error} retry={list.reload} /> : !list.data ? <Spinner /> : rows.length === 0 ? <Empty title="No images" /> : (
        <div className="table-wrap">
          <table className="table">
            <thead><tr><th>Tags</th><th>Id</th><th>Size</th><th className="hide-sm">Created</th><th className="hide-sm">Used by</th><th><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {rows.map((i) => (
                <tr key={i.id}>
                  <td>{i.repo_tags.length ? i.repo_tags.map((t) => (
                    <div key={t} className="row mono small">
                      <span className="ellipsis">{t}</span>
                      {manage && <button className="btn btn-sm btn-ghost" aria-label={`Push ${t}`} title="Push to its registry" onClick={() => setPushing(t)}>Push</button>}
                    </div>
                  )) : <span className="muted">&lt;none&gt;{i.dangling ? " (dangling)" : ""}</span>}</td>
                  <td className="mono small">{shortId(i.id)}</td>
                  <td>{bytes(i.size)}</td>
                  <td className="hide-sm muted">{ago(i.created)}</td>
                  <td className="hide-sm">{i.containers < 0 ? "–" : i.containers}</td>
                  <td className="actions">
                    <button className="btn btn-sm" onClick={() => setShowing(i)}>Details</button>
                    {i.repo_tags[0] && <Link className="btn btn-sm" to={`/containers/new?host=${encodeURIComponent(host)}&image=${encodeURIComponent(i.repo_tags[0])}`}>Run</Link>}
                    {manage && <button className="btn btn-sm btn-danger" onClick={() => setRemoving(i)}>Remove</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <BuildDialog host={host} open={building} onClose={() => setBuilding(false)} onBuilt={list.reload} />
      <PushDialog host={host} image={pushing} onClose={() => setPushing(null)} />
      <Modal title={showing ? `Image ${showing.repo_tags[0] ?? shortId(showing.id)}` : "Image details"} open={!!showing} onClose={() => setShowing(null)} wide>
        {showing && <ImageDetails host={host} image={showing.id} canTag={manage} onTagged={list.reload} />}
      </Modal>
      <Confirm open={!!removing} title="Remove image?" danger confirmLabel="Remove"
        body={<>Remove <b className="mono">{removing?.repo_tags[0] ?? shortId(removing?.id ?? "")}</b> from {host}?</>}
        onClose={() => setRemoving(null)}
        onConfirm={async () => {
          if (!removing) return;
          try {
            await api(`/hosts/${seg(host)}/images/${seg(removing.repo_tags[0] ?? removing.id)}`, { method: "DELETE", query: { force } });
            toast.ok("Image removed");
            setRemoving(null);
            list.reload();
          } catch (e) {
            toast.error(e, "Could not remove");
          }
        }}>
        <label className="check"><input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> Force (even if used or tagged several times)</label>
      </Confirm>
      <Confirm open={pruning} title="Prune images" danger confirmLabel="Prune"
        body={`Remove images on ${host} that nothing uses.`}
        onClose={() => setPruning(false)}
        onConfirm={async () => {
          try {
            const r = await api<PruneResult>(`/hosts/${seg(host)}/images/prune`, { method: "POST", body: { all: pruneAll } });
            toast.ok(`Pruned ${plural(r.deleted.length, "image")}, reclaimed ${bytes(r.space_reclaimed)}`);
            setPruning(false);
            list.reload();
          } catch (e) {
            toast.error(e, "Prune failed");
          }
        }}>
        <label className="check"><input type="checkbox" checked={pruneAll} onChange={(e) => setPruneAll(e.target.checked)} /> Every unused image, not only dangling ones</label>
      </Confirm>
    </div>
  );
}
