// A plain-text table: a header row, a rule, and left-aligned columns (numbers right-aligned).

export function table(columns, rows) {
  const cells = rows.map((r) => columns.map((c) => String(r[c.key] ?? "")));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => r[i].length)));
  const line = (values) =>
    values
      .map((v, i) => (columns[i].align === "right" ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.title)), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join(
    "\n",
  );
}
