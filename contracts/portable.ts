// The portable surface of contracts/: ABIs, device lines, result votes and reports. No Node built-ins
// anywhere in its module graph (portable.test.ts bundles it for the browser to prove it), so the feed
// client, CRE workflows and browsers import it. Node-only helpers (forge artifacts, deployment files)
// are in ./node; ./index re-exports both.
export * from "./abi";
export {
  assertLine,
  buildLinesTree,
  type DeviceLine,
  InvalidLineError,
  LINE_LEAF_TYPES,
  type LinesTree,
  type LineValues,
  lineLeaf,
  lineProof,
  lineValues,
} from "./lines";
export {
  type DeviceSlash,
  type EpochSettlement,
  encodeEpochSettlementReport,
  encodeFraudSlashReport,
  genesisBeacon,
  nextBeacon,
  type ObservationRef,
  REPORT_KIND,
} from "./reports";
export { equivocationCommitment, resultVoteDomain, resultVoteTypes } from "./votes";
