import { type DeviceGateway, GatewayError } from "../agent/gateway";

/**
 * A flaky network between a device and a node: each request fails before it reaches the node with
 * probability `lossRate` (a dropped connection), and every request waits up to `jitterMs` longer.
 */
export function flakyTransport(inner: DeviceGateway, lossRate: number, jitterMs: number): DeviceGateway {
  const through =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await new Promise((r) => setTimeout(r, Math.random() * jitterMs));
      if (Math.random() < lossRate)
        throw new GatewayError("UNAVAILABLE", "flaky network: connection dropped");
      return call(...args);
    };
  return {
    info: through(() => inner.info()),
    register: through((b) => inner.register(b)),
    heartbeat: through((b) => inner.heartbeat(b)),
    pollChallenges: through((id, wait, signal) => inner.pollChallenges(id, wait, signal)),
    commit: through((b) => inner.commit(b)),
    respond: through((b) => inner.respond(b)),
    payload: through((request) => inner.payload(request)),
  };
}

/**
 * An on-path attacker (no TLS between device and node): rewrites every compute salt the node
 * reveals and flips a bit of every bandwidth payload on the way to the device. It cannot sign as
 * either side, so all it may cause is missed challenges; if the node ever proves fraud from what
 * the device signed, an honest device was framed.
 */
export function rewritingProxy(inner: DeviceGateway): DeviceGateway {
  return {
    info: () => inner.info(),
    register: (b) => inner.register(b),
    heartbeat: (b) => inner.heartbeat(b),
    pollChallenges: (id, wait, signal) => inner.pollChallenges(id, wait, signal),
    async commit(b) {
      const { salt } = await inner.commit(b);
      const rewritten = salt.slice();
      rewritten[0]! ^= 0xff;
      return { salt: rewritten };
    },
    respond: (b) => inner.respond(b),
    async payload(request) {
      const payload = (await inner.payload(request)).slice();
      payload[payload.length - 1]! ^= 1;
      return payload;
    },
  };
}
