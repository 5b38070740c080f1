// JSON with bigints and Maps, to hand an EpochContext to a child process.
import type { EpochContext } from "../types";

export function stringifyContext(ctx: EpochContext): string {
  return JSON.stringify({ ...ctx, assignment: [...ctx.assignment] }, (_k, v: unknown) =>
    typeof v === "bigint" ? { $bigint: v.toString() } : v,
  );
}

export function parseContext(json: string): EpochContext {
  const raw = JSON.parse(json, (_k, v: unknown) =>
    v && typeof v === "object" && "$bigint" in v ? BigInt((v as { $bigint: string }).$bigint) : v,
  ) as Omit<EpochContext, "assignment"> & { assignment: [string, string[]][] };
  return { ...raw, assignment: new Map(raw.assignment) } as EpochContext;
}
