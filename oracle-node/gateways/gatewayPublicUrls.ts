import { gatewayUrlProblem } from "../../attestation/index";

/**
 * The device gateway URLs a node announces: `gateway.public_url` when set; otherwise the gateway
 * listener's own URL plus `/device`, unless it listens on every interface (0.0.0.0, ::), whose
 * address devices elsewhere cannot be told. Devices append `/<network id>` (the intake serves
 * `/device/<network id>/...`). Returns the URLs, or why there are none.
 */
export function gatewayPublicUrls(o: {
  publicUrl: string | undefined;
  listenerHost: string;
  listenerUrl: string;
}): { urls: string[] } | { urls: []; why: string } {
  if (o.publicUrl !== undefined) {
    const problem = gatewayUrlProblem(o.publicUrl);
    return problem
      ? { urls: [], why: `gateway.public_url ${o.publicUrl}: ${problem}` }
      : { urls: [o.publicUrl.replace(/\/+$/, "")] };
  }
  if (o.listenerHost === "0.0.0.0" || o.listenerHost === "::")
    return {
      urls: [],
      why: `the device gateway listens on ${o.listenerHost}: set gateway.public_url to the URL devices reach it at`,
    };
  return { urls: [`${o.listenerUrl}/device`] };
}
