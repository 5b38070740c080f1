// Device agent, its node-facing transport (HTTP: router for the node, client for the device) and
// the fleet simulator. The library itself is `attestation/index.ts`.

export {
  defaultFleetCapabilities,
  type Fleet,
  type FleetDevice,
  type FleetDeviceInfo,
  type FleetOptions,
  fleetStorageSecret,
  planFleet,
  replicaFileOf,
  runFleet,
  STRATEGIES,
  type Strategy,
  writeFleetReplicas,
} from "../fleet/runFleet";
export {
  type ChainAssignment,
  type ChainAssignmentOptions,
  createChainAssignment,
  type EpochAssignmentView,
} from "./chainAssignment";
export {
  type ChallengerGateway,
  type ChallengerGatewayOptions,
  createChallengerGateway,
} from "./challengerGateway";
export { type HttpGatewayOptions, httpGateway } from "./client";
export {
  type AgentBehaviour,
  type AssignmentSource,
  type DeviceAgent,
  type DeviceAgentOptions,
  type DeviceAgentStats,
  type GatewaySource,
  startDeviceAgent,
} from "./deviceAgent";
export {
  type DeviceGateway,
  GatewayError,
  type GatewayErrorCode,
  type GatewayInfo,
  type TicketAnswer,
} from "./gateway";
export {
  type AssignedGateway,
  createGatewayDirectory,
  discoveredGateways,
  type GatewayDirectory,
  type GatewayDirectoryOptions,
} from "./gatewayDirectory";
export { TICKETS_PER_DEVICE, type TicketCheck, TicketRing } from "./livenessTickets";
export { signPayloadRequest, verifyPayloadRequest } from "./payloadRequest";
export { createGatewayRouter, type GatewayRouterOptions } from "./router";
export { caFetch } from "./tlsFetch";
