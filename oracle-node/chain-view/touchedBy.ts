import { type Address, type Hex, isAddressEqual, type Log, parseEventLogs } from "viem";
import { vigilRegistryAbi, vigilSettlementAbi } from "../../contracts/index";

/** What a block range's logs changed, deduplicated: each is re-read once, however many events named it. */
export interface Touched {
  /** Devices (by lowercase id) whose record changed, with their network, in order of first event. */
  devices: Map<Hex, bigint>;
  /** Devices whose storage target was set, replaced or cleared. */
  storage: Map<Hex, bigint>;
  /** Networks whose parameters (or device count) changed. */
  networks: Set<bigint>;
  /** Any operator changed: the operator list is re-read whole (operators are few). */
  operators: boolean;
  /** Networks with a settlement (or timeout) in the range: beacon and last settled epoch move. */
  settlement: Set<bigint>;
  /** Applied events by name (for `vigil_chain_view_events_total`). */
  events: Map<string, number>;
}

/**
 * Sorts a range's logs of the registry and the settlement contract into what they touched, skipping
 * events of networks not served and logs neither ABI decodes (they change nothing the view holds).
 */
export function touchedBy(
  logs: readonly Log[],
  contracts: { registry: Address; settlement: Address; networks: readonly bigint[] },
): Touched {
  const touched: Touched = {
    devices: new Map(),
    storage: new Map(),
    networks: new Set(),
    operators: false,
    settlement: new Set(),
    events: new Map(),
  };
  const served = new Set(contracts.networks);
  const count = (name: string) => touched.events.set(name, (touched.events.get(name) ?? 0) + 1);
  const registryLogs = parseEventLogs({
    abi: vigilRegistryAbi,
    logs: logs.filter((l) => isAddressEqual(l.address, contracts.registry)) as Log[],
  });
  for (const log of registryLogs) {
    switch (log.eventName) {
      case "DeviceRegistered":
      case "DeviceExitRequested":
      case "DeviceWithdrawn":
      case "DeviceSlashed": {
        const { networkId, deviceId } = log.args;
        if (!served.has(networkId)) continue;
        touched.devices.set(deviceId.toLowerCase() as Hex, networkId);
        // The network's device count moved with a registration.
        if (log.eventName === "DeviceRegistered") touched.networks.add(networkId);
        break;
      }
      case "DeviceStorageSet": {
        const { networkId, deviceId } = log.args;
        if (!served.has(networkId)) continue;
        touched.storage.set(deviceId.toLowerCase() as Hex, networkId);
        break;
      }
      case "NetworkRegistered":
      case "NetworkUpdated":
      case "NetworkOwnerTransferred":
        if (!served.has(log.args.networkId)) continue;
        touched.networks.add(log.args.networkId);
        break;
      case "OperatorRegistered":
      case "OperatorPeerIdUpdated":
      case "OperatorStakeAdded":
      case "OperatorExitRequested":
      case "OperatorWithdrawn":
      case "OperatorSlashed":
        touched.operators = true;
        break;
      default:
        // Owner settings (settlement, unbonding delay, minimum stake, ownership): nothing the view holds.
        continue;
    }
    count(log.eventName);
  }
  const settlementLogs = parseEventLogs({
    abi: vigilSettlementAbi,
    eventName: ["EpochSettled", "EpochTimedOut"],
    logs: logs.filter((l) => isAddressEqual(l.address, contracts.settlement)) as Log[],
  });
  for (const log of settlementLogs) {
    if (!served.has(log.args.networkId)) continue;
    touched.settlement.add(log.args.networkId);
    count(log.eventName);
  }
  return touched;
}
