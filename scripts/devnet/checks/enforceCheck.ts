import { DevnetError } from "../errors";
import type { EventLog } from "../events";

/**
 * Runs one check. A failed check (`CHECK_FAILED`) fails `stage` (the `epochs` stage for an epoch's
 * checks) in the event log, which the console, the dashboard and the summary (ok: false) all show, and is
 * thrown on so the run ends with it; any other error is thrown as is.
 */
export async function enforceCheck<T>(
  log: EventLog,
  check: () => T | Promise<T>,
  stage = "epochs",
): Promise<T> {
  try {
    return await check();
  } catch (error) {
    if (error instanceof DevnetError && error.code === "CHECK_FAILED")
      log.emit({ type: "stage", stage, status: "failed", detail: error.message });
    throw error;
  }
}
