/** Plain-text building blocks for reports: aligned tables, key-value blocks, ASCII bar charts. */

/** A table with a header row; numbers are right-aligned, text left-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [
    header,
    ...rows.map((row) => row.map((cell) => (typeof cell === "number" ? formatNumber(cell) : cell))),
  ];
  const widths = header.map((_, c) => Math.max(...cells.map((row) => String(row[c] ?? "").length)));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((row) => typeof row[c] === "number"));
  const line = (row: readonly (string | number)[]) =>
    row
      .map((cell, c) => (numeric[c] ? String(cell).padStart(widths[c] ?? 0) : String(cell).padEnd(widths[c] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

/** `label ........ value` lines, aligned. */
export function formatKeyValues(pairs: readonly (readonly [string, string | number])[]): string {
  const width = Math.max(...pairs.map(([key]) => key.length)) + 2;
  return pairs
    .map(
      ([key, value]) => `  ${`${key} `.padEnd(width, ".")} ${typeof value === "number" ? formatNumber(value) : value}`,
    )
    .join("\n");
}

/** Horizontal bars, one per row, scaled to the largest value. */
export function formatBarChart(rows: readonly (readonly [string, number])[], width = 50): string {
  const max = Math.max(0, ...rows.map(([, v]) => v));
  const labelWidth = Math.max(0, ...rows.map(([label]) => label.length));
  return rows
    .map(([label, value]) => {
      const length = max === 0 ? 0 : Math.round((value / max) * width);
      return `${label.padStart(labelWidth)} |${"#".repeat(length)} ${formatNumber(value)}`;
    })
    .join("\n");
}

/** Integers with thousands separators; other numbers with up to 2 decimals. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value)
    ? value.toLocaleString("en-US")
    : value.toLocaleString("en-US", { maximumFractionDigits: 2 });
}
