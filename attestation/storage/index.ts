// The storage client (the DePIN protocol's customer) and the replica a device keeps: derive a
// per-device replica from a secret the device never learns, register its root on chain, write it to
// the device's disk; the device answers storage challenges from that file.
export type { StorageTarget } from "../challenges/storage";
export {
  type ReplicaTree,
  replicaChunk,
  replicaKey,
  replicaKeyChunk,
  replicaTree,
  storageLevels,
} from "./replica";
export {
  openReplicaFile,
  type ReplicaFile,
  StorageError,
  type StorageErrorCode,
  writeReplicaFile,
} from "./replicaFile";
