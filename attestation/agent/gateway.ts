/**
 * The node-facing transport of the device agent: what a device can ask of an oracle node. The
 * node implements it (or uses `createChallengerGateway`), `createGatewayRouter` serves it over
 * HTTP, and `httpGateway` is the device-side client with the same interface, so the agent works
 * the same over HTTP or in-process. Methods reject with `GatewayError` (or, node-side,
 * `AttestationError`, which the router maps to a 400 naming the failed check).
 */
export interface DeviceGateway {
  /** Network, epoch and beacon the node currently works in; the agent signs for this epoch. */
  info(): Promise<GatewayInfo>;
  /**
   * The device's signed registration (capabilities, owner, storage root). The answer carries a
   * liveness ticket for the first heartbeat to echo.
   */
  register(registration: Uint8Array): Promise<TicketAnswer>;
  /**
   * A signed heartbeat, echoing the newest ticket this node gave the device; the answer carries the
   * next one. Only a heartbeat echoing a fresh ticket of this node earns uptime here.
   */
  heartbeat(heartbeat: Uint8Array): Promise<TicketAnswer>;
  /**
   * Long-poll: challenges for the device, waiting up to `waitMs` for one to be issued. `poll` is
   * signed by the device key for this node (`signPoll`, `./poll.ts`): nobody else can take, or
   * start the response clock of, a device's challenges. A bad poll is refused and consumes nothing.
   */
  pollChallenges(poll: Uint8Array, waitMs: number, signal?: AbortSignal): Promise<Uint8Array[]>;
  /** A compute commitment; the node answers with its salt (rows to open, Freivalds vector). */
  commit(commit: Uint8Array): Promise<{ salt: Uint8Array }>;
  respond(response: Uint8Array): Promise<void>;
  /**
   * The bandwidth challenge payload to download. `request` is signed by the challenged device
   * (`signPayloadRequest`, `./payloadRequest.ts`): the node serves nobody else.
   */
  payload(request: Uint8Array): Promise<Uint8Array>;
}

/**
 * A node's answer to an accepted registration or heartbeat: a fresh liveness ticket (32 random
 * bytes, `HEARTBEAT_TICKET_BYTES`) for the device's next heartbeat to echo. Zero bytes from a
 * gateway that issues none (a test double, a hostile node): echoing it earns nothing anywhere.
 */
export interface TicketAnswer {
  ticket: Uint8Array;
}

export interface GatewayInfo {
  networkId: bigint;
  epoch: bigint;
  nowMs: bigint;
  /** The network policy's heartbeat interval (uptime slot width), ms; absent from older nodes. */
  heartbeatIntervalMs?: number;
  /** When `epoch` ends on the node's clock, unix ms; absent from older nodes. */
  epochEndMs?: bigint;
  /**
   * The node's Ed25519 key (it signs the node's challenges): the device binds its polls to it.
   * Absent from nodes older than signed polls; the agent then binds them to 32 zero bytes.
   */
  nodeKey?: Uint8Array;
}

/** `RATE_LIMITED`: the node refused a request over its per-device limit (HTTP 429); nothing was kept. */
export type GatewayErrorCode = "REJECTED" | "NOT_FOUND" | "UNAVAILABLE" | "PROTOCOL" | "RATE_LIMITED";

/** Transport-level failure seen by the device; `check` carries the node's AttestationError code when it rejected input. */
export class GatewayError extends Error {
  override readonly name = "GatewayError";
  constructor(
    readonly code: GatewayErrorCode,
    readonly check: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${check}`, options);
  }
}
