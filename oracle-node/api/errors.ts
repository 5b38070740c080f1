import type { ContentfulStatusCode } from "hono/utils/http-status";

export type ApiErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "NOT_FOUND"
  | "NOT_READY"
  | "UNSUPPORTED"
  | "PAYLOAD_TOO_LARGE"
  | "INTERNAL";

/** An error the API answers with as `{ error: { code, message } }` and the given status. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ApiErrorCode | (string & {}),
    message: string,
  ) {
    super(message);
  }
}

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/** A listener could not bind its address (in use, not an address of this host, no permission). */
export class ListenError extends Error {
  override name = "ListenError";
  readonly code = "LISTEN_FAILED";
  constructor(
    message: string,
    readonly context: { listener: string; host: string; port: number; reason?: string },
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
