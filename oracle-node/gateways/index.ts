export {
  createGatewayAnnouncer,
  type GatewayAnnouncer,
  type GatewayAnnouncerModules,
  type GatewayAnnouncerOptions,
} from "./createGatewayAnnouncer";
export { GatewayBook } from "./gatewayBook";
export { gatewayPublicUrls } from "./gatewayPublicUrls";
