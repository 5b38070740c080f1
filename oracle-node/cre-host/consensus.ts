import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { SDK_PB, VALUES_PB } from "@chainlink/cre-sdk/pb";
import { type Address, bytesToHex, type Hex, type LocalAccount, recoverAddress } from "viem";
import { aggregateObservations, type Observation } from "./aggregate";
import { CreHostError } from "./errors";
import { reportDigest, signReport } from "./report";
import type { DonMessage, DonMessageKind, DonTransport } from "./transport";

export interface DonConsensusOptions {
  transport: DonTransport;
  /** Every member's report signer address, in DON order (index = member index). */
  members: Address[];
  /**
   * Faulty nodes tolerated. The forwarder's DON has at least 3f+1 signers; members whose operator
   * left the registry are not asked, so a running DON may be down to the 2f+1 a round needs.
   */
  f: number;
  signer: LocalAccount;
  timeoutMs: number;
  /** Once 2f+1 observations are in, how long the leader waits for the rest before deciding. */
  graceMs?: number;
  /** Rounds whose messages are kept at most (oldest dropped first), so no peer can grow memory. */
  maxRounds?: number;
}

interface Round {
  messages: Map<DonMessageKind, Map<number, Uint8Array>>;
  wake: Set<() => void>;
}

export interface SignedReport {
  rawReport: Uint8Array;
  reportContext: Uint8Array;
  sigs: { signerId: number; signature: Uint8Array }[];
}

/** The member that leads an execution's consensus rounds (and transmits its reports first). */
export function roundLeader(executionId: Hex, donSize: number): number {
  return Number.parseInt(executionId.slice(2, 10), 16) % donSize;
}

/**
 * Consensus among the oracle nodes of one DON, for the `consensus@1.0.0-alpha` capability.
 *
 * `Simple`: every node broadcasts its observation; the round's leader waits for all n (or 2f+1 plus
 * a short grace), aggregates deterministically and broadcasts the outcome, which every node adopts.
 * `Report`: the leader proposes the raw report (header + body); each node checks the proposal
 * against the body it computed itself and its own view of the metadata, signs, and broadcasts its
 * signature; any f+1 valid member signatures complete the report on every node.
 */
export class DonConsensus {
  private readonly rounds = new Map<string, Round>();
  private readonly unsubscribe: () => void;
  readonly n: number;

  constructor(private readonly opts: DonConsensusOptions) {
    this.n = opts.members.length;
    if (this.n < 2 * opts.f + 1) {
      throw new CreHostError(
        "INVALID_CONFIG",
        `a DON with f=${opts.f} needs at least ${2 * opts.f + 1} members to reach a quorum`,
      );
    }
    const me = opts.members[opts.transport.self];
    if (!me || me.toLowerCase() !== opts.signer.address.toLowerCase()) {
      throw new CreHostError("INVALID_CONFIG", "the signer is not the DON member at this node's index", {
        self: opts.transport.self,
      });
    }
    this.unsubscribe = opts.transport.subscribe((m) => this.receive(m));
  }

  get self(): number {
    return this.opts.transport.self;
  }

  /** The leader of a round, rotating over members by execution id so no node leads every round. */
  leaderOf(executionId: Hex): number {
    return roundLeader(executionId, this.n);
  }

  close(): void {
    this.unsubscribe();
    this.rounds.clear();
  }

  private round(key: string): Round {
    let r = this.rounds.get(key);
    if (!r) {
      r = { messages: new Map(), wake: new Set() };
      this.rounds.set(key, r);
      const max = this.opts.maxRounds ?? 4096;
      while (this.rounds.size > max) {
        const oldest = this.rounds.keys().next().value as string;
        this.rounds.delete(oldest);
      }
    }
    return r;
  }

  private receive(m: DonMessage): void {
    if (!Number.isInteger(m.from) || m.from < 0 || m.from >= this.n || m.from === this.self) return;
    this.record(m.round, m.kind, m.from, m.payload);
  }

  private record(key: string, kind: DonMessageKind, from: number, payload: Uint8Array): void {
    const r = this.round(key);
    let byKind = r.messages.get(kind);
    if (!byKind) {
      byKind = new Map();
      r.messages.set(kind, byKind);
    }
    // First message per sender wins: a peer cannot change its observation mid-round.
    if (byKind.has(from)) return;
    byKind.set(from, payload);
    for (const w of [...r.wake]) w();
  }

  private async publish(key: string, kind: DonMessageKind, payload: Uint8Array): Promise<void> {
    this.record(key, kind, this.self, payload);
    await this.opts.transport.broadcast({ round: key, kind, payload });
  }

  /** Resolves when `ready` returns a value, re-checking on every message of the round. */
  private waitFor<T>(key: string, what: string, ready: (r: Round) => T | undefined): Promise<T> {
    const r = this.round(key);
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        let out: T | undefined;
        try {
          out = ready(r);
        } catch (err) {
          cleanup();
          reject(err);
          return;
        }
        if (out !== undefined) {
          cleanup();
          resolve(out);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new CreHostError("CONSENSUS_TIMEOUT", `consensus round ${key} timed out waiting for ${what}`, {
            round: key,
            timeoutMs: this.opts.timeoutMs,
          }),
        );
      }, this.opts.timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        r.wake.delete(check);
      };
      r.wake.add(check);
      check();
    });
  }

  /** Runs one `Simple` consensus round; resolves with the DON's agreed value. */
  async simple(
    executionId: Hex,
    callbackId: number,
    input: SDK_PB.SimpleConsensusInputs,
  ): Promise<VALUES_PB.Value> {
    const key = `${executionId}/${callbackId}`;
    const leader = this.leaderOf(executionId);
    await this.publish(key, "observation", toBinary(SDK_PB.SimpleConsensusInputsSchema, input));
    if (leader === this.self) {
      const quorum = 2 * this.opts.f + 1;
      let graceArmed = false;
      let graceOver = false;
      const observations = await this.waitFor(key, "observations", (r) => {
        const obs = r.messages.get("observation");
        if (!obs) return undefined;
        if (obs.size >= this.n) return obs;
        if (obs.size >= quorum) {
          if (graceOver) return obs;
          if (!graceArmed) {
            graceArmed = true;
            // A flag, not a clock comparison: timers may fire a millisecond before Date.now() says.
            setTimeout(() => {
              graceOver = true;
              for (const w of [...r.wake]) w();
            }, this.opts.graceMs ?? 200);
          }
        }
        return undefined;
      });
      const decoded: Observation[] = [...observations.entries()]
        .sort(([a], [b]) => a - b)
        .map(([, bytes]) => {
          const o = fromBinary(SDK_PB.SimpleConsensusInputsSchema, bytes).observation;
          return o.case === "value"
            ? { ok: true, value: o.value }
            : { ok: false, error: o.case === "error" ? o.value : "empty observation" };
        });
      let outcome: Uint8Array;
      try {
        const value = aggregateObservations(decoded, input.descriptors, input.default, this.opts.f);
        outcome = new Uint8Array([1, ...toBinary(VALUES_PB.ValueSchema, value)]);
      } catch (err) {
        outcome = new Uint8Array([
          0,
          ...new TextEncoder().encode(err instanceof Error ? err.message : String(err)),
        ]);
      }
      await this.publish(key, "outcome", outcome);
    }
    const outcome = await this.waitFor(key, "the leader's outcome", (r) =>
      r.messages.get("outcome")?.get(leader),
    );
    if (outcome[0] === 1) return fromBinary(VALUES_PB.ValueSchema, outcome.subarray(1));
    throw new CreHostError("CONSENSUS_FAILED", new TextDecoder().decode(outcome.subarray(1)), { round: key });
  }

  /**
   * Runs one `Report` round. `propose` builds the raw report (only the leader's is used);
   * `validate` throws if a proposed raw report is not one this node would sign.
   */
  async report(
    executionId: Hex,
    callbackId: number,
    reportContext: Uint8Array,
    propose: () => Uint8Array,
    validate: (rawReport: Uint8Array) => void,
  ): Promise<SignedReport> {
    const key = `${executionId}/${callbackId}`;
    const leader = this.leaderOf(executionId);
    if (leader === this.self) await this.publish(key, "proposal", propose());
    const rawReport = await this.waitFor(key, "the leader's report proposal", (r) =>
      r.messages.get("proposal")?.get(leader),
    );
    validate(rawReport);
    const digest = reportDigest(rawReport, reportContext);
    await this.publish(key, "signature", await signReport(this.opts.signer, rawReport, reportContext));
    const checked = new Map<number, boolean>();
    const deadline = Date.now() + this.opts.timeoutMs;
    for (;;) {
      // Wait until enough signatures are in that f+1 could be valid, then check the new ones.
      const pending = await this.waitFor(key, `${this.opts.f + 1} report signatures`, (r) => {
        const all = r.messages.get("signature");
        const good = [...checked.values()].filter(Boolean).length;
        const fresh = [...(all ?? [])].filter(([from]) => !checked.has(from));
        return good + fresh.length >= this.opts.f + 1 && fresh.length > 0 ? fresh : undefined;
      });
      for (const [from, signature] of pending) {
        checked.set(from, await this.isMemberSignature(from, digest, signature));
      }
      const valid = [...checked.entries()]
        .filter(([, ok]) => ok)
        .map(([from]) => from)
        .sort((a, b) => a - b)
        .slice(0, this.opts.f + 1);
      if (valid.length === this.opts.f + 1) {
        const sigs = this.round(key).messages.get("signature")!;
        return {
          rawReport,
          reportContext,
          sigs: valid.map((signerId) => ({ signerId, signature: sigs.get(signerId)! })),
        };
      }
      if (Date.now() > deadline) {
        throw new CreHostError("CONSENSUS_TIMEOUT", `report round ${key} got too few valid signatures`, {
          round: key,
        });
      }
    }
  }

  private async isMemberSignature(from: number, digest: Hex, signature: Uint8Array): Promise<boolean> {
    if (signature.length !== 65 || signature[64]! > 1) return false;
    const withV = new Uint8Array(signature);
    withV[64] = withV[64]! + 27;
    try {
      const signer = await recoverAddress({ hash: digest, signature: bytesToHex(withV) });
      return signer.toLowerCase() === this.opts.members[from]!.toLowerCase();
    } catch {
      return false;
    }
  }
}
