// Image build and push dialogs. Each starts a task and follows it: the task stream carries the
// engine's latest line, which is appended as it comes; a build's result then carries the whole
// log (lines the stream skipped while the browser was busy included).
import { useEffect, useRef, useState, type FormEvent } from "react";
import { api, seg } from "../api/client";
import type { ImageBuildResult } from "../api/types/ImageBuildResult";
import type { ImagePushResult } from "../api/types/ImagePushResult";
import type { Task } from "../api/types/Task";
import { shortId } from "../lib/format";
import { followTask } from "../lib/tasks";
import { useToast } from "../lib/toast";
import { Field, FormError, Modal } from "./ui";

function running(t: Task | null) {
  return !!t && (t.status === "pending" || t.status === "running");
}

/** Follows a task, collecting each distinct status line it shows. */
function useTaskLines() {
  const [task, setTask] = useState<Task | null>(null);
  const [lines, setLines] = useState<string[]>([]);
  const start = async (t: Task) => {
    setTask(t);
    setLines([]);
    return followTask(t.id, (u) => {
      setTask(u);
      if (u.message && u.status === "running") setLines((ls) => (ls[ls.length - 1] === u.message ? ls : [...ls, u.message]));
    });
  };
  const reset = () => {
    setTask(null);
    setLines([]);
  };
  return { task, lines, setLines, start, reset };
}

/** The engine's output, kept scrolled to its end. */
function Output({ lines, testId }: { lines: string[]; testId: string }) {
  const ref = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.scrollTop = ref.current.scrollHeight;
  }, [lines]);
  return (
    <pre ref={ref} className="pre mono small task-output" data-testid={testId} aria-live="polite">
      {lines.length ? lines.join("\n") : "Waiting for the engine…"}
    </pre>
  );
}

function Progress({ task, label }: { task: Task; label: string }) {
  return (
    <div className="progress-block">
      <div className="row between small">
        <span>{task.target}: <b>{task.status}</b></span>
        <span className="muted">{task.total ? `${task.current} / ${task.total} ${label}` : ""}</span>
      </div>
      <progress max={100} value={task.percent ?? (task.status === "succeeded" ? 100 : undefined)} aria-label={`${label} progress`} />
    </div>
  );
}

/** Builds an image from a Dockerfile typed in (no other context files). */
export function BuildDialog({ host, open, onClose, onBuilt }: { host: string; open: boolean; onClose: () => void; onBuilt: () => void }) {
  const toast = useToast();
  const [dockerfile, setDockerfile] = useState("");
  const [tags, setTags] = useState("");
  const [nocache, setNocache] = useState(false);
  const [pull, setPull] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const { task, lines, setLines, start, reset } = useTaskLines();
  const busy = running(task);
  const result = task?.result as ImageBuildResult | null | undefined;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const t = await api<Task>(`/hosts/${seg(host)}/images/build`, {
        method: "POST",
        body: { dockerfile, tags: tags.split(/[\s,]+/).filter(Boolean), nocache, pull },
      });
      const end = await start(t);
      const log = (end.result as ImageBuildResult | null)?.log;
      if (log) setLines(log);
      if (end.status === "succeeded") {
        toast.ok(`Built ${end.target}`);
        onBuilt();
      } else toast.error(new Error(end.error ?? "failed"), `Build of ${end.target} failed`);
    } catch (err) {
      setError(err);
      reset();
    }
  };
  return (
    <Modal title="Build an image" open={open} onClose={onClose} wide>
      <form className="stack" onSubmit={submit}>
        <Field label="Dockerfile" name="dockerfile" error={error} hint="A build from this text alone: COPY and ADD have no files to take. Send a tar archive to the API for a build with files.">
          {(id) => <textarea id={id} required rows={8} className="mono small" spellCheck={false} placeholder={"FROM alpine:3.20\nRUN echo hello > /hello.txt"} value={dockerfile} onChange={(e) => setDockerfile(e.target.value)} />}
        </Field>
        <Field label="Tag" name="tags" error={error} hint="e.g. team/app:1.0; several separated by spaces">
          {(id) => <input id={id} required placeholder="team/app:1.0" value={tags} onChange={(e) => setTags(e.target.value)} />}
        </Field>
        <div className="row wrap">
          <label className="check"><input type="checkbox" checked={nocache} onChange={(e) => setNocache(e.target.checked)} /> No cache</label>
          <label className="check"><input type="checkbox" checked={pull} onChange={(e) => setPull(e.target.checked)} /> Pull newer base images</label>
        </div>
        <FormError error={error} fields={["dockerfile", "tags"]} />
        {task && (
          <>
            <Progress task={task} label="steps" />
            <Output lines={lines} testId="build-output" />
            {task.status === "succeeded" && result?.id && (
              <div className="notice notice-ok" role="status">Built <span className="mono">{shortId(result.id)}</span> as <span className="mono">{result.tags.join(", ")}</span></div>
            )}
            {task.status === "failed" && <div className="notice notice-bad" role="alert">{task.error}</div>}
          </>
        )}
        <div className="row end">
          <button type="button" className="btn" onClick={onClose}>Close</button>
          <button className="btn btn-primary" disabled={busy || !host}>{busy ? "Building…" : "Build"}</button>
        </div>
      </form>
    </Modal>
  );
}

/** Pushes one tag of an image to the registry its name points at. */
export function PushDialog({ host, image, onClose }: { host: string; image: string | null; onClose: () => void }) {
  const toast = useToast();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const { task, lines, start, reset } = useTaskLines();
  const busy = running(task);
  const result = task?.result as ImagePushResult | null | undefined;
  // Closing while a push runs leaves it running (a toast tells the end); reopening shows it.
  const close = () => {
    setPassword("");
    setError(null);
    if (!busy) reset();
    onClose();
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!image) return;
    setError(null);
    try {
      const auth = username.trim() ? { username: username.trim(), password } : null;
      const t = await api<Task>(`/hosts/${seg(host)}/images/${seg(image)}/push`, { method: "POST", body: { auth } });
      const end = await start(t);
      if (end.status === "succeeded") toast.ok(`Pushed ${end.target}`);
      else toast.error(new Error(end.error ?? "failed"), `Push of ${end.target} failed`);
    } catch (err) {
      setError(err);
      reset();
    }
  };
  return (
    <Modal title="Push an image" open={!!image} onClose={close}>
      <form className="stack" onSubmit={submit}>
        <div>Push <b className="mono">{image}</b> to the registry its name points at.</div>
        <div className="form-grid">
          <Field label="Registry user" name="auth.username" error={error} hint="Only if the registry needs it">
            {(id) => <input id={id} autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} />}
          </Field>
          <Field label="Registry password" name="auth.password" error={error} hint="Passed to the engine, never stored">
            {(id) => <input id={id} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />}
          </Field>
        </div>
        <FormError error={error} fields={["auth"]} />
        {task && (
          <>
            <Progress task={task} label="layers" />
            <Output lines={lines} testId="push-output" />
            {task.status === "succeeded" && (
              <div className="notice notice-ok" role="status">Pushed <span className="mono">{result?.image}</span>{result?.digest && <div className="mono small break-all">{result.digest}</div>}</div>
            )}
            {task.status === "failed" && <div className="notice notice-bad" role="alert">{task.error}</div>}
          </>
        )}
        <div className="row end">
          <button type="button" className="btn" onClick={close}>Close</button>
          <button className="btn btn-primary" disabled={busy || !host}>{busy ? "Pushing…" : "Push"}</button>
        </div>
      </form>
    </Modal>
  );
}
