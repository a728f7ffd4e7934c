// Live CPU, memory, network and disk charts from the stats WebSocket, drawn as plain SVG
// (no chart library; loaded only on this tab).
import { useEffect, useState } from "react";
import { wsUrl } from "../api/client";
import type { StatsSample } from "../api/types/StatsSample";
import { containerPath } from "../lib/containers";
import { bytes } from "../lib/format";

const KEEP = 120;

interface Series {
  label: string;
  color: string;
  values: number[];
}

function Chart({ title, series, format, max }: { title: string; series: Series[]; format: (v: number) => string; max?: number }) {
  const W = 320;
  const H = 110;
  const top = Math.max(max ?? 0, ...series.flatMap((s) => s.values), 1e-9) * (max ? 1 : 1.15);
  const path = (vals: number[]) => vals.map((v, i) => {
    const x = W - (vals.length - 1 - i) * (W / (KEEP - 1));
    const y = H - (v / top) * H;
    return `${i ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`;
  }).join("");
  return (
    <section className="card chart">
      <div className="row between">
        <h2>{title}</h2>
        <div className="chart-legend">
          {series.map((s) => (
            <span key={s.label}><span className="swatch" style={{ background: s.color }} />{s.label} <b>{s.values.length ? format(s.values[s.values.length - 1]) : "–"}</b></span>
          ))}
        </div>
      </div>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={`${title} over the last two minutes`} className="chart-svg">
        {[0.25, 0.5, 0.75].map((f) => <line key={f} x1="0" x2={W} y1={H * f} y2={H * f} className="grid" />)}
        {series.map((s) => (
          <g key={s.label}>
            {s.values.length > 1 && <path d={`${path(s.values)}L${W},${H}L${W - (s.values.length - 1) * (W / (KEEP - 1))},${H}Z`} fill={s.color} opacity="0.12" />}
            <path d={path(s.values)} fill="none" stroke={s.color} strokeWidth="1.8" vectorEffect="non-scaling-stroke" />
          </g>
        ))}
      </svg>
      <div className="muted small">max {format(top / (max ? 1 : 1.15))}</div>
    </section>
  );
}

export default function StatsCharts({ host, id }: { host: string; id: string }) {
  const [samples, setSamples] = useState<StatsSample[]>([]);
  const [status, setStatus] = useState("connecting…");
  useEffect(() => {
    const ws = new WebSocket(wsUrl(`${containerPath(host, id)}/stats`));
    ws.onopen = () => setStatus("live");
    ws.onmessage = (m) => {
      try {
        const s = JSON.parse(String(m.data)) as StatsSample & { message?: string };
        if (s.type === "stats") setSamples((old) => [...old.slice(-(KEEP - 1)), s]);
        else if (s.type === "error") setStatus(`error: ${s.message ?? ""}`);
        else if (s.type === "end") setStatus("ended");
      } catch {
        // ignore a malformed frame
      }
    };
    ws.onclose = () => setStatus((s) => (s === "live" ? "disconnected" : s));
    return () => ws.close();
  }, [host, id]);
  const last = samples[samples.length - 1];
  const rate = (v: number) => `${bytes(v)}/s`;
  return (
    <div>
      <div className="muted small logs-status">
        <span className={`live-dot live-${status === "live" ? "open" : "closed"}`} aria-hidden="true" /> {status}
        {last && ` · ${last.pids} processes · ${last.cpus} CPUs`}
      </div>
      <div className="chart-grid" data-testid="stats">
        <Chart title="CPU" series={[{ label: "CPU", color: "#2563eb", values: samples.map((s) => s.cpu_percent) }]} format={(v) => `${v.toFixed(1)} %`} />
        <Chart title="Memory" series={[{ label: "used", color: "#16a34a", values: samples.map((s) => s.memory_used) }]} format={bytes} />
        <Chart title="Network" series={[
          { label: "in", color: "#0891b2", values: samples.map((s) => s.net_rx_rate) },
          { label: "out", color: "#d97706", values: samples.map((s) => s.net_tx_rate) },
        ]} format={rate} />
        <Chart title="Disk I/O" series={[
          { label: "read", color: "#7c3aed", values: samples.map((s) => s.blk_read_rate) },
          { label: "write", color: "#db2777", values: samples.map((s) => s.blk_write_rate) },
        ]} format={rate} />
      </div>
      {last && <p className="muted small">Memory limit {bytes(last.memory_limit)} ({last.memory_percent.toFixed(1)} % used)</p>}
    </div>
  );
}
