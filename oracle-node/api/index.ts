export {
  type ApiApp,
  type ApiModules,
  type AssignmentView,
  createApiApp,
  type NodeStatus,
} from "./createApiApp";
export { ApiError, type ApiErrorCode, errorBody } from "./errors";
export { type ApiServer, inProcessFetch, type ServeApiOptions, serveApi } from "./serveApi";
