import { equalBytes } from "../bytes";
import { HEARTBEAT_TICKET_BYTES, isNoTicket } from "../messages/heartbeat";

/**
 * Tickets a node keeps per device: the newest 4. The rate limit lets a device draw at most
 * `maxHeartbeatsPerInterval` (4) tickets per interval, so the ring still holds the ticket of a
 * heartbeat that crossed a newer answer on the wire (a retry after a timeout); a device about to go
 * away banks at most 4, each worth one slot within `ticketMaxAgeMs`. 4 × 41 bytes per device,
 * bounded by the devices the gateway tracks, whatever a device sends.
 */
export const TICKETS_PER_DEVICE = 4;

/**
 * What an echoed ticket proves to the node that checks it:
 * - `fresh`: one it issued to this device, unused, young enough: the device signed after the node
 *   spoke (the ticket is now used);
 * - `none`: zero bytes (a device that holds no ticket from this node yet);
 * - `unknown`: not one of the device's last tickets here (another node's, another device's, one
 *   from before a restart, or pushed out of the ring);
 * - `used`: it already credited a heartbeat;
 * - `expired`: older than the allowed age on arrival.
 */
export type TicketCheck = "fresh" | "none" | "unknown" | "used" | "expired";

interface Held {
  ticket: Uint8Array;
  issuedAtMs: bigint;
  used: boolean;
}

/** One device's liveness tickets at one node: the newest `TICKETS_PER_DEVICE`, oldest dropped first. */
export class TicketRing {
  private readonly held: Held[] = [];

  constructor(
    private readonly random: (n: number) => Uint8Array = (n) =>
      globalThis.crypto.getRandomValues(new Uint8Array(n)),
  ) {}

  /** Tickets held now (at most `TICKETS_PER_DEVICE`). */
  get size(): number {
    return this.held.length;
  }

  /** A new unpredictable ticket for the device, issued at `nowMs`. */
  issue(nowMs: bigint): Uint8Array {
    const ticket = this.random(HEARTBEAT_TICKET_BYTES);
    if (this.held.length >= TICKETS_PER_DEVICE) this.held.shift();
    this.held.push({ ticket, issuedAtMs: nowMs, used: false });
    return ticket;
  }

  /** Checks an echoed ticket at `nowMs`; a `fresh` one is used up, so each credits once. */
  redeem(ticket: Uint8Array, nowMs: bigint, maxAgeMs: number): TicketCheck {
    if (isNoTicket(ticket)) return "none";
    const h = this.held.find((x) => equalBytes(x.ticket, ticket));
    if (!h) return "unknown";
    if (h.used) return "used";
    if (nowMs - h.issuedAtMs > BigInt(maxAgeMs)) return "expired";
    h.used = true;
    return "fresh";
  }
}
