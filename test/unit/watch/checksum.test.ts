import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { it } from 'node:test';

import { Crc32c, crc32cOfFile, crc32cOfStream } from '../../../main/session/checksum.ts';

it('CRC32C matches the standard check value and S3 encoding, whole, chunked, ranged', async () => {
  // CRC-32C("123456789") = 0xE3069283 (RFC 3720 check value).
  assert.equal(new Crc32c().update(Buffer.from('123456789')).value(), 0xe3069283);
  assert.equal(new Crc32c().update(Buffer.from('123456789')).digest(), Buffer.from([0xe3, 0x06, 0x92, 0x83]).toString('base64'));
  const chunks = ['1234', '', '56789'].map((s) => Buffer.from(s));
  assert.equal((await crc32cOfStream(Readable.from(chunks))).crc32c, '4waSgw==');
  const dir = await mkdtemp(join(tmpdir(), 'crc-'));
  try {
    const path = join(dir, 'f.bin');
    await writeFile(path, 'xx123456789yy');
    assert.deepEqual(await crc32cOfFile(path, { start: 2, end: 11, bufferBytes: 4 }), { crc32c: '4waSgw==', bytes: 9 });
    assert.equal((await crc32cOfFile(path)).bytes, 13);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
