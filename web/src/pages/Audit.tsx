import { Fragment, useEffect, useState } from "react";
import { useSearchParams } from "react-router";
import { api, apiUrl } from "../api/client";
import type { AuditEntry } from "../api/types/AuditEntry";
import type { AuditPage } from "../api/types/AuditPage";
import { Badge, Empty, ErrorBox, JsonView, PageHeader, Spinner } from "../components/ui";
import { dateTime } from "../lib/format";
import { useTitle } from "../lib/hooks";

const FILTERS = [
  { key: "actor", label: "User", placeholder: "admin" },
  { key: "action", label: "Action", placeholder: "container. or container.start" },
  { key: "resource_type", label: "Resource type", placeholder: "container" },
  { key: "resource_id", label: "Resource", placeholder: "name or id" },
  { key: "host", label: "Host", placeholder: "local" },
] as const;

/** `datetime-local` value → RFC 3339. */
const iso = (v: string | null) => (v ? new Date(v).toISOString() : undefined);

export default function Audit() {
  useTitle("Audit log");
  const [params, setParams] = useSearchParams();
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [open, setOpen] = useState<number | null>(null);
  const filter = {
    ...Object.fromEntries(FILTERS.map((f) => [f.key, params.get(f.key) ?? undefined])),
    outcome: params.get("outcome") ?? undefined,
    since: iso(params.get("since")),
    until: iso(params.get("until")),
  };
  const key = JSON.stringify(filter);

  const load = async (before?: number) => {
    setLoading(true);
    try {
      const page = await api<AuditPage>("/audit", { query: { ...filter, before, limit: 100 } });
      setEntries((old) => (before ? [...old, ...page.entries] : page.entries));
      setTotal(page.total);
      setNext(page.next_before);
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  const set = (k: string, v: string) => setParams((p) => {
    const n = new URLSearchParams(p);
    if (v) n.set(k, v);
    else n.delete(k);
    return n;
  }, { replace: true });

  return (
    <div className="page">
      <PageHeader title="Audit log" sub={total !== null ? `${total} matching entries` : undefined}>
        <a className="btn" href={apiUrl("/audit", { ...filter, format: "csv", limit: 100000 })} download="berth-audit.csv">Export CSV</a>
        <a className="btn" href={apiUrl("/audit", { ...filter, format: "ndjson", limit: 100000 })} download="berth-audit.ndjson">Export NDJSON</a>
      </PageHeader>
      <div className="filters card">
        {FILTERS.map((f, i) => (
          <div className="field" key={f.key}>
            <label htmlFor={`af-${f.key}`}>{f.label}</label>
            <input id={`af-${f.key}`} {...(i === 0 ? { "data-search": true } : {})} placeholder={f.placeholder} defaultValue={params.get(f.key) ?? ""}
              onKeyDown={(e) => { if (e.key === "Enter") set(f.key, e.currentTarget.value.trim()); }}
              onBlur={(e) => set(f.key, e.currentTarget.value.trim())} />
          </div>
        ))}
        <div className="field">
          <label htmlFor="af-outcome">Outcome</label>
          <select id="af-outcome" value={params.get("outcome") ?? ""} onChange={(e) => set("outcome", e.target.value)}>
            <option value="">any</option><option value="success">success</option><option value="failure">failure</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="af-since">From</label>
          <input id="af-since" type="datetime-local" value={params.get("since") ?? ""} onChange={(e) => set("since", e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="af-until">Until</label>
          <input id="af-until" type="datetime-local" value={params.get("until") ?? ""} onChange={(e) => set("until", e.target.value)} />
        </div>
      </div>
      {error && entries.length === 0 ? <ErrorBox error={error} retry={() => void load()} /> : loading && entries.length === 0 ? <Spinner /> : entries.length === 0 ? <Empty title="No entries match" /> : (
        <>
          <div className="table-wrap">
            <table className="table table-compact">
              <thead><tr><th>Time</th><th>User</th><th>Action</th><th className="hide-sm">Resource</th><th className="hide-sm">Host</th><th>Outcome</th></tr></thead>
              <tbody>
                {entries.map((a) => (
                  <Fragment key={a.id}>
                    <tr className="clickable" onClick={() => setOpen(open === a.id ? null : a.id)} aria-expanded={open === a.id}>
                      <td className="small nowrap">{dateTime(a.time)}</td>
                      <td>{a.username ?? <span className="muted">anonymous</span>}{a.api_key && <div className="muted small">key {a.api_key}</div>}</td>
                      <td className="mono small">{a.action}</td>
                      <td className="hide-sm small ellipsis-cell">{a.resource_id ?? "–"}</td>
                      <td className="hide-sm small">{a.host ?? "–"}</td>
                      <td><Badge tone={a.outcome === "success" ? "ok" : "bad"}>{a.outcome}</Badge>{a.error_code && <div className="muted small mono">{a.error_code}</div>}</td>
                    </tr>
                    {open === a.id && (
                      <tr className="detail-row"><td colSpan={6}>
                        <div className="small">request {a.request_id ?? "–"} · {a.client_ip ?? "–"} · {a.user_agent ?? ""}</div>
                        <JsonView value={a.details} />
                      </td></tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
          {next !== null && <div className="row center"><button className="btn" disabled={loading} onClick={() => void load(next)}>{loading ? "Loading…" : "Load more"}</button></div>}
        </>
      )}
    </div>
  );
}
