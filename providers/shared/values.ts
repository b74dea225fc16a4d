// Small readers of loosely typed values: stored outputs and inputs arrive as plain JSON.

/** A non-empty string, or undefined. */
export function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** A plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Drops undefined values: the engine's Struct has no representation for them. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** A value as a message shows it: JSON where it has one. */
export function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
