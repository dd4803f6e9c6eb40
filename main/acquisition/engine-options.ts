/**
 * The one mapping from upload settings to upload-engine options, used by the acquisition service
 * and by `npm run bench:upload` so the bench measures what users get.
 *
 * Contract: `upload.concurrency` files are worked on at once and up to `concurrency ×
 * partConcurrency` requests are in flight; parts are DEFAULT_MIN_PART_SIZE, smaller (down to 5 MiB)
 * where a file would otherwise not keep that many requests busy, larger where a file needs it to fit
 * 10,000 parts (part-layout.ts); they are streamed from the file, and checksum buffers stay within
 * DEFAULT_MEMORY_BUDGET, so memory hardly grows with the concurrency settings.
 */
import type { UploadSettings } from '../config/schema.ts';
import { DEFAULT_MEMORY_BUDGET, type UploadEngineOptions } from '../upload/engine.ts';
import { DEFAULT_MIN_PART_SIZE } from '../upload/part-layout.ts';

export type EngineTuning = Pick<UploadEngineOptions, 'concurrency' | 'bandwidthLimit' | 'minPartSize' | 'memoryBudget' | 'freeSpaceAfterDays'>;

export function engineOptionsFromSettings(upload: UploadSettings): EngineTuning {
  return {
    concurrency: { files: upload.concurrency, requests: upload.concurrency * upload.partConcurrency },
    bandwidthLimit: upload.bandwidthLimit,
    minPartSize: DEFAULT_MIN_PART_SIZE,
    memoryBudget: DEFAULT_MEMORY_BUDGET,
    ...(upload.freeSpaceAfterDays !== null ? { freeSpaceAfterDays: upload.freeSpaceAfterDays } : {}),
  };
}
