// Server-side search over a container's whole log (`…/logs/search`): the live view keeps only the
// last lines in memory, so finding something older asks the server, which reads the log once and
// answers each match with its context.
import { useState, type FormEvent } from "react";
import { api } from "../api/client";
import type { LogLine } from "../api/types/LogLine";
import type { LogSearchResult } from "../api/types/LogSearchResult";
import { containerPath } from "../lib/containers";
import { plural } from "../lib/format";
import { Field, FormError } from "./ui";

function Line({ l, n, needle, hit }: { l: LogLine; n?: number; needle: string; hit?: boolean }) {
  const text = l.line;
  let body: React.ReactNode = text;
  if (hit && needle) {
    const at = text.toLowerCase().indexOf(needle.toLowerCase());
    if (at !== -1) body = <>{text.slice(0, at)}<mark>{text.slice(at, at + needle.length)}</mark>{text.slice(at + needle.length)}</>;
  }
  return (
    <div className={`log-line ${l.stream}${hit ? " log-hit" : " log-context"}`}>
      <span className="log-time">{n !== undefined ? `#${n}` : ""}</span>
      <span className="log-text">{body}</span>
    </div>
  );
}

export function LogSearch({ host, id, initial }: { host: string; id: string; initial: string }) {
  const [q, setQ] = useState(initial);
  const [regex, setRegex] = useState(false);
  const [result, setResult] = useState<LogSearchResult | null>(null);
  const [searched, setSearched] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      setResult(await api<LogSearchResult>(`${containerPath(host, id)}/logs/search`, { query: { q, regex, context: 2, limit: 200 } }));
      setSearched(regex ? "" : q);
    } catch (err) {
      setError(err);
      setResult(null);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="card stack" data-testid="log-search">
      <form className="row wrap align-end" onSubmit={submit} aria-label="Whole-log search">
        <Field label="Search the whole log" name="q" error={error} className="grow">
          {(fid) => <input id={fid} required value={q} onChange={(e) => setQ(e.target.value)} placeholder="text, or a regular expression" />}
        </Field>
        <label className="check"><input type="checkbox" checked={regex} onChange={(e) => setRegex(e.target.checked)} /> Regular expression</label>
        <button className="btn btn-primary" disabled={busy}>{busy ? "Searching…" : "Search"}</button>
      </form>
      <FormError error={error} fields={["q"]} />
      {result && (
        <>
          <div className="muted small" aria-live="polite">
            {result.matches.length} {result.matches.length === 1 ? "match" : "matches"} in {plural(result.lines_searched, "line")}{result.truncated ? " (more not shown)" : ""}
          </div>
          {result.matches.length > 0 && (
            <div className="logs-body mono log-results">
              {result.matches.map((m) => (
                <div key={m.line_number} className="log-match">
                  {m.before.map((l, i) => <Line key={`b${i}`} l={l} needle={searched} />)}
                  <Line l={m.line} n={m.line_number} needle={searched} hit />
                  {m.after.map((l, i) => <Line key={`a${i}`} l={l} needle={searched} />)}
                </div>
              ))}
            </div>
          )}
        </>
      )}
    </div>
  );
}
