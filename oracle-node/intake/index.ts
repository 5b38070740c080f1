export { type ChallengePolicy, challengePolicy } from "../../attestation/index";
export {
  createIntake,
  type Intake,
  type IntakeModules,
  type IntakeNetwork,
  type IntakeOptions,
} from "./createIntake";
export { challengerKeyOf, createFraudVerifier, judgesInContext } from "./fraudVerifier";
export { ChallengeGossip, decodeChallengeGossip, encodeChallengeGossip } from "./gossipCodec";
export { signerFromPeerKey } from "./signerFromPeerKey";
export { VerifyPool, type VerifyPoolOptions } from "./verifyPool";
