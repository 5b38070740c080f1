import { type Address, bytesToHex, getAddress } from "viem";
import type { OperatorInfo } from "../chain/index";
import { donConfigDigest } from "../cre-host/index";

/** One configuration of a DON as the forwarder's `ConfigSet` set it. */
export interface DonConfigEntry {
  f: number;
  /** The forwarder's signers, in its order. */
  signers: Address[];
}

/** The DON as this node runs it: one forwarder configuration, less the signers that cannot take part. */
export interface DonMembership {
  donId: number;
  configVersion: number;
  f: number;
  /** Every signer the forwarder accepts for this configuration, in its order. */
  signers: Address[];
  /**
   * The signers that take part, in forwarder order: those of an active registered operator with a
   * peer id. A signer whose operator exited (or never registered) is not asked; its index is gone.
   */
  members: Address[];
  /** Each member's libp2p peer id, as the registry holds it (index = member index). */
  peerIds: string[];
  /**
   * Names this membership (from `donConfigDigest`): consensus frames carry it, so nodes on two
   * memberships of one DON never meet in one round while they move from one to the next.
   */
  scope: string;
}

/**
 * The DON a node runs, from the configurations the forwarder holds for its DON id (cleared ones
 * removed) and the registry's operators: the pinned version if `pin` is set, else the highest one
 * the forwarder still accepts. Undefined when there is none. Deterministic, so every node that read
 * the same chain runs the same membership.
 */
export function resolveDon(o: {
  donId: number;
  configs: ReadonlyMap<number, DonConfigEntry>;
  operators: readonly OperatorInfo[];
  pin?: number;
}): DonMembership | undefined {
  const configVersion = o.pin ?? Math.max(-1, ...o.configs.keys());
  const config = o.configs.get(configVersion);
  if (!config) return undefined;
  const active = new Map<Address, string>();
  for (const op of o.operators)
    if (op.status === "Active" && op.peerId) active.set(getAddress(op.signer), op.peerId);
  const members = config.signers.filter((s) => active.has(s));
  const peerIds = members.map((s) => active.get(s)!);
  const digest = donConfigDigest({ id: o.donId, configVersion, f: config.f, members });
  return {
    donId: o.donId,
    configVersion,
    f: config.f,
    signers: config.signers,
    members,
    peerIds,
    // 8 bytes: the scope only has to tell apart the few memberships alive at one time.
    scope: bytesToHex(digest.subarray(0, 8)).slice(2),
  };
}

/** Whether two memberships are the same (same configuration, same members with the same peer ids). */
export function sameDon(a: DonMembership | undefined, b: DonMembership | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.scope === b.scope && a.peerIds.join() === b.peerIds.join() && a.signers.join() === b.signers.join()
  );
}
