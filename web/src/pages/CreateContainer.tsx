// The create form: every field of the API's ContainerCreate; an error naming a field is shown
// at that field.
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { api, seg } from "../api/client";
import type { ContainerCreate } from "../api/types/ContainerCreate";
import type { ContainerCreated } from "../api/types/ContainerCreated";
import type { MountSpec } from "../api/types/MountSpec";
import type { PortSpec } from "../api/types/PortSpec";
import { Rows } from "../components/Rows";
import { Field, FormError, PageHeader, fieldOf } from "../components/ui";
import { useTitle } from "../lib/hooks";
import { useHosts } from "../lib/hosts";
import { useToast } from "../lib/toast";

/** Splits a command line into arguments, honouring quotes ("a b" 'c d'). */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: string | null = null;
  let has = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === "\\" && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (cur || has) out.push(cur);
      cur = "";
      has = false;
    } else if (ch === "\\" && i + 1 < s.length) {
      cur += s[++i];
    } else cur += ch;
  }
  if (cur || has) out.push(cur);
  return out;
}

interface KV { k: string; v: string }

const toMap = (rows: KV[]) => Object.fromEntries(rows.filter((r) => r.k.trim()).map((r) => [r.k.trim(), r.v]));
const num = (s: string) => (s.trim() === "" ? null : Number(s));

export default function CreateContainer() {
  useTitle("New container");
  const { hosts } = useHosts();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const toast = useToast();
  const [host, setHost] = useState(params.get("host") ?? "");
  const [image, setImage] = useState(params.get("image") ?? "");
  const [name, setName] = useState("");
  const [command, setCommand] = useState("");
  const [entrypoint, setEntrypoint] = useState("");
  const [env, setEnv] = useState<KV[]>([]);
  const [labels, setLabels] = useState<KV[]>([]);
  const [ports, setPorts] = useState<{ container_port: string; host_port: string; host_ip: string; protocol: string }[]>([]);
  const [mounts, setMounts] = useState<MountSpec[]>([]);
  const [restart, setRestart] = useState("no");
  const [cpus, setCpus] = useState("");
  const [memory, setMemory] = useState("");
  const [network, setNetwork] = useState("");
  const [gpuMode, setGpuMode] = useState<"none" | "all" | "count" | "ids">("none");
  const [gpuValue, setGpuValue] = useState("");
  const [privileged, setPrivileged] = useState(false);
  const [tty, setTty] = useState(false);
  const [stdinOpen, setStdinOpen] = useState(false);
  const [workingDir, setWorkingDir] = useState("");
  const [user, setUser] = useState("");
  const [hostname, setHostname] = useState("");
  const [start, setStart] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const target = host || hosts?.[0]?.name || "";

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const spec: ContainerCreate = {
      image: image.trim(),
      name: name.trim() || null,
      command: command.trim() ? splitArgs(command) : null,
      entrypoint: entrypoint.trim() ? splitArgs(entrypoint) : null,
      env: toMap(env),
      labels: toMap(labels),
      ports: ports.map((p): PortSpec => ({
        container_port: Number(p.container_port),
        host_port: num(p.host_port),
        host_ip: p.host_ip.trim() || null,
        protocol: p.protocol || null,
      })),
      mounts,
      restart_policy: restart === "no" ? null : restart,
      cpus: num(cpus),
      memory_bytes: memory.trim() ? Math.round(Number(memory) * 1024 * 1024) : null,
      network: network.trim() || null,
      gpus: gpuMode === "none" ? null
        : gpuMode === "all" ? { count: -1, device_ids: null }
        : gpuMode === "count" ? { count: Number(gpuValue), device_ids: null }
        : { count: null, device_ids: gpuValue.split(",").map((s) => s.trim()).filter(Boolean) },
      privileged,
      tty,
      stdin_open: stdinOpen,
      working_dir: workingDir.trim() || null,
      user: user.trim() || null,
      hostname: hostname.trim() || null,
      start,
    };
    try {
      const created = await api<ContainerCreated>(`/hosts/${seg(target)}/containers`, { method: "POST", body: spec });
      created.warnings.forEach((w) => toast.info(w));
      toast.ok(`Created ${created.name}${created.started ? " and started it" : ""}`);
      navigate(`/containers/${encodeURIComponent(created.host)}/${encodeURIComponent(created.name)}`);
    } catch (err) {
      setError(err);
      const f = fieldOf(err);
      if (f) {
        requestAnimationFrame(() => {
          const el = document.querySelector<HTMLElement>(`[data-field="${f}"] input, [data-field="${f}"] select, [data-field="${f.split(".")[0]}"] input`);
          el?.focus();
        });
      }
    } finally {
      setBusy(false);
    }
  };

  const all = ["image", "name", "command", "entrypoint", "env", "labels", "ports", "mounts", "restart_policy", "cpus", "memory_bytes", "network", "gpus", "privileged", "tty", "stdin_open", "working_dir", "user", "hostname", "start"];
  return (
    <div className="page">
      <nav className="crumbs" aria-label="Breadcrumb"><Link to="/containers">Containers</Link> / <span>New</span></nav>
      <PageHeader title="New container" sub="Everything but the image is optional." />
      <form className="form-grid" onSubmit={submit} noValidate>
        <section className="card stack">
          <h2>Basics</h2>
          <Field label="Host" name="host" error={error}>
            {(id) => (
              <select id={id} value={target} onChange={(e) => setHost(e.target.value)}>
                {(hosts ?? []).map((h) => <option key={h.name} value={h.name}>{h.name}{h.state.status !== "online" ? ` (${h.state.status})` : ""}</option>)}
              </select>
            )}
          </Field>
          <Field label="Image" name="image" error={error} hint="e.g. nginx:1.27; pulled when missing">
            {(id) => <input id={id} required value={image} onChange={(e) => setImage(e.target.value)} placeholder="nginx:1.27" />}
          </Field>
          <Field label="Name" name="name" error={error}>
            {(id) => <input id={id} value={name} onChange={(e) => setName(e.target.value)} placeholder="chosen by Docker when empty" />}
          </Field>
          <Field label="Command" name="command" error={error} hint="Arguments split like a shell: sh -c 'echo hi'">
            {(id) => <input id={id} className="mono" value={command} onChange={(e) => setCommand(e.target.value)} />}
          </Field>
          <Field label="Entrypoint" name="entrypoint" error={error}>
            {(id) => <input id={id} className="mono" value={entrypoint} onChange={(e) => setEntrypoint(e.target.value)} />}
          </Field>
          <label className="check"><input type="checkbox" checked={start} onChange={(e) => setStart(e.target.checked)} /> Start it after creating</label>
        </section>

        <section className="card stack">
          <h2>Ports and storage</h2>
          <Rows label="Ports" name="ports" rows={ports} setRows={setPorts} error={error} add="Add port"
            empty={{ container_port: "", host_port: "", host_ip: "", protocol: "tcp" }}
            render={(p, set, i) => (
              <>
                <Field label="Container port" name={`ports.${i}.container_port`} error={error}>{(id) => <input id={id} inputMode="numeric" value={p.container_port} onChange={(e) => set({ ...p, container_port: e.target.value })} />}</Field>
                <Field label="Host port" name={`ports.${i}.host_port`} error={error}>{(id) => <input id={id} inputMode="numeric" placeholder="any" value={p.host_port} onChange={(e) => set({ ...p, host_port: e.target.value })} />}</Field>
                <Field label="Host IP" name={`ports.${i}.host_ip`} error={error}>{(id) => <input id={id} placeholder="all" value={p.host_ip} onChange={(e) => set({ ...p, host_ip: e.target.value })} />}</Field>
                <Field label="Protocol" name={`ports.${i}.protocol`} error={error}>{(id) => (
                  <select id={id} value={p.protocol} onChange={(e) => set({ ...p, protocol: e.target.value })}><option>tcp</option><option>udp</option><option>sctp</option></select>
                )}</Field>
              </>
            )} />
          <Rows label="Mounts" name="mounts" rows={mounts} setRows={setMounts} error={error} add="Add mount"
            empty={{ type: "volume", source: "", target: "", read_only: false }}
            render={(m, set, i) => (
              <>
                <Field label="Type" name={`mounts.${i}.type`} error={error}>{(id) => (
                  <select id={id} value={m.type} onChange={(e) => set({ ...m, type: e.target.value })}><option value="volume">volume</option><option value="bind">bind</option></select>
                )}</Field>
                <Field label={m.type === "bind" ? "Host path" : "Volume"} name={`mounts.${i}.source`} error={error}>{(id) => <input id={id} value={m.source} onChange={(e) => set({ ...m, source: e.target.value })} />}</Field>
                <Field label="Target" name={`mounts.${i}.target`} error={error}>{(id) => <input id={id} placeholder="/data" value={m.target} onChange={(e) => set({ ...m, target: e.target.value })} />}</Field>
                <label className="check"><input type="checkbox" checked={m.read_only} onChange={(e) => set({ ...m, read_only: e.target.checked })} /> read-only</label>
              </>
            )} />
          <Field label="Network" name="network" error={error} hint="bridge, host, none, or a network name">
            {(id) => <input id={id} value={network} onChange={(e) => setNetwork(e.target.value)} placeholder="bridge" />}
          </Field>
        </section>

        <section className="card stack">
          <h2>Environment and labels</h2>
          <Rows label="Environment" name="env" rows={env} setRows={setEnv} error={error} add="Add variable" empty={{ k: "", v: "" }}
            render={(r, set) => (
              <>
                <input aria-label="Variable name" className="mono" placeholder="NAME" value={r.k} onChange={(e) => set({ ...r, k: e.target.value })} />
                <input aria-label="Value" className="mono" placeholder="value" value={r.v} onChange={(e) => set({ ...r, v: e.target.value })} />
              </>
            )} />
          <Rows label="Labels" name="labels" rows={labels} setRows={setLabels} error={error} add="Add label" empty={{ k: "", v: "" }}
            render={(r, set) => (
              <>
                <input aria-label="Label key" className="mono" placeholder="key" value={r.k} onChange={(e) => set({ ...r, k: e.target.value })} />
                <input aria-label="Label value" className="mono" placeholder="value" value={r.v} onChange={(e) => set({ ...r, v: e.target.value })} />
              </>
            )} />
        </section>

        <section className="card stack">
          <h2>Runtime</h2>
          <Field label="Restart policy" name="restart_policy" error={error}>
            {(id) => (
              <select id={id} value={restart} onChange={(e) => setRestart(e.target.value)}>
                <option value="no">no</option><option>always</option><option>unless-stopped</option><option>on-failure</option>
                <option value="on-failure:3">on-failure:3</option><option value="on-failure:5">on-failure:5</option>
              </select>
            )}
          </Field>
          <div className="row wrap">
            <Field label="CPUs" name="cpus" error={error}>{(id) => <input id={id} inputMode="decimal" placeholder="no limit" value={cpus} onChange={(e) => setCpus(e.target.value)} />}</Field>
            <Field label="Memory (MiB)" name="memory_bytes" error={error}>{(id) => <input id={id} inputMode="numeric" placeholder="no limit" value={memory} onChange={(e) => setMemory(e.target.value)} />}</Field>
          </div>
          <Field label="GPUs" name="gpus" error={error}>
            {(id) => (
              <div className="row">
                <select id={id} value={gpuMode} onChange={(e) => setGpuMode(e.target.value as typeof gpuMode)}>
                  <option value="none">none</option><option value="all">all</option><option value="count">a number</option><option value="ids">device ids</option>
                </select>
                {(gpuMode === "count" || gpuMode === "ids") && (
                  <input aria-label={gpuMode === "count" ? "GPU count" : "GPU device ids"} placeholder={gpuMode === "count" ? "1" : "0,1 or GPU-uuid"} value={gpuValue} onChange={(e) => setGpuValue(e.target.value)} />
                )}
              </div>
            )}
          </Field>
          <div className="row wrap">
            <Field label="User" name="user" error={error}>{(id) => <input id={id} placeholder="image default" value={user} onChange={(e) => setUser(e.target.value)} />}</Field>
            <Field label="Working directory" name="working_dir" error={error}>{(id) => <input id={id} value={workingDir} onChange={(e) => setWorkingDir(e.target.value)} />}</Field>
            <Field label="Hostname" name="hostname" error={error}>{(id) => <input id={id} value={hostname} onChange={(e) => setHostname(e.target.value)} />}</Field>
          </div>
          <div className="row wrap" data-field="privileged">
            <label className="check"><input type="checkbox" checked={tty} onChange={(e) => setTty(e.target.checked)} /> TTY</label>
            <label className="check"><input type="checkbox" checked={stdinOpen} onChange={(e) => setStdinOpen(e.target.checked)} /> Keep stdin open</label>
            <label className="check"><input type="checkbox" checked={privileged} onChange={(e) => setPrivileged(e.target.checked)} /> Privileged</label>
          </div>
          {fieldOf(error) === "privileged" && <div className="field-error" role="alert">{(error as Error).message}</div>}
        </section>

        <div className="form-actions">
          <FormError error={error} fields={all} />
          <Link className="btn" to="/containers">Cancel</Link>
          <button className="btn btn-primary" disabled={busy || !target}>{busy ? "Creating…" : "Create container"}</button>
        </div>
      </form>
    </div>
  );
}
