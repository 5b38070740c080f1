export {
  type ChallengePolicy,
  challengeDeadlineMs,
  challengePolicy,
  creditUnits,
  ROUND_LATE_MS,
  ROUND_PHASE_MAX_MS,
} from "./challengePolicy";
export { type ChallengeRound, challengeRounds, ROUND_CLOCK_SLACK_MS, RoundGuard } from "./rounds";
