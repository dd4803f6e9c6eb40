/**
 * An UploadTarget that delegates every call to `inner` except those given in `hooks`, so a test can
 * observe or hold one kind of request (a part upload, a completion) at the moment the engine makes
 * it, and pass it on with `inner`.
 */
import type { UploadTarget } from '../../main/upload/target.ts';

export function hookTarget(
  inner: UploadTarget,
  hooks: Partial<Pick<UploadTarget, 'putSingle' | 'createUpload' | 'uploadPart' | 'complete' | 'abort'>>,
): UploadTarget {
  return {
    kind: inner.kind,
    supportsSingle: inner.supportsSingle,
    bucket: inner.bucket,
    describe: (k) => inner.describe(k),
    probe: (s) => inner.probe(s),
    exists: (k, s) => inner.exists(k, s),
    verify: (k, e, s) => inner.verify(k, e, s),
    putSingle: hooks.putSingle ?? ((k, b, c, io) => inner.putSingle(k, b, c, io)),
    createUpload: hooks.createUpload ?? ((k, s, o) => inner.createUpload(k, s, o)),
    listParts: (k, id, known, s) => inner.listParts(k, id, known, s),
    uploadPart: hooks.uploadPart ?? ((k, id, part, body, crc, io) => inner.uploadPart(k, id, part, body, crc, io)),
    complete: hooks.complete ?? ((k, id, parts, s) => inner.complete(k, id, parts, s)),
    abort: hooks.abort ?? ((k, id, s) => inner.abort(k, id, s)),
    listUploads: (s, p) => inner.listUploads(s, p),
  };
}

/** A promise with its resolve function, for holding a hooked call until the test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

/**
 * `inner` with a server that stores the first `count` parts sent to it and holds every later part
 * until its request is aborted (the engine's stop() or pause()): a half-done multipart upload at a
 * known point. `stored` resolves once `count` parts are stored; `parts` holds their numbers.
 */
export function storeParts(inner: UploadTarget, count: number): { target: UploadTarget; stored: Promise<void>; parts: Set<number> } {
  let entered = 0;
  const parts = new Set<number>();
  const done = gate();
  const target = hookTarget(inner, {
    async uploadPart(k, id, part, body, crc, io) {
      if (++entered > count) {
        await new Promise((_, reject) => {
          if (io.signal.aborted) reject(io.signal.reason);
          io.signal.addEventListener('abort', () => reject(io.signal.reason), { once: true });
        });
      }
      const r = await inner.uploadPart(k, id, part, body, crc, io);
      parts.add(part.n);
      if (parts.size === count) done.open();
      return r;
    },
  });
  return { target, stored: done.promise, parts };
}
