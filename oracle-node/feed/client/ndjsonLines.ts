import { NodeUnreachableError } from "./errors";

/**
 * The lines of an NDJSON body as they arrive, without holding more than one chunk and one partial
 * line. A body that breaks off is a `NodeUnreachableError`; leaving the loop early cancels the body.
 */
export async function* ndjsonLines(body: ReadableStream<Uint8Array>, node: string): AsyncGenerator<string> {
  // A streaming TextDecoder rather than TextDecoderStream: the same in browsers and Node, and its
  // types agree across the DOM and Node libs the package's declarations are checked under.
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let partial = "";
  // Cancel only a body still flowing: one that ended or broke off has nothing left to release.
  let open = true;
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (cause) {
        open = false;
        throw new NodeUnreachableError(node, cause);
      }
      if (chunk.done) {
        open = false;
        break;
      }
      const parts = (partial + decoder.decode(chunk.value, { stream: true })).split("\n");
      partial = parts.pop()!;
      for (const line of parts) if (line !== "") yield line;
    }
    partial += decoder.decode();
    if (partial !== "") yield partial;
  } finally {
    if (open) await reader.cancel();
  }
}
