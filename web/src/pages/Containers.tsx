// Every container of every host in one virtualized table: search, filters, sorting, bulk
// actions, and live state from the event stream.
import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useCallback, useDeferredValue, useEffect, useMemo, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api } from "../api/client";
import type { AllContainers } from "../api/types/AllContainers";
import type { ContainerMeta } from "../api/types/ContainerMeta";
import type { ContainerSummary } from "../api/types/ContainerSummary";
import type { DockerEvent } from "../api/types/DockerEvent";
import type { Host } from "../api/types/Host";
import type { Tag } from "../api/types/Tag";
import { Confirm, Empty, ErrorBox, HostDot, PageHeader, Spinner, StateBadge } from "../components/ui";
import { useAuth } from "../lib/auth";
import { act, portLink, portText, removeContainer, runAll, stateAfter, type Action } from "../lib/containers";
import { useDockerEvents } from "../lib/events";
import { ago, plural } from "../lib/format";
import { useLoad, useTitle } from "../lib/hooks";
import { useHosts } from "../lib/hosts";
import { useToast } from "../lib/toast";

const key = (c: ContainerSummary) => `${c.host}/${c.id}`;
type SortKey = "name" | "host" | "image" | "state" | "created";
const STATE_ORDER = ["running", "restarting", "paused", "created", "removing", "exited", "dead", "unknown"];

function matchesLabel(c: ContainerSummary, filter: string) {
  if (!filter) return true;
  return filter.split(",").map((f) => f.trim()).filter(Boolean).every((f) => {
    const [k, ...rest] = f.split("=");
    if (rest.length === 0) return k in c.labels;
    return c.labels[k] === rest.join("=");
  });
}

interface RowProps {
  c: ContainerSummary;
  host: Host | undefined;
  /** Tags and web-UI link Berth keeps for this container (by host and name). */
  meta: ContainerMeta | undefined;
  tagColors: Map<string, string>;
  selected: boolean;
  operate: boolean;
  start: number;
  index: number;
  toggle: (k: string) => void;
}

/** One row; memoized so scrolling re-renders only rows that come into view. */
const Row = memo(function Row({ c, host, meta, tagColors, selected, operate, start, index, toggle }: RowProps) {
  const k = key(c);
  const published = c.ports.filter((p) => p.host_port);
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      className={`vrow${selected ? " selected" : ""}`}
      data-name={c.name}
      style={{ transform: `translateY(${start}px)` }}
    >
      <div role="cell" className="cell cell-check">
        <input type="checkbox" aria-label={`Select ${c.name}`} checked={selected} disabled={!operate} onChange={() => toggle(k)} />
      </div>
      <div role="cell" className="cell cell-name">
        <Link to={`/containers/${encodeURIComponent(c.host)}/${encodeURIComponent(c.name || c.id)}`} className="ellipsis strong">{c.name}</Link>
        <span className="row-meta">
          <span className="muted small mono">{c.id.slice(0, 12)}</span>
          {meta?.tags.map((t) => (
            <span key={t} className="tag-mini" title={`Tag ${t}`}>
              <span className="dot" style={{ background: tagColors.get(t) ?? "var(--muted)" }} aria-hidden="true" />{t}
            </span>
          ))}
          {meta?.web_url && <a className="small" href={meta.web_url} target="_blank" rel="noreferrer" title={meta.web_url}>web UI ↗</a>}
        </span>
      </div>
      <div role="cell" className="cell cell-host"><HostDot name={c.host} color={host?.color} /></div>
      <div role="cell" className="cell cell-state">
        <StateBadge state={c.state} />
        <span className="muted small ellipsis hide-sm">{c.status}</span>
      </div>
      <div role="cell" className="cell cell-image hide-sm"><span className="ellipsis mono small" title={c.image}>{c.image}</span></div>
      <div role="cell" className="cell cell-ports hide-sm">
        {published.slice(0, 3).map((p, i) => {
          const href = portLink(p, host);
          return href
            ? <a key={i} href={href} target="_blank" rel="noreferrer" className="port">{portText(p)}</a>
            : <span key={i} className="port">{portText(p)}</span>;
        })}
        {published.length > 3 && <span className="muted small">+{published.length - 3}</span>}
      </div>
      <div role="cell" className="cell cell-created hide-md muted small">{ago(c.created)}</div>
    </div>
  );
});

/** The scrolling part of the table: only rows in view (plus a few) are in the DOM. */
function VirtualBody({ rows, selected, hostMap, metaMap, tagColors, operate, toggle }: {
  rows: ContainerSummary[]; selected: Set<string>; hostMap: Map<string, Host>; metaMap: Map<string, ContainerMeta>;
  tagColors: Map<string, string>; operate: boolean; toggle: (k: string) => void;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virt = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => 52,
    overscan: 8,
    useFlushSync: false,
  });
  return (
    <div ref={scrollRef} className="vbody" role="rowgroup" data-testid="container-scroll">
      <div style={{ height: virt.getTotalSize(), position: "relative" }}>
        {virt.getVirtualItems().map((vi) => {
          const c = rows[vi.index];
          return (
            <Row key={key(c)} c={c} host={hostMap.get(c.host)} meta={metaMap.get(`${c.host}/${c.name}`)} tagColors={tagColors} selected={selected.has(key(c))} operate={operate}
              start={vi.start} index={vi.index} toggle={toggle} />
          );
        })}
      </div>
    </div>
  );
}

export function ContainersPage() {
  useTitle("Containers");
  const toast = useToast();
  const { can } = useAuth();
  const { hosts } = useHosts();
  const [params, setParams] = useSearchParams();
  // The search box is local state (typing stays instant); the URL follows shortly after.
  const [q, setQ] = useState(params.get("q") ?? "");
  const deferredQ = useDeferredValue(q);
  const hostF = params.get("host") ?? "";
  const statusF = params.get("status") ?? "";
  const tagF = params.get("tag") ?? "";
  const [labelF, setLabelF] = useState(params.get("label") ?? "");
  const sort = (params.get("sort") as SortKey) ?? "name";
  const order = params.get("order") === "desc" ? "desc" : "asc";
  const setParam = useCallback((k: string, v: string) => {
    setParams((p) => {
      const n = new URLSearchParams(p);
      if (v) n.set(k, v);
      else n.delete(k);
      return n;
    }, { replace: true });
  }, [setParams]);

  useEffect(() => {
    const t = window.setTimeout(() => {
      setParam("q", q);
      setParam("label", labelF);
    }, 250);
    return () => window.clearTimeout(t);
  }, [q, labelF, setParam]);

  const list = useLoad((signal) => api<AllContainers>("/containers", { query: { all: true }, signal }), []);
  // Tags and web-UI links are extras: the table works without them.
  const tags = useLoad((signal) => api<Tag[]>("/tags", { signal }), []);
  const metas = useLoad((signal) => api<ContainerMeta[]>("/container-meta", { signal }), []);
  const metaMap = useMemo(
    () => new Map((metas.data ?? []).map((m) => [`${m.host}/${m.container}`, m] as [string, ContainerMeta])),
    [metas.data],
  );
  const tagColors = useMemo(() => new Map((tags.data ?? []).map((t) => [t.name, t.color] as [string, string])), [tags.data]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirmRemove, setConfirmRemove] = useState(false);
  const [force, setForce] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);

  // Live: apply what an event says at once, then refetch (debounced) for Docker's status text.
  const refetchTimer = useRef<number | undefined>(undefined);
  const { setData, reload } = list;
  const onEvent = useCallback((e: DockerEvent) => {
    if (e.object !== "container") return;
    const next = stateAfter(e.action);
    if (next) {
      setData((old) => old && {
        ...old,
        containers: next === "gone"
          ? old.containers.filter((c) => !(c.host === e.host && c.id === e.id))
          : old.containers.map((c) => (c.host === e.host && c.id === e.id ? { ...c, state: next } : c)),
      });
    }
    window.clearTimeout(refetchTimer.current);
    refetchTimer.current = window.setTimeout(reload, 1200);
  }, [setData, reload]);
  useDockerEvents(onEvent);
  useEffect(() => () => window.clearTimeout(refetchTimer.current), []);

  const all = list.data?.containers;
  const rows = useMemo(() => {
    if (!all) return [];
    const needle = deferredQ.trim().toLowerCase();
    const filtered = all.filter((c) =>
      (!hostF || c.host === hostF)
      && (!statusF || (statusF === "stopped" ? ["exited", "created", "dead"].includes(c.state) : c.state === statusF))
      && matchesLabel(c, labelF)
      && (!tagF || (metaMap.get(`${c.host}/${c.name}`)?.tags.includes(tagF) ?? false))
      && (!needle || c.name.toLowerCase().includes(needle) || c.image.toLowerCase().includes(needle)
        || c.id.startsWith(needle) || Object.entries(c.labels).some(([k, v]) => `${k}=${v}`.toLowerCase().includes(needle))));
    const dir = order === "asc" ? 1 : -1;
    const val = (c: ContainerSummary): string | number =>
      sort === "state" ? STATE_ORDER.indexOf(c.state) : sort === "created" ? Date.parse(c.created) : c[sort].toLowerCase();
    return filtered.sort((a, b) => {
      const va = val(a);
      const vb = val(b);
      return (va < vb ? -1 : va > vb ? 1 : a.name.localeCompare(b.name)) * dir;
    });
  }, [all, deferredQ, hostF, statusF, labelF, tagF, metaMap, sort, order]);

  // Drop selections that left the view.
  useEffect(() => {
    setSelected((s) => {
      if (s.size === 0) return s;
      const visible = new Set(rows.map(key));
      const n = new Set([...s].filter((k) => visible.has(k)));
      return n.size === s.size ? s : n;
    });
  }, [rows]);

  const toggle = useCallback((k: string) => setSelected((s) => {
    const n = new Set(s);
    if (n.has(k)) n.delete(k);
    else n.add(k);
    return n;
  }), []);

  const hostMap = useMemo(() => new Map((hosts ?? []).map((h) => [h.name, h] as [string, Host])), [hosts]);
  const offline = list.data?.hosts.filter((h) => !h.online) ?? [];
  const chosen = rows.filter((c) => selected.has(key(c)));
  const allChecked = rows.length > 0 && chosen.length === rows.length;

  const bulk = async (label: string, fn: (c: ContainerSummary) => Promise<unknown>) => {
    setBusy(label);
    const failed = await runAll(chosen, fn);
    setBusy(null);
    if (failed.length) toast.error(failed[0].error, `${label}: ${failed.length} of ${chosen.length} failed (${failed[0].item.name})`);
    else toast.ok(`${label}: ${plural(chosen.length, "container")}`);
    reload();
  };
  const doAction = (a: Action, label: string) => bulk(label, (c) => act(c.host, c.id, a));

  const sortBy = (k: SortKey) => {
    setParams((p) => {
      const n = new URLSearchParams(p);
      n.set("sort", k);
      n.set("order", sort === k && order === "asc" ? "desc" : "asc");
      return n;
    }, { replace: true });
  };
  const th = (k: SortKey, label: string, cls = "") => (
    <div role="columnheader" className={`cell ${cls}`} aria-sort={sort === k ? (order === "asc" ? "ascending" : "descending") : "none"}>
      <button className="sort-btn" onClick={() => sortBy(k)}>
        {label}<span aria-hidden="true" className="sort-ind">{sort === k ? (order === "asc" ? "▲" : "▼") : ""}</span>
      </button>
    </div>
  );
  const operate = can("admin", "operator", "deployer", "user");

  return (
    <div className="page page-fill">
      <PageHeader title="Containers" sub={all ? `${plural(all.length, "container")} on ${plural(list.data?.hosts.length ?? 0, "host")}` : undefined}>
        {can("admin", "operator", "deployer", "user") && <Link className="btn btn-primary" to="/containers/new">New container</Link>}
      </PageHeader>
      <div className="toolbar" role="search">
        <input
          data-search
          type="search"
          className="grow"
          placeholder="Search name, image, id, label  ( / )"
          aria-label="Search containers"
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
        <select aria-label="Host" value={hostF} onChange={(e) => setParam("host", e.target.value)}>
          <option value="">All hosts</option>
          {(hosts ?? []).map((h) => <option key={h.name} value={h.name}>{h.name}</option>)}
        </select>
        <select aria-label="Status" value={statusF} onChange={(e) => setParam("status", e.target.value)}>
          <option value="">Any status</option>
          <option value="running">Running</option>
          <option value="stopped">Stopped (any)</option>
          <option value="exited">Exited</option>
          <option value="paused">Paused</option>
          <option value="created">Created</option>
          <option value="restarting">Restarting</option>
          <option value="dead">Dead</option>
        </select>
        {(tags.data?.length ?? 0) > 0 && (
          <select aria-label="Tag" value={tagF} onChange={(e) => setParam("tag", e.target.value)}>
            <option value="">Any tag</option>
            {tags.data!.map((t) => <option key={t.name} value={t.name}>{t.name}</option>)}
          </select>
        )}
        <input aria-label="Label filter" placeholder="label or label=value" value={labelF} onChange={(e) => setLabelF(e.target.value)} />
      </div>
      {offline.length > 0 && (
        <div className="notice notice-warn" role="status">
          Not listed: {offline.map((h) => `${h.host} (${h.error ?? "offline"})`).join(", ")}
        </div>
      )}
      {operate && chosen.length > 0 && (
        <div className="bulkbar" role="region" aria-label="Bulk actions">
          <strong>{chosen.length} selected</strong>
          <button className="btn" disabled={!!busy} onClick={() => doAction("start", "Start")}>Start</button>
          <button className="btn" disabled={!!busy} onClick={() => doAction("stop", "Stop")}>Stop</button>
          <button className="btn" disabled={!!busy} onClick={() => doAction("restart", "Restart")}>Restart</button>
          <button className="btn btn-danger" disabled={!!busy} onClick={() => setConfirmRemove(true)}>Remove</button>
          <button className="btn btn-ghost" onClick={() => setSelected(new Set())}>Clear</button>
          {busy && <span className="muted">{busy}…</span>}
        </div>
      )}
      {list.error && !all ? <ErrorBox error={list.error} retry={reload} /> : !all ? <Spinner /> : (
        <div className="vtable" role="table" aria-label="Containers" aria-rowcount={rows.length + 1} data-testid="container-table">
          <div role="rowgroup" className="vhead">
            <div role="row" className="vrow vrow-head">
              <div role="columnheader" className="cell cell-check">
                <input
                  type="checkbox"
                  aria-label="Select all shown"
                  checked={allChecked}
                  disabled={!operate}
                  onChange={() => setSelected(allChecked ? new Set() : new Set(rows.map(key)))}
                />
              </div>
              {th("name", "Name", "cell-name")}
              {th("host", "Host", "cell-host")}
              {th("state", "State", "cell-state")}
              {th("image", "Image", "cell-image hide-sm")}
              <div role="columnheader" className="cell cell-ports hide-sm">Ports</div>
              {th("created", "Created", "cell-created hide-md")}
            </div>
          </div>
          {rows.length === 0 ? (
            <Empty title={all.length === 0 ? "No containers yet" : "Nothing matches"}>
              {all.length === 0 ? <Link to="/containers/new">Create one</Link> : "Change the search or the filters."}
            </Empty>
          ) : (
            <VirtualBody rows={rows} selected={selected} hostMap={hostMap} metaMap={metaMap} tagColors={tagColors} operate={operate} toggle={toggle} />
          )}
        </div>
      )}
      <Confirm
        open={confirmRemove}
        title={`Remove ${plural(chosen.length, "container")}?`}
        danger
        confirmLabel="Remove"
        body={<>This deletes {chosen.slice(0, 5).map((c) => c.name).join(", ")}{chosen.length > 5 ? ` and ${chosen.length - 5} more` : ""}. It cannot be undone.</>}
        onClose={() => setConfirmRemove(false)}
        onConfirm={async () => {
          setConfirmRemove(false);
          await bulk("Remove", (c) => removeContainer(c.host, c.id, force));
          setSelected(new Set());
        }}
      >
        <label className="check"><input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> Stop running ones first (force)</label>
      </Confirm>
    </div>
  );
}
