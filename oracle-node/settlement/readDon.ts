import { type Address, getAddress, type PublicClient, parseAbiItem } from "viem";
import type { OperatorInfo } from "../chain/index";
import { SettlementError } from "./errors";

const configSetEvent = parseAbiItem(
  "event ConfigSet(uint32 indexed donId, uint32 indexed configVersion, uint8 f, address[] signers)",
);

/** The DON as the forwarder checks it: signers in its order, with each one's libp2p peer id. */
export interface DonMembership {
  donId: number;
  configVersion: number;
  f: number;
  members: Address[];
  peerIds: string[];
}

/**
 * Reads the DON from the forwarder's latest `ConfigSet` for (donId, configVersion) — the forwarder
 * keeps its signers in storage without a getter, so the event is the only public record — and maps
 * every signer to its registered operator's peer id.
 */
export async function readDon(
  client: PublicClient,
  o: {
    forwarder: Address;
    donId: number;
    configVersion: number;
    fromBlock: bigint;
    operators: readonly OperatorInfo[];
  },
): Promise<DonMembership> {
  const logs = await client.getLogs({
    address: o.forwarder,
    event: configSetEvent,
    args: { donId: o.donId, configVersion: o.configVersion },
    fromBlock: o.fromBlock,
    toBlock: "latest",
  });
  const last = logs.at(-1);
  if (!last?.args.signers || last.args.f === undefined)
    throw new SettlementError(
      "DON_NOT_CONFIGURED",
      `forwarder ${o.forwarder} has no config for DON ${o.donId} version ${o.configVersion}`,
      { forwarder: o.forwarder, donId: o.donId, configVersion: o.configVersion },
    );
  const members = last.args.signers.map((s) => getAddress(s));
  const bySigner = new Map(o.operators.map((op) => [getAddress(op.signer), op]));
  const peerIds = members.map((signer) => {
    const op = bySigner.get(signer);
    if (!op?.peerId)
      throw new SettlementError(
        "MEMBER_NOT_REGISTERED",
        `forwarder signer ${signer} is not a registered operator with a peer id`,
        { signer },
      );
    return op.peerId;
  });
  return { donId: o.donId, configVersion: o.configVersion, f: last.args.f, members, peerIds };
}
