export { EpochLedger, type EpochLedgerOptions } from "./epochLedger";
