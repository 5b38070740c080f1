export { type BackfillDeps, createBackfill } from "./createBackfill";
export { BACKFILL_WINDOW_EPOCHS, type BackfillDriver, createBackfillDriver } from "./driver";
export { BackfillError, type BackfillErrorCode } from "./errors";
export type { Backfill, BackfillOutcome, SettledRoot } from "./interface";
export { type BackfillOptions, defaultBackfillOptions } from "./options";
export { BACKFILL_PROTOCOL } from "./protocol";
