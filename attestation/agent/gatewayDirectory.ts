// How a device learns where its assigned nodes are (docs/attestation.md, "Gateway discovery"): it
// asks bootstrap nodes for the gateway records they hold (`GET <gateway>/v1/gateways`), believes
// only records that verify against its own chain view (signed by the peer key the registry holds for
// an active operator, this deployment's, fresh), keeps the newest per operator across all
// bootstraps, and picks the ones the rendezvous assigns it this epoch.
import type { Logger } from "pino";
import { assignedOracles } from "../assignment";
import { bytesToHex, equalBytes, hexToBytes } from "../bytes";
import type { Ed25519Verify } from "../crypto/ed25519";
import { nodeVerify } from "../crypto/node";
import { type GatewayRecord, verifyGatewayRecord } from "../gatewayRecord";
import type { ChainAssignment, EpochAssignmentView } from "./chainAssignment";
import type { GatewaySource } from "./deviceAgent";
import type { DeviceGateway } from "./gateway";

export interface GatewayDirectoryOptions {
  /** Device gateway URLs of any nodes (`nodes` in the device config): asked for the records they hold. */
  bootstraps: string[];
  /** The chain view the records are checked against and the assignment computed from (shared). */
  assignment: ChainAssignment;
  fetch?: typeof fetch;
  /** Per-bootstrap request timeout, ms (default 5 s). */
  timeoutMs?: number;
  /** While an assigned node has no record, ask the bootstraps again at most this often, ms (default 10 s). */
  retryMs?: number;
  verify?: Ed25519Verify;
  logger?: Logger;
  /** The clock records' age is judged by (default `Date.now`). */
  now?: () => number;
}

/** A device's assigned node and where its gateway is (undefined: no record believed yet). */
export interface AssignedGateway {
  signer: Uint8Array;
  urls: string[] | undefined;
}

export interface GatewayDirectoryStats {
  /** Requests to bootstraps that failed (unreachable, timed out, not JSON). */
  bootstrapFailures: number;
  /** Records refused: forged, unregistered, another deployment's, stale, malformed. */
  recordsRefused: number;
}

export interface GatewayDirectory {
  readonly stats: GatewayDirectoryStats;
  /**
   * The device's assigned nodes in the epoch running at `nowMs` (and the epoch), with their
   * gateways; undefined while the chain cannot tell.
   */
  assigned(
    deviceId: Uint8Array,
    nowMs?: number,
  ): Promise<{ epoch: bigint; startMs: number; nodes: AssignedGateway[] } | undefined>;
}

/** Records of one epoch's operator set, merged across bootstraps; refreshed while some are missing. */
interface Book {
  records: Map<string, GatewayRecord>;
  fetchedAtMs: number;
  inFlight: Promise<void> | undefined;
}

/** Most records one bootstrap answer may carry (one per operator; a registry this large is far off). */
const MAX_RECORDS_PER_ANSWER = 4096;
/** Most bytes read from one bootstrap answer (4096 records of ~1.2 KiB, hex, plus JSON). */
const MAX_ANSWER_BYTES = 12 * 1024 * 1024;

/**
 * One directory serves every device of a process (a fleet shares it): the records are fetched and
 * verified once per epoch (again after `retryMs` while an assigned node has none), the chain reads
 * are the shared `ChainAssignment`'s, and per device only the rendezvous is computed.
 */
export function createGatewayDirectory(opts: GatewayDirectoryOptions): GatewayDirectory {
  const f = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const retryMs = opts.retryMs ?? 10_000;
  const verify = opts.verify ?? nodeVerify;
  const now = opts.now ?? Date.now;
  const log = opts.logger;
  const stats: GatewayDirectoryStats = { bootstrapFailures: 0, recordsRefused: 0 };
  const books = new Map<bigint, Book>();
  const registry = hexToBytes(opts.assignment.registry.slice(2));

  /** One bootstrap's records (raw bytes); a failure is counted and logged, and yields none. */
  async function ask(bootstrap: string): Promise<Uint8Array[]> {
    const url = `${bootstrap.replace(/\/+$/, "")}/v1/gateways`;
    try {
      const res = await f(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const text = await res.text();
      if (text.length > MAX_ANSWER_BYTES) throw new Error(`answer over ${MAX_ANSWER_BYTES} bytes`);
      const j = JSON.parse(text) as { gateways?: unknown };
      if (!Array.isArray(j.gateways)) throw new Error("gateways: not a list");
      return j.gateways.slice(0, MAX_RECORDS_PER_ANSWER).flatMap((g: unknown) => {
        const hex = (g as { record?: unknown } | null)?.record;
        return typeof hex === "string" && /^(0x)?([0-9a-f]{2})+$/i.test(hex)
          ? [hexToBytes(hex.replace(/^0x/, ""))]
          : [];
      });
    } catch (err) {
      stats.bootstrapFailures++;
      log?.warn(
        { bootstrap, err: err instanceof Error ? err.message : String(err) },
        "bootstrap node did not answer",
      );
      return [];
    }
  }

  /** Asks every bootstrap, verifies each record against the epoch's view, keeps the newest per signer. */
  async function refresh(book: Book, view: EpochAssignmentView, chainId: bigint): Promise<void> {
    const keys = new Map(view.oracles.map((o) => [bytesToHex(o.signer), o.challengerKey]));
    const answers = await Promise.all(opts.bootstraps.map(ask));
    const nowMs = now();
    for (const bytes of answers.flat()) {
      const r = verifyGatewayRecord(
        bytes,
        { chainId, registry, nowMs, nodeKeyOf: (s) => keys.get(bytesToHex(s)) },
        verify,
      );
      if (!r.ok) {
        // A bootstrap serving a forged or foreign record is simply not believed.
        stats.recordsRefused++;
        log?.debug({ code: r.error.code, check: r.error.check }, "gateway record refused");
        continue;
      }
      const key = bytesToHex(r.value.signer);
      const held = book.records.get(key);
      if (!held || held.issuedAtMs < r.value.issuedAtMs) book.records.set(key, r.value);
    }
    book.fetchedAtMs = now();
  }

  return {
    stats,
    async assigned(deviceId, nowMs = now()) {
      const at = await opts.assignment.epochAt(nowMs);
      if (!at) return undefined;
      const [view, chainId] = await Promise.all([
        opts.assignment.epochView(at.epoch),
        opts.assignment.chainId(),
      ]);
      if (!view || chainId === undefined) return undefined;
      const mine = assignedOracles(view.beacon, deviceId, view.oracles, view.k);
      let book = books.get(at.epoch);
      if (!book) {
        book = { records: new Map(), fetchedAtMs: Number.NEGATIVE_INFINITY, inFlight: undefined };
        books.set(at.epoch, book);
        // The current epoch and the one before it are enough.
        for (const e of books.keys()) if (e < at.epoch - 1n) books.delete(e);
      }
      const missing = mine.some((o) => !book.records.has(bytesToHex(o.signer)));
      if (missing && now() - book.fetchedAtMs >= retryMs) {
        const b = book;
        b.inFlight ??= refresh(b, view, chainId).finally(() => {
          b.inFlight = undefined;
        });
      }
      if (book.inFlight) await book.inFlight;
      return {
        epoch: at.epoch,
        startMs: at.startMs,
        nodes: mine.map((o) => ({ signer: o.signer, urls: book.records.get(bytesToHex(o.signer))?.urls })),
      };
    },
  };
}

/**
 * The agent's gateways from a directory: the device's assigned nodes this epoch (and, for
 * `graceMs` after the epoch's start, the last epoch's too, so answers in flight at the boundary
 * finish), each reached at its record's first URL plus `/<network id>`. One `DeviceGateway` per URL,
 * kept while it stays assigned.
 */
export function discoveredGateways(
  directory: GatewayDirectory,
  connect: (url: string) => DeviceGateway,
  o: { networkId: bigint; graceMs?: number; refreshMs?: number; logger?: Logger },
): GatewaySource {
  const graceMs = o.graceMs ?? 5_000;
  const connected = new Map<string, DeviceGateway>();
  let lastLogged = "";
  return {
    refreshMs: o.refreshMs ?? 2_000,
    async current(deviceId) {
      const nowMs = Date.now();
      const cur = await directory.assigned(deviceId, nowMs);
      if (!cur) return undefined;
      const nodes = [...cur.nodes];
      if (nowMs - cur.startMs < graceMs && cur.epoch > 0n) {
        const prev = await directory.assigned(deviceId, cur.startMs - 1);
        for (const n of prev?.nodes ?? [])
          if (!nodes.some((m) => equalBytes(m.signer, n.signer))) nodes.push(n);
      }
      const out = new Map<string, DeviceGateway>();
      for (const n of nodes) {
        const base = n.urls?.[0];
        if (!base) continue;
        const url = `${base.replace(/\/+$/, "")}/${o.networkId}`;
        let gw = connected.get(url);
        if (!gw) {
          gw = connect(url);
          connected.set(url, gw);
        }
        out.set(url, gw);
      }
      for (const url of connected.keys()) if (!out.has(url)) connected.delete(url);
      const summary = `${cur.epoch}:${[...out.keys()].join(",")}`;
      if (summary !== lastLogged) {
        lastLogged = summary;
        o.logger?.info(
          {
            epoch: cur.epoch,
            gateways: [...out.keys()],
            unknown: nodes.filter((n) => !n.urls).map((n) => `0x${bytesToHex(n.signer)}`),
          },
          "assigned nodes discovered",
        );
      }
      return out;
    },
  };
}
