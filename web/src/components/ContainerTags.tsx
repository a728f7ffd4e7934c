// A container's tags (coloured, shared by schedules, webhooks and notification rules) and its
// web-UI link, with an editor.
import { useState } from "react";
import { api } from "../api/client";
import type { ContainerMeta } from "../api/types/ContainerMeta";
import type { Tag } from "../api/types/Tag";
import { containerPath } from "../lib/containers";
import { useLoad } from "../lib/hooks";
import { useToast } from "../lib/toast";
import { Field, FormError, Modal } from "./ui";

export function ContainerTags({ host, id, write }: { host: string; id: string; write: boolean }) {
  const toast = useToast();
  const meta = useLoad((signal) => api<ContainerMeta>(`${containerPath(host, id)}/meta`, { signal }), [host, id]);
  const tags = useLoad((signal) => api<Tag[]>("/tags", { signal }), []);
  const [editing, setEditing] = useState(false);
  const [chosen, setChosen] = useState<string[]>([]);
  const [link, setLink] = useState("");
  const [newTag, setNewTag] = useState("");
  const [color, setColor] = useState("#3b82f6");
  const [error, setError] = useState<unknown>(null);
  const colorOf = (t: string) => tags.data?.find((x) => x.name === t)?.color ?? "var(--muted)";
  const m = meta.data;
  const save = async () => {
    setError(null);
    try {
      if (newTag.trim() && !tags.data?.some((t) => t.name === newTag.trim())) {
        await api("/tags", { method: "POST", body: { name: newTag.trim(), color } });
      }
      const all = newTag.trim() && !chosen.includes(newTag.trim()) ? [...chosen, newTag.trim()] : chosen;
      await api(`${containerPath(host, id)}/meta`, { method: "PATCH", body: { tags: all, web_url: link.trim() } });
      toast.ok("Tags saved");
      setEditing(false);
      setNewTag("");
      meta.reload();
      tags.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section className="card stack update-card" data-testid="container-tags">
      <div className="row between wrap">
        <h2>Tags</h2>
        {write && m && <button className="btn" onClick={() => { setChosen(m.tags); setLink(m.web_url ?? ""); setError(null); setEditing(true); }}>Edit tags</button>}
      </div>
      {!m ? <span className="muted small">…</span> : (
        <div className="labels">
          {m.tags.length === 0 ? <span className="muted">No tags.</span> : m.tags.map((t) => <span key={t} className="label-chip" style={{ borderColor: colorOf(t) }}><span className="dot" style={{ background: colorOf(t) }} aria-hidden="true" /> {t}</span>)}
          {m.web_url && <a className="port" href={m.web_url} target="_blank" rel="noreferrer">{m.web_url}</a>}
        </div>
      )}
      <Modal title="Edit tags" open={editing} onClose={() => setEditing(false)}>
        <div className="stack">
          <div className="row wrap">
            {(tags.data ?? []).map((t) => (
              <label key={t.name} className="check"><input type="checkbox" checked={chosen.includes(t.name)} onChange={() => setChosen(chosen.includes(t.name) ? chosen.filter((x) => x !== t.name) : [...chosen, t.name])} /> <span className="dot" style={{ background: t.color }} aria-hidden="true" /> {t.name}</label>
            ))}
          </div>
          <div className="row wrap align-end">
            <Field label="New tag" name="name" error={error} className="grow" hint="Letters, digits, - _ . (e.g. nightly).">{(fid) => <input id={fid} value={newTag} onChange={(e) => setNewTag(e.target.value)} />}</Field>
            <Field label="Colour" name="color" error={error}>{(fid) => <input id={fid} type="color" value={color} onChange={(e) => setColor(e.target.value)} />}</Field>
          </div>
          <Field label="Web UI link" name="web_url" error={error} hint="The container's own web page, e.g. http://nas.local:8080; empty removes it.">{(fid) => <input id={fid} className="mono" value={link} onChange={(e) => setLink(e.target.value)} />}</Field>
          <FormError error={error} fields={["name", "color", "web_url"]} />
          <div className="row end"><button className="btn btn-primary" onClick={save}>Save</button></div>
        </div>
      </Modal>
    </section>
  );
}
