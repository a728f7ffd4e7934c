// A container's log, live: follow, search with highlight, timestamps, stdout/stderr apart,
// download. Memory stays bounded: only the last MAX_LINES lines are kept.
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useMemo, useRef, useState } from "react";
import { apiUrl, wsUrl } from "../api/client";
import type { LogLine } from "../api/types/LogLine";
import { containerPath } from "../lib/containers";
import { LogSearch } from "./LogSearch";

export const MAX_LINES = 5000;

interface Line extends LogLine {
  n: number;
}

function Highlight({ text, needle }: { text: string; needle: string }) {
  if (!needle) return <>{text}</>;
  const lower = text.toLowerCase();
  const parts: React.ReactNode[] = [];
  let i = 0;
  let at = lower.indexOf(needle);
  while (at !== -1 && parts.length < 200) {
    parts.push(text.slice(i, at), <mark key={at}>{text.slice(at, at + needle.length)}</mark>);
    i = at + needle.length;
    at = lower.indexOf(needle, i);
  }
  parts.push(text.slice(i));
  return <>{parts}</>;
}

export function LogsView({ host, id, name, running }: { host: string; id: string; name: string; running: boolean }) {
  const [lines, setLines] = useState<Line[]>([]);
  const [status, setStatus] = useState<string>("connecting…");
  const [follow, setFollow] = useState(true);
  const [timestamps, setTimestamps] = useState(false);
  const [streams, setStreams] = useState<"both" | "stdout" | "stderr">("both");
  const [search, setSearch] = useState("");
  const [onlyMatches, setOnlyMatches] = useState(false);
  const [whole, setWhole] = useState(false);
  const [tail, setTail] = useState("500");
  const [generation, setGeneration] = useState(0);
  const counter = useRef(0);
  const dropped = useRef(0);

  useEffect(() => {
    setLines([]);
    counter.current = 0;
    dropped.current = 0;
    setStatus("connecting…");
    const ws = new WebSocket(wsUrl(`${containerPath(host, id)}/logs`, { follow: true, tail, batch: true }));
    let pending: Line[] = [];
    let raf = 0;
    const flush = () => {
      raf = 0;
      const add = pending;
      pending = [];
      setLines((old) => {
        const merged = old.concat(add);
        if (merged.length > MAX_LINES) {
          dropped.current += merged.length - MAX_LINES;
          return merged.slice(merged.length - MAX_LINES);
        }
        return merged;
      });
    };
    const push = (l: LogLine) => {
      pending.push({ ...l, n: ++counter.current });
      if (!raf) raf = requestAnimationFrame(flush);
    };
    ws.onopen = () => setStatus(running ? "live" : "loaded");
    ws.onmessage = (m) => {
      let msg: unknown;
      try {
        msg = JSON.parse(String(m.data));
      } catch {
        return;
      }
      if (Array.isArray(msg)) msg.forEach((l) => push(l as LogLine));
      else if (msg && typeof msg === "object") {
        const o = msg as { type?: string; reason?: string; message?: string; dropped?: number };
        if (o.type === "line") push(msg as LogLine);
        else if (o.type === "end") setStatus(`ended: ${o.reason ?? ""}`);
        else if (o.type === "error") setStatus(`error: ${o.message ?? ""}`);
        else if (o.type === "lagged") setStatus(`${o.dropped} lines skipped (too fast)`);
      }
    };
    ws.onclose = () => setStatus((s) => (s === "live" || s.startsWith("connecting") ? "disconnected" : s));
    return () => {
      cancelAnimationFrame(raf);
      ws.close();
    };
  }, [host, id, tail, running, generation]);

  const needle = search.trim().toLowerCase();
  const shown = useMemo(() => lines.filter((l) =>
    (streams === "both" || l.stream === streams) && (!onlyMatches || !needle || l.line.toLowerCase().includes(needle))), [lines, streams, onlyMatches, needle]);
  const matches = useMemo(() => (needle ? shown.filter((l) => l.line.toLowerCase().includes(needle)).length : 0), [shown, needle]);

  const scrollRef = useRef<HTMLDivElement>(null);
  const virt = useVirtualizer({ count: shown.length, getScrollElement: () => scrollRef.current, estimateSize: () => 20, overscan: 30 });
  useEffect(() => {
    if (follow && shown.length) virt.scrollToIndex(shown.length - 1, { align: "end" });
  }, [shown.length, follow, virt]);

  const download = apiUrl(`${containerPath(host, id)}/logs/download`, { timestamps, stdout: streams !== "stderr", stderr: streams !== "stdout" });

  return (
    <div className="logs">
      <div className="toolbar">
        <input data-search type="search" className="grow" placeholder="Search the log  ( / )" aria-label="Search the log" value={search} onChange={(e) => setSearch(e.target.value)} />
        {needle && <span className="muted small" aria-live="polite">{matches} matching</span>}
        <label className="check"><input type="checkbox" checked={onlyMatches} onChange={(e) => setOnlyMatches(e.target.checked)} /> Only matches</label>
        <label className="check"><input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow</label>
        <label className="check"><input type="checkbox" checked={timestamps} onChange={(e) => setTimestamps(e.target.checked)} /> Timestamps</label>
        <select aria-label="Streams" value={streams} onChange={(e) => setStreams(e.target.value as typeof streams)}>
          <option value="both">stdout + stderr</option>
          <option value="stdout">stdout</option>
          <option value="stderr">stderr</option>
        </select>
        <select aria-label="Lines to load" value={tail} onChange={(e) => setTail(e.target.value)}>
          <option value="100">last 100</option>
          <option value="500">last 500</option>
          <option value="5000">last 5000</option>
          <option value="all">all</option>
        </select>
        <button className="btn" onClick={() => setGeneration((g) => g + 1)}>Reload</button>
        <button className="btn" aria-expanded={whole} onClick={() => setWhole((w) => !w)}>Search whole log</button>
        <a className="btn" href={download} download={`${name}.log`}>Download</a>
      </div>
      {whole && <LogSearch host={host} id={id} initial={search} />}
      <div className="logs-status muted small">
        <span className={`live-dot live-${status === "live" ? "open" : "closed"}`} aria-hidden="true" /> {status} · {lines.length} lines kept
        {dropped.current > 0 && ` (older ${dropped.current} dropped; the download has everything)`}
        <span className="legend"><span className="stream-mark stderr" /> stderr</span>
      </div>
      <div ref={scrollRef} className="logs-body mono" data-testid="logs" onWheel={(e) => { if (e.deltaY < 0) setFollow(false); }}>
        {shown.length === 0 ? <div className="muted logs-empty">{lines.length ? "No line matches." : "No output yet."}</div> : (
          <div style={{ height: virt.getTotalSize(), position: "relative" }}>
            {virt.getVirtualItems().map((vi) => {
              const l = shown[vi.index];
              return (
                <div key={l.n} className={`log-line ${l.stream}`} style={{ transform: `translateY(${vi.start}px)` }} data-index={vi.index}>
                  {timestamps && <span className="log-time">{l.time?.replace("T", " ").slice(0, 23) ?? ""}</span>}
                  <span className="log-text"><Highlight text={l.line} needle={needle} /></span>
                </div>
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}
