export { PeerAllowList } from "./allowList";
export { createP2P, type P2PModules } from "./createP2P";
export { EnvelopeSigner, openEnvelope, peerIdOfPublicKey } from "./envelope";
export { P2PError, type P2PErrorCode } from "./errors";
export {
  type GossipMessage,
  type MessageHandler,
  type P2P,
  type PeerInfo,
  type TopicValidator,
  Validation,
} from "./interface";
export {
  DEFAULT_TOPIC_LIMITS,
  defaultP2POptions,
  type P2POptions,
  TOPIC_KINDS,
  type TopicKind,
} from "./options";
export { loadOrCreatePeerKey } from "./peerKey";
