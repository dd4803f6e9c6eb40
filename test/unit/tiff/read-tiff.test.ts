import assert from 'node:assert/strict';
import { mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { FileHandleLike } from '../../../main/tiff/range-source.ts';
import { readTiffFacts, readTiffFromSource } from '../../../main/tiff/read-tiff.ts';
import { TiffError } from '../../../main/tiff/tiff-error.ts';
import { encodeTiff, SlowTiffWriter, tiffLayout, writeSparseTiff, type TiffSpec } from '../../support/synthetic-tiff.ts';

/** An in-memory range source that counts the bytes it hands out. */
function memorySource(bytes: Uint8Array): { size: number; read(position: number, length: number): Promise<Uint8Array>; bytesRead: number } {
  const source = {
    size: bytes.length,
    bytesRead: 0,
    async read(position: number, length: number) {
      const out = bytes.subarray(position, Math.min(bytes.length, position + length));
      source.bytesRead += out.length;
      return out;
    },
  };
  return source;
}

async function expectTiffError(promise: Promise<unknown>, code: TiffError['code']): Promise<TiffError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TiffError, `expected TiffError, got ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
    assert.equal(error.code, code, error.message);
    assert.ok(!error.message.includes('\n'), 'message is one line');
    return error;
  }
  assert.fail(`expected TiffError ${code}`);
}

describe('readTiffFromSource on synthetic files', () => {
  const variants: Array<Pick<TiffSpec, 'littleEndian' | 'bigTiff' | 'bitsPerSample' | 'sampleFormat'> & { type: string }> = [
    { littleEndian: true, bigTiff: false, bitsPerSample: 16, sampleFormat: 1, type: 'uint16' },
    { littleEndian: false, bigTiff: false, bitsPerSample: 16, sampleFormat: 2, type: 'int16' },
    { littleEndian: true, bigTiff: true, bitsPerSample: 32, sampleFormat: 3, type: 'float32' },
    { littleEndian: false, bigTiff: true, bitsPerSample: 8, sampleFormat: 1, type: 'uint8' },
    { littleEndian: false, bigTiff: true, bitsPerSample: 64, sampleFormat: 3, type: 'float64' },
  ];
  for (const variant of variants) {
    const label = `${variant.littleEndian ? 'little' : 'big'}-endian ${variant.bigTiff ? 'BigTIFF' : 'TIFF'} ${variant.type}`;
    it(`reports shape, pages and sample type of a ${label}`, async () => {
      const bytes = encodeTiff({ width: 33, height: 17, pages: 7, samplesPerPixel: 1, ...variant });
      const facts = await readTiffFromSource(memorySource(bytes));
      assert.equal(facts.byteOrder, variant.littleEndian ? 'little' : 'big');
      assert.equal(facts.bigTiff, variant.bigTiff);
      assert.equal(facts.width, 33);
      assert.equal(facts.height, 17);
      assert.equal(facts.pages, 7);
      assert.equal(facts.pagesExact, true);
      assert.equal(facts.sampleType, variant.type);
      assert.equal(facts.bitsPerSample, variant.bitsPerSample);
      assert.equal(facts.layout, 'strips');
      assert.equal(facts.compressionName, 'none');
      assert.deepEqual(facts.notes, []);
    });
  }

  it('parses ImageJ hyperstack descriptions and flags a page-count disagreement', async () => {
    const description = 'ImageJ=1.54f\nimages=12\nchannels=2\nslices=3\nframes=2\nhyperstack=true\nfinterval=0.5';
    const facts = await readTiffFromSource(memorySource(encodeTiff({ width: 4, height: 4, pages: 12, description })));
    assert.deepEqual(facts.imagej, { version: '1.54f', images: 12, channels: 2, slices: 3, frames: 2, hyperstack: true, finterval: 0.5 });
    assert.deepEqual(facts.notes, []);
    const short = await readTiffFromSource(memorySource(encodeTiff({ width: 4, height: 4, pages: 5, description })));
    assert.equal(short.pages, 5);
    assert.match(short.notes.join('\n'), /claims 12 images but the file holds 5 pages/);
  });

  it('parses ScanImage 4 and 2016+ key/value metadata from the description and Software tags', async () => {
    const si4 = ['scanimage.SI4.channelsSave = [1;2]', 'scanimage.SI4.stackNumSlices = 5', 'scanimage.SI4.scanFrameRate = 15.2', 'scanimage.SI4.versionMajor = 4.2'].join('\n');
    const facts4 = await readTiffFromSource(memorySource(encodeTiff({ width: 4, height: 4, pages: 2, description: si4 })));
    assert.deepEqual(
      { version: facts4.scanimage?.version, generation: facts4.scanimage?.generation, channels: facts4.scanimage?.channelsSaved, slices: facts4.scanimage?.slices, rate: facts4.scanimage?.frameRate },
      { version: '4.2', generation: 4, channels: [1, 2], slices: 5, rate: 15.2 },
    );
    const si2016 = ["SI.VERSION_MAJOR = '2016b'", "SI.VERSION_MINOR = '1'", 'SI.hChannels.channelSave = 3', 'SI.hStackManager.zs = [0 5 10]', 'SI.hStackManager.numSlices = 3', 'SI.hRoiManager.scanFrameRate = 30.0'].join('\n');
    const facts5 = await readTiffFromSource(memorySource(encodeTiff({ width: 4, height: 4, pages: 3, software: si2016, description: 'frameNumbers = 1' })));
    assert.equal(facts5.scanimage?.generation, 5);
    assert.equal(facts5.scanimage?.version, '2016b.1');
    assert.deepEqual(facts5.scanimage?.channelsSaved, [3]);
    assert.deepEqual(facts5.scanimage?.zs, [0, 5, 10]);
    assert.equal(facts5.scanimage?.slices, 3);
    assert.equal(facts5.scanimage?.frameRate, 30);
  });

  it('parses OME-XML dimensions and multi-file references', async () => {
    const xml = '<?xml version="1.0"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06" UUID="urn:uuid:abc">'
      + '<Image ID="Image:0" Name="a &amp; b"><Pixels DimensionOrder="XYZCT" Type="uint16" SizeX="4" SizeY="4" SizeZ="3" SizeC="2" SizeT="1">'
      + '<TiffData IFD="0" PlaneCount="3"><UUID FileName="part-1.ome.tif">urn:uuid:abc</UUID></TiffData>'
      + '<TiffData IFD="0" PlaneCount="3"><UUID FileName="part-2.ome.tif">urn:uuid:def</UUID></TiffData></Pixels></Image></OME>';
    const facts = await readTiffFromSource(memorySource(encodeTiff({ width: 4, height: 4, pages: 3, description: xml })));
    assert.deepEqual(facts.ome, {
      uuid: 'urn:uuid:abc',
      images: [{ name: 'a & b', sizeX: 4, sizeY: 4, sizeZ: 3, sizeC: 2, sizeT: 1, dimensionOrder: 'XYZCT', type: 'uint16' }],
      files: ['part-1.ome.tif', 'part-2.ome.tif'],
    });
  });

  it('stops at a cyclic IFD chain and at a page cap, saying so', async () => {
    const spec: TiffSpec = { width: 8, height: 8, pages: 4 };
    const bytes = encodeTiff(spec);
    const { chunks } = tiffLayout(spec);
    const firstIfd = chunks[1].offset;
    const lastIfd = chunks[4];
    // The last IFD's next pointer is its final 4 bytes (no out-of-line values in this layout).
    const entries = new DataView(bytes.buffer, bytes.byteOffset).getUint16(lastIfd.offset, true);
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(lastIfd.offset + 2 + entries * 12, firstIfd, true);
    const cyclic = await readTiffFromSource(memorySource(bytes));
    assert.equal(cyclic.pages, 4);
    assert.equal(cyclic.pagesExact, false);
    assert.match(cyclic.notes[0], /loops back/);

    const capped = await readTiffFromSource(memorySource(encodeTiff({ width: 8, height: 8, pages: 50 })), { maxPages: 10 });
    assert.equal(capped.pages, 10);
    assert.equal(capped.pagesExact, false);
    assert.match(capped.notes[0], /longer than 10 pages/);
  });

  it('counts only the pages present when the file is truncated mid-chain', async () => {
    const bytes = encodeTiff({ width: 16, height: 16, pages: 10 });
    const cut = bytes.subarray(0, Math.floor(bytes.length * 0.55));
    const facts = await readTiffFromSource(memorySource(cut));
    assert.ok(facts.pages >= 1 && facts.pages < 10, `pages ${facts.pages}`);
    assert.equal(facts.pagesExact, false);
    assert.match(facts.notes[0], /outside the|unreadable/);
  });
});

describe('corrupt and unfinished headers', () => {
  const good = encodeTiff({ width: 8, height: 8, pages: 2, description: 'x'.repeat(100) });
  const cases: Array<{ name: string; bytes: Uint8Array; code: TiffError['code']; message: RegExp }> = [
    { name: 'empty file', bytes: new Uint8Array(0), code: 'truncated', message: /shorter than a TIFF header/ },
    { name: 'text file', bytes: new TextEncoder().encode('hello world, not an image'), code: 'not-tiff', message: /byte-order/ },
    { name: 'wrong version', bytes: Uint8Array.from([0x49, 0x49, 41, 0, 8, 0, 0, 0, 0, 0]), code: 'not-tiff', message: /version 41/ },
    { name: 'BigTIFF header cut short', bytes: Uint8Array.from([0x49, 0x49, 43, 0, 8, 0, 0, 0, 16, 0]), code: 'truncated', message: /BigTIFF header/ },
    { name: 'first IFD offset 0', bytes: Uint8Array.from([0x4d, 0x4d, 0, 42, 0, 0, 0, 0]), code: 'incomplete', message: /still being written/ },
    { name: 'first IFD beyond end', bytes: good.subarray(0, 40), code: 'truncated', message: /beyond the end/ },
    { name: 'first IFD inside header', bytes: Uint8Array.from([0x49, 0x49, 42, 0, 4, 0, 0, 0, 0, 0]), code: 'corrupt', message: /overlaps the header/ },
    { name: 'IFD with zero entries', bytes: Uint8Array.from([0x49, 0x49, 42, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]), code: 'corrupt', message: /claims 0 entries/ },
  ];
  for (const { name, bytes, code, message } of cases) {
    it(`${name} → TiffError ${code}`, async () => {
      const error = await expectTiffError(readTiffFromSource(memorySource(bytes)), code);
      assert.match(error.message, message);
    });
  }

  it('a description pointing past the end of the file is reported as truncated', async () => {
    const spec: TiffSpec = { width: 8, height: 8, pages: 1, description: 'y'.repeat(300) };
    const bytes = Buffer.from(encodeTiff(spec));
    const { chunks } = tiffLayout(spec);
    const ifd = chunks[1].offset;
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const count = view.getUint16(ifd, true);
    for (let i = 0; i < count; i++) {
      const at = ifd + 2 + i * 12;
      if (view.getUint16(at, true) === 270) view.setUint32(at + 8, bytes.length + 1000, true);
    }
    const error = await expectTiffError(readTiffFromSource(memorySource(bytes)), 'truncated');
    assert.match(error.message, /tag 270/);
  });

  it('names the file in errors from readTiffFacts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tiff-corrupt-'));
    try {
      const path = join(dir, 'broken.tif');
      await writeFile(path, 'II*\0garbage');
      const error = await expectTiffError(readTiffFacts(path), 'truncated');
      assert.ok(error.message.startsWith(path), error.message);
      await expectTiffError(readTiffFacts(join(dir, 'missing.tif')), 'io');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('ranged reads on large files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tiff-sparse-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a sparse 6 GiB, 300-page BigTIFF touching only header and IFD bytes', async () => {
    const path = join(dir, 'huge.tif');
    const pageBytes = 22 * 1024 * 1024;
    const spec: TiffSpec = { width: 4096, height: 2560, bitsPerSample: 16, pages: 300, bigTiff: true, stripBytes: pageBytes, description: 'ImageJ=1.54f\nimages=300\nframes=300' };
    const size = await writeSparseTiff(path, spec);
    assert.ok(size > 6 * 1024 ** 3, `file is ${size} bytes`);
    assert.equal((await stat(path)).size, size);

    let bytesRead = 0;
    let reads = 0;
    const counting = async (p: string): Promise<FileHandleLike> => {
      const handle = await open(p, 'r');
      return {
        async read(buffer, offset, length, position) {
          const result = await handle.read(buffer, offset, length, position);
          bytesRead += result.bytesRead;
          reads++;
          return result;
        },
        stat: () => handle.stat(),
        close: () => handle.close(),
      };
    };
    const facts = await readTiffFacts(path, { openFile: counting });
    assert.equal(facts.pages, 300);
    assert.equal(facts.bigTiff, true);
    assert.equal(facts.width, 4096);
    assert.equal(facts.sampleType, 'uint16');
    assert.equal(facts.imagej?.images, 300);
    // 300 IFDs with 8 KiB read windows: far below one page of pixels, let alone the file.
    assert.ok(bytesRead < 300 * 8192 + 65536, `read ${bytesRead} bytes in ${reads} reads`);
    assert.ok(reads <= 2 * 300 + 10, `${reads} reads`);
  });

  it('sees an unfinished slow-writer file as incomplete, then the final file after close', async () => {
    const path = join(dir, 'slow.tif');
    const writer = new SlowTiffWriter(path, { width: 32, height: 32, bitsPerSample: 16 });
    await writer.open();
    for (let i = 0; i < 5; i++) await writer.writePage();
    await expectTiffError(readTiffFacts(path), 'incomplete');
    await writer.close();
    const facts = await readTiffFacts(path);
    assert.equal(facts.pages, 5);
    assert.equal(facts.imagej?.images, 5);
    assert.equal((await stat(path)).size, writer.size);
  });
});
