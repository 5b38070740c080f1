import type { UptimeWindow } from "../chain/readUptimeWindow";
import type { Store } from "../store/index";
import { AgreementError } from "./errors";
import type { UptimeHistory } from "./types";

/**
 * The uptime history the SLA judges an epoch on (docs/interfaces.md, "Uptime SLA"): this node's
 * stored lines of the window's settled epochs, each epoch used only if the stored root is the root
 * the chain settled. Threat: a history from anywhere else (an observer's claim, the device's own
 * word, a result this node computed but the chain never took) would let one party buy a bonus or
 * cost an honest device one; the settled root is what 2f + 1 nodes signed and the forwarder took.
 * Throws AGREEMENT_HISTORY_MISSING naming the epochs this node does not hold (`context.missing`):
 * it then sits the epoch out (the other nodes need no history from it) while backfill fetches them.
 */
export function uptimeHistory(store: Store, networkId: bigint, window: UptimeWindow): UptimeHistory {
  const missing = window.epochs.filter(
    ({ epoch, resultRoot }) => store.getEpochResult(networkId, epoch)?.resultRoot !== resultRoot,
  );
  if (missing.length > 0)
    throw new AgreementError(
      "AGREEMENT_HISTORY_MISSING",
      `the uptime SLA needs the settled lines of epochs this node does not hold: ${missing.map((m) => m.epoch).join(", ")}`,
      { networkId, missing: missing.map((m) => m.epoch) },
    );
  const epochs = window.epochs.map((e) => e.epoch);
  return { epochs, devices: store.uptimeSums(networkId, epochs) };
}
