import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { ConfigError, type ConfigIssue } from "./errors";

/** A listener's TLS certificate and key as read and checked at start (`[api.tls]`, `[gateway.tls]`). */
export interface TlsCredentials {
  cert: Buffer;
  key: Buffer;
  /** The leaf certificate's subject and expiry, for the start-up log line. */
  subject: string;
  validTo: Date;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * Reads `<section>.cert_file` and `<section>.key_file` (`api.tls` by default) and checks that they
 * are a PEM certificate and the private key that matches it, so a bad file stops the node at start
 * with a `ConfigError` naming the key and the file, rather than failing on the first TLS handshake.
 */
export function loadTlsCredentials(
  tls: { certFile: string; keyFile: string },
  section: "api.tls" | "gateway.tls" = "api.tls",
): TlsCredentials {
  const issues: ConfigIssue[] = [];
  const fail = (key: string, message: string) => issues.push({ key: `${section}.${key}`, message });
  const read = (key: string, path: string): Buffer | undefined => {
    try {
      return readFileSync(path);
    } catch (err) {
      fail(key, `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      return undefined;
    }
  };
  const invalid = () => new ConfigError("CONFIG_INVALID", "configuration is invalid:", issues);
  const cert = read("cert_file", tls.certFile);
  const key = read("key_file", tls.keyFile);
  let leaf: X509Certificate | undefined;
  if (cert)
    try {
      const pem = PEM_CERT.exec(cert.toString("utf8"))?.[0];
      if (!pem) throw new Error("no PEM certificate");
      leaf = new X509Certificate(pem);
    } catch (err) {
      fail("cert_file", `${tls.certFile} is not a PEM certificate (${(err as Error).message})`);
    }
  let privateKey: KeyObject | undefined;
  if (key)
    try {
      privateKey = createPrivateKey(key);
    } catch (err) {
      fail("key_file", `${tls.keyFile} is not an unencrypted PEM private key (${(err as Error).message})`);
    }
  if (issues.length > 0 || !cert || !key || !leaf || !privateKey) throw invalid();
  if (!leaf.checkPrivateKey(privateKey)) {
    fail("key_file", `the key in ${tls.keyFile} does not match the certificate in ${tls.certFile}`);
    throw invalid();
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    fail(
      "cert_file",
      `${tls.certFile} with ${tls.keyFile} is not usable for TLS (${(err as Error).message})`,
    );
    throw invalid();
  }
  return { cert, key, subject: leaf.subject, validTo: new Date(leaf.validTo) };
}
