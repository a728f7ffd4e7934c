// Safe update of one container: "Check for update" (pulls, leaves the container alone) and
// "Update" (a task followed over its stream like an image pull; then updated, up to date, or
// rolled back with the reason).
import { useState } from "react";
import { api } from "../api/client";
import type { Task } from "../api/types/Task";
import type { UpdateCheck } from "../api/types/UpdateCheck";
import type { UpdateOutcome } from "../api/types/UpdateOutcome";
import { containerPath } from "../lib/containers";
import { shortId } from "../lib/format";
import { followTask } from "../lib/tasks";
import { useToast } from "../lib/toast";

const OUTCOME_TEXT = { updated: "Updated", up_to_date: "Up to date", rolled_back: "Rolled back" } as const;

export function UpdatePanel({ host, id, onChanged }: { host: string; id: string; onChanged: (newId: string) => void }) {
  const toast = useToast();
  const [check, setCheck] = useState<UpdateCheck | null>(null);
  const [checking, setChecking] = useState(false);
  const [task, setTask] = useState<Task | null>(null);
  const [outcome, setOutcome] = useState<UpdateOutcome | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const running = !!task && (task.status === "pending" || task.status === "running");

  const doCheck = async () => {
    setChecking(true);
    setFailure(null);
    try {
      setCheck(await api<UpdateCheck>(`${containerPath(host, id)}/update/check`, { method: "POST" }));
    } catch (e) {
      toast.error(e, "Could not check for an update");
    } finally {
      setChecking(false);
    }
  };

  const doUpdate = async () => {
    setOutcome(null);
    setFailure(null);
    try {
      const t = await api<Task>(`${containerPath(host, id)}/update`, { method: "POST", body: {} });
      setTask(t);
      const end = await followTask(t.id, setTask);
      if (end.status === "succeeded" && end.result) {
        const o = end.result as UpdateOutcome;
        setOutcome(o);
        setCheck(null);
        if (o.status === "rolled_back") toast.error(new Error(o.message), "Update rolled back");
        else toast.ok(o.status === "updated" ? `Updated ${o.name}` : `${o.name} is up to date`);
        if (o.container_id !== id) onChanged(o.container_id);
      } else {
        setFailure(end.error ?? "the update failed");
        toast.error(new Error(end.error ?? "failed"), "Update failed");
      }
    } catch (e) {
      toast.error(e, "Could not update");
      setTask(null);
    }
  };

  return (
    <section className="card stack update-card" data-testid="update-panel">
      <div className="row between wrap">
        <h2>Image update</h2>
        <div className="btn-group">
          <button className="btn" disabled={checking || running} onClick={doCheck}>{checking ? "Checking…" : "Check for update"}</button>
          <button className="btn btn-primary" disabled={running} onClick={doUpdate}>{running ? "Updating…" : "Update"}</button>
        </div>
      </div>
      {!check && !task && <p className="muted small">Check pulls the image and compares; Update recreates the container with the same settings, and puts the old one back if the new one fails.</p>}
      {check && !running && (
        <div className={`notice ${check.update_available ? "notice-warn" : "notice-ok"}`} role="status" data-testid="update-check">
          <b>{check.update_available ? "Update available" : "Up to date"}</b> · <span className="mono small">{check.image}</span>
          <div className="muted small mono">running {shortId(check.current_image_id)}{check.update_available ? ` · latest ${shortId(check.latest_image_id)}` : ""}</div>
        </div>
      )}
      {task && (running || !outcome) && !failure && (
        <div className="progress-block" data-testid="update-progress">
          <div className="row between small"><span>{task.target}: <b>{task.status}</b></span><span className="muted">{task.percent !== null ? `${task.percent.toFixed(0)} %` : ""}</span></div>
          <progress max={100} value={task.percent ?? (task.status === "succeeded" ? 100 : undefined)} aria-label="Update progress" />
          <div className="muted small ellipsis">{task.error ?? task.message}</div>
        </div>
      )}
      {outcome && (
        <div className={`notice ${outcome.status === "rolled_back" ? "notice-bad" : "notice-ok"}`} role="status" data-testid="update-outcome">
          <b>{OUTCOME_TEXT[outcome.status]}</b> · {outcome.message}
          {outcome.warnings.map((w, i) => <div key={i} className="small text-bad">{w}</div>)}
        </div>
      )}
      {failure && <div className="notice notice-bad" role="alert"><b>Failed</b> · {failure}</div>}
    </section>
  );
}
