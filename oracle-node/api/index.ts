export { type AdminModules, createAdminApp, type NodeStatus } from "./createAdminApp";
export { type ApiApp, type ApiModules, type AssignmentView, createApiApp } from "./createApiApp";
export { createBaseApp, type ListenerModules, type ListenerName } from "./createBaseApp";
export { createGatewayApp, type GatewayModules } from "./createGatewayApp";
export { ApiError, type ApiErrorCode, errorBody, ListenError } from "./errors";
export { type ApiServer, inProcessFetch, type ServeApiOptions, serveApi } from "./serveApi";
