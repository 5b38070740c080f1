import { parseAbiItem } from "viem";

/** KeystoneForwarder's `ConfigSet`: emitted by `setConfig`, and by `clearConfig` with f = 0 and no signers. */
export const configSetEvent = parseAbiItem(
  "event ConfigSet(uint32 indexed donId, uint32 indexed configVersion, uint8 f, address[] signers)",
);
