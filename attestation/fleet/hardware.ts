import { computeSize } from "../constants";
import type { Message } from "../messages/message";

/**
 * Share of a challenge's deadline that the reference hardware of a class spends on one challenge
 * of its class. 0.26: a device gets k = 3 challenges at once (one per assigned node, same round),
 * done one after another in 78% of the deadline, the rest left for the transport and a loaded
 * event loop. Above 1/4 on purpose: a machine answering for several keys fits 3 such jobs in a
 * deadline, never 4 (4 × 0.26 > 1), so however many keys it serves it passes at most one device's
 * worth of challenges per round (docs/attestation.md, "Sybil cost").
 */
export const JOB_FRACTION = 0.26;

const deadlineSpanMs = (c: Message<"challenge">) => Number(c.body.deadlineMs - c.body.issuedAtMs);

/**
 * A simulated machine of the fleet: its compute and link speed are those of a class, and it does
 * one job at a time. The fleet's devices run on this host's two cores, so real CPU time says
 * nothing about the hardware a device claims; a `Machine` stands for that hardware, and the time
 * it spends is waited, not burnt (the real computation still runs, at the small sizes of the
 * fleet's classes). Several device keys may share one machine (a Sybil farm, a relay).
 */
export class Machine {
  private freeAt = 0;
  constructor(
    /** The class of compute it really has. */
    readonly computeClass: number,
    /** The class of link it really has. */
    readonly bandwidthClass: number,
  ) {}

  /** Time this machine spends on a compute challenge: its n³ work at this machine's speed. */
  computeMs(c: Message<"challenge">): number {
    const p = c.body.params;
    if (p.type !== "compute") return 0;
    return JOB_FRACTION * deadlineSpanMs(c) * (p.n / computeSize(this.computeClass)) ** 3;
  }

  /** Time this machine's link takes for a bandwidth payload sized for `claimedClass`. */
  transferMs(c: Message<"challenge">, claimedClass: number): number {
    if (c.body.params.type !== "bandwidth") return 0;
    return JOB_FRACTION * deadlineSpanMs(c) * 2 ** (claimedClass - this.bandwidthClass);
  }

  /**
   * Occupies the machine for `ms` after the jobs it already has; resolves when this one is done
   * (at once if `signal` aborts).
   */
  busy(ms: number, signal?: AbortSignal): Promise<void> {
    const start = Math.max(Date.now(), this.freeAt);
    this.freeAt = start + ms;
    const wait = this.freeAt - Date.now();
    return new Promise((resolve) => {
      if (signal?.aborted || wait <= 0) return resolve();
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const t = setTimeout(done, wait);
      signal?.addEventListener("abort", done);
    });
  }
}
