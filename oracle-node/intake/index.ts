export {
  createIntake,
  type Intake,
  type IntakeModules,
  type IntakeNetwork,
  type IntakeOptions,
} from "./createIntake";
export { challengerKeyOf, createFraudVerifier, judgesInContext } from "./fraudVerifier";
export { ChallengeGossip, decodeChallengeGossip, encodeChallengeGossip } from "./gossipCodec";
export { type ChallengePolicy, challengePolicy } from "./policy";
export { signerFromPeerKey } from "./signerFromPeerKey";
export { VerifyPool, type VerifyPoolOptions } from "./verifyPool";
