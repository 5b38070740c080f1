export { type AssignDeviceParameters, assignDevice, assignmentScore, createAssigner } from "./assignDevice";
export { type AssignNetworkParameters, assignNetwork, devicesForNode } from "./assignNetwork";
export { AssignmentError } from "./errors";
