// Notifications (admins): channels (where messages go, with a send test), rules (which events go
// to which channels) and deliveries (the outcome of each send, newest first).
import { useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { api } from "../api/client";
import type { Channel } from "../api/types/Channel";
import type { ChannelConfig } from "../api/types/ChannelConfig";
import type { Delivery } from "../api/types/Delivery";
import type { DeliveryPage } from "../api/types/DeliveryPage";
import type { NotifyEventKind } from "../api/types/NotifyEventKind";
import type { Rule } from "../api/types/Rule";
import type { SmtpSecurity } from "../api/types/SmtpSecurity";
import { Badge, ConfirmDelete, Empty, ErrorBox, Field, FormError, Modal, PageHeader, Spinner } from "../components/ui";
import { ago, dateTime, plural } from "../lib/format";
import { useLoad, useTitle } from "../lib/hooks";
import { useHosts } from "../lib/hosts";
import { useToast } from "../lib/toast";

const TABS = ["channels", "rules", "deliveries"] as const;
type Tab = (typeof TABS)[number];
const KINDS = ["webhook", "discord", "slack", "ntfy", "email"] as const;
type Kind = (typeof KINDS)[number];
const EVENTS: NotifyEventKind[] = ["container_died", "container_oom", "container_unhealthy", "container_restart_loop", "host_offline", "host_online",
  "update_available", "update_applied", "schedule_run_failed", "schedule_run_succeeded", "login_failures"];
const lines = (s: string) => s.split(/[\n,]/).map((l) => l.trim()).filter(Boolean);
const str = (v: unknown) => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");
const opt = (s: string) => (s.trim() === "" ? null : s.trim());

/** The fields of one channel form, as strings. */
type Form = Record<string, string>;

function configOf(kind: Kind, f: Form): ChannelConfig {
  switch (kind) {
    case "webhook": {
      const headers = Object.fromEntries(lines(f.headers ?? "").map((h) => { const i = h.indexOf(":"); return [h.slice(0, i).trim(), h.slice(i + 1).trim()]; }).filter(([k]) => k));
      return { kind, url: opt(f.url ?? ""), method: opt(f.method ?? ""), headers: Object.keys(headers).length ? headers : null, template: opt(f.template ?? "") };
    }
    case "discord": return { kind, webhook_url: opt(f.webhook_url ?? ""), username: opt(f.username ?? "") };
    case "slack": return { kind, webhook_url: opt(f.webhook_url ?? ""), channel: opt(f.channel ?? "") };
    case "ntfy": return { kind, server: (f.server ?? "").trim(), topic: (f.topic ?? "").trim(), token: opt(f.token ?? ""), username: opt(f.username ?? ""), password: opt(f.password ?? ""), priority: f.priority ? Number(f.priority) : null };
    case "email": return { kind, host: (f.host ?? "").trim(), port: f.port ? Number(f.port) : null, security: (f.security || "starttls") as SmtpSecurity, username: opt(f.username ?? ""), password: opt(f.password ?? ""), from: (f.from ?? "").trim(), to: lines(f.to ?? "") };
  }
}

/** The inputs of each kind: name, label, example, secret. */
const KIND_FIELDS: Record<Kind, { key: string; label: string; hint: string; secret?: boolean; area?: boolean }[]> = {
  webhook: [
    { key: "url", label: "URL", hint: "Where to send, e.g. https://example.org/hooks/berth (secret: it may carry a token).", secret: true },
    { key: "method", label: "Method", hint: "POST (default), PUT or PATCH." },
    { key: "headers", label: "Headers", hint: "One per line, Name: value (e.g. Authorization: Bearer …). Secret.", secret: true, area: true },
    { key: "template", label: "Body template", hint: "JSON with {{event}}, {{title}}, {{message}}, {{host}}, {{container}}, {{time}}; a default body when empty.", area: true },
  ],
  discord: [
    { key: "webhook_url", label: "Webhook URL", hint: "https://discord.com/api/webhooks/ID/TOKEN (secret).", secret: true },
    { key: "username", label: "Post as", hint: "The name the message is posted under, e.g. Berth." },
  ],
  slack: [
    { key: "webhook_url", label: "Webhook URL", hint: "https://hooks.slack.com/services/… (secret).", secret: true },
    { key: "channel", label: "Channel", hint: "An override, e.g. #ops." },
  ],
  ntfy: [
    { key: "server", label: "Server", hint: "e.g. https://ntfy.sh" },
    { key: "topic", label: "Topic", hint: "e.g. berth-alerts" },
    { key: "token", label: "Access token", hint: "Sent as a bearer token (secret).", secret: true },
    { key: "username", label: "User", hint: "For basic authentication." },
    { key: "password", label: "Password", hint: "For basic authentication (secret).", secret: true },
    { key: "priority", label: "Priority", hint: "1–5; the server's default when empty." },
  ],
  email: [
    { key: "host", label: "SMTP server", hint: "e.g. smtp.example.org" },
    { key: "port", label: "Port", hint: "587 (STARTTLS), 465 (TLS) or 25 (none) when empty." },
    { key: "security", label: "Security", hint: "starttls, tls or none." },
    { key: "username", label: "SMTP user", hint: "e.g. alerts@example.org" },
    { key: "password", label: "SMTP password", hint: "Secret.", secret: true },
    { key: "from", label: "From", hint: "Sender address, e.g. berth@example.org" },
    { key: "to", label: "To", hint: "Recipients, one per line or comma-separated." },
  ],
};

function ChannelForm({ channel, onDone }: { channel: Channel | null; onDone: () => void }) {
  const toast = useToast();
  const [name, setName] = useState(channel?.name ?? "");
  const [mode, setMode] = useState<"kind" | "url">("kind");
  const [kind, setKind] = useState<Kind>((channel?.kind as Kind) ?? "webhook");
  const [url, setUrl] = useState("");
  const [enabled, setEnabled] = useState(channel?.enabled ?? true);
  const [form, setForm] = useState<Form>(() => {
    const s = channel?.settings ?? {};
    const f: Form = {};
    for (const [k, v] of Object.entries(s)) f[k] = Array.isArray(v) ? v.join("\n") : str(v);
    return f;
  });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const body = { name: name.trim(), enabled, config: mode === "kind" ? configOf(kind, form) : null, url: mode === "url" ? url.trim() : null };
      if (channel) await api(`/notifications/channels/${channel.id}`, { method: "PATCH", body });
      else await api("/notifications/channels", { method: "POST", body });
      toast.ok(channel ? `Saved ${body.name}` : `Created channel ${body.name}`);
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="stack" onSubmit={submit} noValidate>
      <Field label="Name" name="name" error={error} hint="Unique, e.g. ops-webhook.">
        {(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <fieldset className="segmented" aria-label="Settings by">
        {(["kind", "url"] as const).map((m) => (
          <label key={m} className={mode === m ? "active" : ""}>
            <input type="radio" name="channel-mode" value={m} checked={mode === m} onChange={() => setMode(m)} />
            {m === "kind" ? "By kind" : "Shoutrrr URL"}
          </label>
        ))}
      </fieldset>
      {mode === "url" ? (
        <Field label="Shoutrrr URL" name="url" error={error} hint="discord://TOKEN@ID, ntfy://ntfy.sh/topic, slack://…, generic+https://host/path, smtp://user:pass@host:587/?from=…&to=…">
          {(id) => <input id={id} className="mono" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="generic+https://example.org/hook" />}
        </Field>
      ) : (
        <>
          <Field label="Kind" name="config.kind" error={error}>
            {(id) => <select id={id} value={kind} disabled={!!channel} onChange={(e) => { setKind(e.target.value as Kind); setForm({}); }}>{KINDS.map((k) => <option key={k}>{k}</option>)}</select>}
          </Field>
          {KIND_FIELDS[kind].map((f) => {
            const kept = f.secret && channel?.secrets_set.includes(f.key);
            return (
              <Field key={f.key} label={f.label} name={`config.${f.key}`} error={error} hint={kept ? `Set; leave empty to keep it. ${f.hint}` : f.hint}>
                {(id) => f.key === "security"
                  ? <select id={id} value={form.security || "starttls"} onChange={(e) => setForm({ ...form, security: e.target.value })}><option>starttls</option><option>tls</option><option>none</option></select>
                  : f.area || f.key === "to"
                    ? <textarea id={id} className="mono" rows={3} value={form[f.key] ?? ""} onChange={(e) => setForm({ ...form, [f.key]: e.target.value })} />
                    : <input id={id} className="mono" type={f.secret && f.key !== "url" ? "password" : "text"} autoComplete="off" value={form[f.key] ?? ""} onChange={(e) => setForm({ ...form, [f.key]: e.target.value })} />}
              </Field>
            );
          })}
        </>
      )}
      <label className="check"><input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled</label>
      <FormError error={error} fields={["name", "url", "config"]} />
      <div className="row end"><button className="btn btn-primary" disabled={busy}>{busy ? "Saving…" : channel ? "Save" : "Create channel"}</button></div>
    </form>
  );
}

function Channels() {
  const toast = useToast();
  const list = useLoad((signal) => api<Channel[]>("/notifications/channels", { signal }), []);
  const [editing, setEditing] = useState<Channel | "new" | null>(null);
  const [removing, setRemoving] = useState<Channel | null>(null);
  const [tests, setTests] = useState<Record<number, Delivery | "sending">>({});
  const test = async (c: Channel) => {
    setTests((t) => ({ ...t, [c.id]: "sending" }));
    try {
      const d = await api<Delivery>(`/notifications/channels/${c.id}/test`, { method: "POST" });
      setTests((t) => ({ ...t, [c.id]: d }));
      if (d.ok) toast.ok(`Test sent to ${c.name}`);
      else toast.error(new Error(d.error ?? "failed"), `Test to ${c.name} failed`);
    } catch (e) {
      setTests((t) => { const n = { ...t }; delete n[c.id]; return n; });
      toast.error(e, "Could not send a test");
    }
  };
  return (
    <>
      <div className="toolbar"><span className="grow muted">{list.data ? plural(list.data.length, "channel") : ""}</span><button className="btn btn-primary" onClick={() => setEditing("new")}>New channel</button></div>
      {list.error && !list.data ? <ErrorBox error={list.error} retry={list.reload} /> : !list.data ? <Spinner /> : list.data.length === 0 ? <Empty title="No channels">Add a webhook, Discord, Slack, ntfy or e-mail channel to be told when something happens.</Empty> : (
        <div className="table-wrap">
          <table className="table">
            <thead><tr><th>Name</th><th className="hide-sm">Target</th><th>Test</th><th><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {list.data.map((c) => {
                const t = tests[c.id];
                return (
                  <tr key={c.id} data-channel={c.name}>
                    <td><b>{c.name}</b><div className="muted small">{c.kind}</div>{!c.enabled && <Badge>disabled</Badge>}</td>
                    <td className="hide-sm mono small ellipsis-cell" title={c.target}>{c.target}</td>
                    <td data-testid="test-outcome">
                      {t === "sending" ? <span className="muted">sending…</span> : t ? (t.ok ? <Badge tone="ok">sent</Badge> : <span title={t.error ?? ""}><Badge tone="bad">failed</Badge> <span className="small text-bad">{t.error}</span></span>) : null}
                    </td>
                    <td className="actions">
                      <div className="btn-group">
                        <button className="btn btn-sm" disabled={t === "sending"} onClick={() => test(c)}>Send test</button>
                        <button className="btn btn-sm" onClick={() => setEditing(c)}>Edit</button>
                        <button className="btn btn-sm btn-danger" onClick={() => setRemoving(c)}>Delete</button>
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <Modal title={editing === "new" ? "New channel" : `Edit ${editing?.name ?? ""}`} open={!!editing} onClose={() => setEditing(null)} wide>
        {editing && <ChannelForm channel={editing === "new" ? null : editing} onDone={() => { setEditing(null); list.reload(); }} />}
      </Modal>
      <ConfirmDelete item={removing} done="Channel deleted" title={(it) => `Delete ${it.name}?`}
        path={(it) => `/notifications/channels/${it.id}`}
        body="Rules stop sending to it; its past deliveries stay."
        onClose={() => setRemoving(null)} onDone={list.reload} />
    </>
  );
}

function RuleForm({ rule, channels, onDone }: { rule: Rule | null; channels: Channel[]; onDone: () => void }) {
  const toast = useToast();
  const { hosts } = useHosts();
  const [name, setName] = useState(rule?.name ?? "");
  const [enabled, setEnabled] = useState(rule?.enabled ?? true);
  const [events, setEvents] = useState<NotifyEventKind[]>(rule?.events ?? ["container_died"]);
  const [chans, setChans] = useState<number[]>(rule?.channels ?? []);
  const [ruleHosts, setRuleHosts] = useState<string[]>(rule?.hosts ?? []);
  const [tags, setTags] = useState((rule?.tags ?? []).join(", "));
  const [labels, setLabels] = useState((rule?.labels ?? []).join(", "));
  const [cooldown, setCooldown] = useState(String(rule?.cooldown_secs ?? 300));
  const [error, setError] = useState<unknown>(null);
  const toggle = <T,>(xs: T[], x: T) => (xs.includes(x) ? xs.filter((y) => y !== x) : [...xs, x]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const body = { name: name.trim(), enabled, events, channels: chans, hosts: ruleHosts, tags: lines(tags), labels: lines(labels), cooldown_secs: cooldown.trim() === "" ? null : Number(cooldown) };
    try {
      if (rule) await api(`/notifications/rules/${rule.id}`, { method: "PATCH", body });
      else await api("/notifications/rules", { method: "POST", body });
      toast.ok(rule ? `Saved ${body.name}` : `Created rule ${body.name}`);
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="stack" onSubmit={submit} noValidate>
      <Field label="Name" name="name" error={error} hint="e.g. crashes-to-ops">{(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} />}</Field>
      <fieldset className={`rows`} data-field="events">
        <legend>Events</legend>
        <div className="row wrap">{EVENTS.map((ev) => <label key={ev} className="check"><input type="checkbox" checked={events.includes(ev)} onChange={() => setEvents(toggle(events, ev))} /> {ev.replaceAll("_", " ")}</label>)}</div>
      </fieldset>
      <fieldset className="rows" data-field="channels">
        <legend>Channels</legend>
        {channels.length === 0 ? <p className="muted">Create a channel first.</p> : <div className="row wrap">{channels.map((c) => <label key={c.id} className="check"><input type="checkbox" checked={chans.includes(c.id)} onChange={() => setChans(toggle(chans, c.id))} /> {c.name}</label>)}</div>}
      </fieldset>
      <fieldset className="rows" data-field="hosts">
        <legend>Hosts (none ticked: all)</legend>
        <div className="row wrap">{(hosts ?? []).map((h) => <label key={h.name} className="check"><input type="checkbox" checked={ruleHosts.includes(h.name)} onChange={() => setRuleHosts(toggle(ruleHosts, h.name))} /> {h.name}</label>)}</div>
      </fieldset>
      <Field label="Tags" name="tags" error={error} hint="Only containers with one of these tags, comma-separated (e.g. prod, db). Empty: any.">{(id) => <input id={id} value={tags} onChange={(e) => setTags(e.target.value)} />}</Field>
      <Field label="Labels" name="labels" error={error} hint="Only containers with all these labels, key or key=value, comma-separated (e.g. app=web). Empty: any.">{(id) => <input id={id} className="mono" value={labels} onChange={(e) => setLabels(e.target.value)} />}</Field>
      <Field label="Cooldown (seconds)" name="cooldown_secs" error={error} hint="The same event about the same thing is sent once in this time (default 300).">{(id) => <input id={id} inputMode="numeric" value={cooldown} onChange={(e) => setCooldown(e.target.value)} />}</Field>
      <label className="check"><input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled</label>
      <FormError error={error} fields={["name", "tags", "labels", "cooldown_secs"]} />
      <div className="row end"><button className="btn btn-primary">{rule ? "Save" : "Create rule"}</button></div>
    </form>
  );
}

function Rules() {
  const list = useLoad((signal) => Promise.all([api<Rule[]>("/notifications/rules", { signal }), api<Channel[]>("/notifications/channels", { signal })]), []);
  const [editing, setEditing] = useState<Rule | "new" | null>(null);
  const [removing, setRemoving] = useState<Rule | null>(null);
  const [rules, channels] = list.data ?? [undefined, []];
  const chanName = (id: number) => channels.find((c) => c.id === id)?.name ?? `#${id}`;
  return (
    <>
      <div className="toolbar"><span className="grow muted">{rules ? plural(rules.length, "rule") : ""}</span><button className="btn btn-primary" onClick={() => setEditing("new")}>New rule</button></div>
      {list.error && !rules ? <ErrorBox error={list.error} retry={list.reload} /> : !rules ? <Spinner /> : rules.length === 0 ? <Empty title="No rules">A rule sends chosen events (a container died, a host went offline…) to channels.</Empty> : (
        <div className="table-wrap">
          <table className="table">
            <thead><tr><th>Name</th><th>Events</th><th>Channels</th><th className="hide-sm">Filters</th><th className="hide-sm">Cooldown</th><th><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {rules.map((r) => (
                <tr key={r.id}>
                  <td><b>{r.name}</b>{!r.enabled && <Badge>disabled</Badge>}</td>
                  <td className="small">{r.events.map((e) => e.replaceAll("_", " ")).join(", ")}</td>
                  <td className="small">{r.channels.map(chanName).join(", ")}</td>
                  <td className="hide-sm small muted">{[r.hosts.length ? `hosts: ${r.hosts.join(", ")}` : "", r.tags.length ? `tags: ${r.tags.join(", ")}` : "", r.labels.length ? `labels: ${r.labels.join(", ")}` : ""].filter(Boolean).join(" · ") || "all"}</td>
                  <td className="hide-sm">{r.cooldown_secs} s</td>
                  <td className="actions"><div className="btn-group"><button className="btn btn-sm" onClick={() => setEditing(r)}>Edit</button><button className="btn btn-sm btn-danger" onClick={() => setRemoving(r)}>Delete</button></div></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Modal title={editing === "new" ? "New rule" : `Edit ${editing?.name ?? ""}`} open={!!editing} onClose={() => setEditing(null)} wide>
        {editing && <RuleForm rule={editing === "new" ? null : editing} channels={channels} onDone={() => { setEditing(null); list.reload(); }} />}
      </Modal>
      <ConfirmDelete item={removing} done="Rule deleted" title={(it) => `Delete ${it.name}?`}
        path={(it) => `/notifications/rules/${it.id}`}
        body="Its events are no longer sent."
        onClose={() => setRemoving(null)} onDone={list.reload} />
    </>
  );
}

const PAGE = 50;

function Deliveries() {
  const [channel, setChannel] = useState("");
  const [before, setBefore] = useState<number[]>([]);
  const cursor = before[before.length - 1];
  const channels = useLoad((signal) => api<Channel[]>("/notifications/channels", { signal }), []);
  const page = useLoad((signal) => api<DeliveryPage>("/notifications/deliveries", { query: { channel, before: cursor, limit: PAGE }, signal }), [channel, cursor]);
  const d = page.data;
  return (
    <>
      <div className="toolbar">
        <label className="sr-only" htmlFor="delivery-channel">Channel</label>
        <select id="delivery-channel" value={channel} onChange={(e) => { setChannel(e.target.value); setBefore([]); }}>
          <option value="">All channels</option>
          {(channels.data ?? []).map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
        </select>
        <span className="grow" />
        <button className="btn" onClick={page.reload}>Refresh</button>
      </div>
      {page.error && !d ? <ErrorBox error={page.error} retry={page.reload} /> : !d ? <Spinner /> : d.deliveries.length === 0 ? <Empty title="No deliveries">Nothing was sent{channel ? " to this channel" : ""} yet.</Empty> : (
        <>
          <div className="table-wrap">
            <table className="table table-compact" data-testid="deliveries">
              <thead><tr><th>When</th><th>Channel</th><th>Event</th><th className="hide-sm">Title</th><th>Outcome</th></tr></thead>
              <tbody>
                {d.deliveries.map((x) => (
                  <tr key={x.id}>
                    <td className="nowrap" title={dateTime(x.finished_at)}>{ago(x.finished_at)}</td>
                    <td>{x.channel_name}</td>
                    <td className="small">{x.event.replaceAll("_", " ")}</td>
                    <td className="hide-sm small ellipsis-cell" title={x.title}>{x.title}</td>
                    <td>{x.ok ? <Badge tone="ok">sent</Badge> : <><Badge tone="bad">failed</Badge> <span className="small text-bad">{x.error}</span></>}{x.attempts > 1 && <span className="muted small"> · {x.attempts} attempts</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="row end">
            <button className="btn" disabled={before.length === 0} onClick={() => setBefore(before.slice(0, -1))}>Newer</button>
            <button className="btn" disabled={d.next_before === null} onClick={() => d.next_before !== null && setBefore([...before, d.next_before])}>Older</button>
          </div>
        </>
      )}
    </>
  );
}

export default function Notifications() {
  useTitle("Notifications");
  const [params, setParams] = useSearchParams();
  const tab = (TABS as readonly string[]).includes(params.get("tab") ?? "") ? (params.get("tab") as Tab) : "channels";
  return (
    <div className="page">
      <PageHeader title="Notifications" sub="Where Berth tells you what happened" />
      <div className="tabs" role="tablist" aria-label="Notification views">
        {TABS.map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} className={`tab${tab === t ? " active" : ""}`}
            onClick={() => setParams(t === "channels" ? {} : { tab: t }, { replace: true })}>{t[0].toUpperCase() + t.slice(1)}</button>
        ))}
      </div>
      <div role="tabpanel" className="tabpanel">
        {tab === "channels" && <Channels />}
        {tab === "rules" && <Rules />}
        {tab === "deliveries" && <Deliveries />}
      </div>
    </div>
  );
}
