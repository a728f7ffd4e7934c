// A list of repeated inputs (ports, mounts, databases…) with add and remove, showing the API's
// error when it names the list or one of its rows.
import type { ReactNode } from "react";
import { fieldMatches, fieldOf } from "./ui";

export function Rows<T>({ label, name, rows, setRows, empty, render, error, add, rowFields = [] }: {
  label: string; name: string; rows: T[]; setRows: (r: T[]) => void; empty: T; error: unknown;
  render: (row: T, set: (r: T) => void, i: number) => ReactNode; add: string;
  /** Keys each row shows in a `Field` of its own (`name[i].key`): their errors are shown there only. */
  rowFields?: string[];
}) {
  const f = fieldOf(error);
  const key = f?.startsWith(name) ? /^(?:\[\d+\]|\.\d+)\.(\w+)$/.exec(f.slice(name.length))?.[1] : undefined;
  const inRow = !!key && rowFields.includes(key);
  const mine = fieldMatches(f, name) && !inRow;
  return (
    <fieldset className={`rows${mine ? " field-invalid" : ""}`} data-field={name}>
      <legend>{label}</legend>
      {rows.map((r, i) => (
        <div className="row-item" key={i}>
          {render(r, (nr) => setRows(rows.map((x, j) => (j === i ? nr : x))), i)}
          <button type="button" className="icon-btn" aria-label={`Remove ${label} row ${i + 1}`} onClick={() => setRows(rows.filter((_, j) => j !== i))}>×</button>
        </div>
      ))}
      {mine && <div className="field-error" role="alert">{(error as Error).message}</div>}
      <button type="button" className="btn btn-ghost btn-sm" onClick={() => setRows([...rows, empty])}>+ {add}</button>
    </fieldset>
  );
}
