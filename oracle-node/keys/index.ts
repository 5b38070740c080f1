export { KeysError, type KeysErrorCode } from "./errors";
export { initNodeKeys, type NewKeysOptions, type NodeKeysInfo } from "./initNodeKeys";
export {
  describeKeyFile,
  type KeyFormat,
  type KeyWriteOptions,
  type PeerKey,
  readPeerKey,
  readSignerKey,
  type SignerKey,
  writePeerKey,
  writePrivateFile,
  writeSignerKey,
} from "./keyFiles";
export {
  decryptKeystore,
  type EncryptOptions,
  encryptKeystore,
  type KeystoreJson,
  PEER_KEY_KIND,
  parseKeystore,
  STANDARD_SCRYPT_N,
} from "./keystore";
export {
  fixedPassword,
  PASSWORD_HINT,
  type Password,
  type PasswordSource,
  type PasswordSourceOptions,
  passwordSource,
  readPasswordFile,
  resolvePassword,
} from "./password";
export {
  createPendingPeerKey,
  loadNodePeerKey,
  type NodePeerKey,
  peerIdRegistryBytes,
  pendingPeerKeyFile,
  previousPeerKeyFile,
} from "./peerRotation";
