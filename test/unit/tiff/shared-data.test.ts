/**
 * The TIFF reader on every TIFF in ../shared/data (sources credited in that folder's README).
 * Facts are checked three ways: facts stated by the data README, facts encoded in the zoo's
 * file names (dtype, bigtiff, endianness, compression, tiling), and utif as an independent
 * reader for classic TIFFs (utif cannot read BigTIFF).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import UTIF from 'utif';

import { readTiffFacts } from '../../../main/tiff/read-tiff.ts';
import { requires } from '../../support/requirements.ts';
import { sharedDataDir, sharedDataMissing } from '../../support/shared-data.ts';

const DATA = sharedDataDir();
const skip = requires(sharedDataMissing());

function tiffs(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tiffs(path));
    else if (/\.tiff?$/i.test(entry.name)) out.push(path);
  }
  return out.sort();
}

const at = (path: string) => join(DATA, path);

describe('TIFF facts of every file in shared/data', { skip }, () => {
  const files = skip ? [] : tiffs(DATA);

  it('finds the data set', () => {
    assert.ok(files.length > 150, `${files.length} TIFFs`);
  });

  for (const path of files) {
    const name = relative(DATA, path);
    it(name, async () => {
      const facts = await readTiffFacts(path);
      assert.ok(facts.width > 0 && facts.height > 0 && facts.pages > 0);

      const dtype = /_(u?int(?:8|16|32|64)|float(?:16|32|64))\.tif$/.exec(name);
      if (dtype) assert.equal(facts.sampleType, dtype[1]);
      if (/bigtiff/i.test(name)) assert.equal(facts.bigTiff, true);
      if (/Motorola|bigendian/i.test(name)) assert.equal(facts.byteOrder, 'big');
      if (/tiled/.test(name)) assert.equal(facts.layout, 'tiles');
      if (/_lzw|-lzw/.test(name)) assert.equal(facts.compressionName, 'lzw');
      if (/deflate/.test(name)) assert.equal(facts.compressionName, 'deflate');
      if (/packbits|original-pages/.test(name)) assert.equal(facts.compressionName, 'packbits');

      if (!facts.bigTiff) {
        const bytes = readFileSync(path);
        const ifds = UTIF.decode(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)) as Array<Record<string, number[] | undefined>>;
        assert.equal(facts.pages, ifds.length, 'page count vs utif');
        assert.equal(facts.width, ifds[0].t256?.[0], 'width vs utif');
        assert.equal(facts.height, ifds[0].t257?.[0], 'height vs utif');
        assert.equal(facts.bitsPerSample, ifds[0].t258?.[0] ?? 1, 'bits vs utif');
        assert.equal(facts.samplesPerPixel, ifds[0].t277?.[0] ?? 1, 'samples vs utif');
      }
    });
  }

  it('BigTIFF in both byte orders', async () => {
    const little = await readTiffFacts(at('tiff-zoo/image-tiff/BigTIFF.tif'));
    const big = await readTiffFacts(at('tiff-zoo/image-tiff/BigTIFFMotorola.tif'));
    for (const facts of [little, big]) {
      assert.equal(facts.bigTiff, true);
      assert.deepEqual([facts.width, facts.height, facts.samplesPerPixel, facts.sampleType, facts.pages], [64, 64, 3, 'uint8', 1]);
    }
    assert.equal(little.byteOrder, 'little');
    assert.equal(big.byteOrder, 'big');
  });

  it('neurofinder-crop: 300 pages of 256x256 uint16', async () => {
    const facts = await readTiffFacts(at('neurofinder-crop/movie.tif'));
    assert.deepEqual([facts.pages, facts.width, facts.height, facts.sampleType], [300, 256, 256, 'uint16']);
    assert.equal(facts.imagej?.frames, 300);
  });

  it('thunder-zebrafish: 480-page uint8 ImageJ hyperstack of 240 frames x 2 slices', async () => {
    const facts = await readTiffFacts(at('thunder-zebrafish/movie.tif'));
    assert.deepEqual([facts.pages, facts.width, facts.height, facts.sampleType], [480, 87, 76, 'uint8']);
    assert.deepEqual(facts.imagej && [facts.imagej.images, facts.imagej.slices, facts.imagej.frames, facts.imagej.hyperstack], [480, 2, 240, true]);
  });

  it('thunder-mouse is int16 and sima-ca1 is 20 x 128 x 256', async () => {
    const mouse = await readTiffFacts(at('thunder-mouse/movie.tif'));
    assert.deepEqual([mouse.pages, mouse.width, mouse.height, mouse.sampleType], [500, 64, 64, 'int16']);
    const sima = await readTiffFacts(at('sima-ca1/movie.tif'));
    assert.deepEqual([sima.pages, sima.width, sima.height, sima.sampleType], [20, 256, 128, 'uint16']);
  });

  it('sima big-endian file: ImageJ claims 3500 pages, the chain holds 1', async () => {
    const facts = await readTiffFacts(at('tiff-zoo/sima-bigendian/claims-3500-pages-has-1.tif'));
    assert.equal(facts.byteOrder, 'big');
    assert.equal(facts.pages, 1);
    assert.equal(facts.imagej?.images, 3500);
    assert.match(facts.notes.join('\n'), /claims 3500 images but the file holds 1 page/);
  });

  it('ScanImage 3.8: 30 frames of 64x64 uint16, channel 2 saved', async () => {
    const facts = await readTiffFacts(at('scanimage/scanimage3.8_drosophila_30f.tif'));
    assert.deepEqual([facts.pages, facts.width, facts.height, facts.sampleType], [30, 64, 64, 'uint16']);
    assert.equal(facts.scanimage?.generation, 3);
    assert.equal(facts.scanimage?.version, '3.8');
    assert.deepEqual(facts.scanimage?.channelsSaved, [2]);
    assert.equal(facts.scanimage?.framesPerSlice, 30);
    assert.ok(Math.abs((facts.scanimage?.frameRate ?? 0) - 8.138) < 0.001);
  });

  it('ScanImage 4: int16, 2 pages, version 4.x', async () => {
    const facts = await readTiffFacts(at('scanimage/scanimage4_int16.tif'));
    assert.deepEqual([facts.pages, facts.sampleType], [2, 'int16']);
    assert.equal(facts.scanimage?.generation, 4);
    assert.match(facts.scanimage?.version ?? '', /^4\./);
    assert.deepEqual(facts.scanimage?.channelsSaved, [1]);
    assert.equal(facts.scanimage?.slices, 4);
  });

  it('ScanImage 5.7 BigTIFF: 2 interleaved channels, ROI JSON from the header block', async () => {
    const facts = await readTiffFacts(at('scanimage/scanimage5.7_bigtiff_2ch.tif'));
    assert.equal(facts.bigTiff, true);
    assert.equal(facts.sampleType, 'int16');
    assert.equal(facts.pages % 2, 0);
    assert.equal(facts.scanimage?.generation, 5);
    assert.equal(facts.scanimage?.version, '5.7');
    assert.deepEqual(facts.scanimage?.channelsSaved, [1, 2]);
    assert.equal(facts.scanimage?.slices, 1);
    assert.ok(Math.abs((facts.scanimage?.frameRate ?? 0) - 198.247) < 0.001);
    assert.equal(facts.scanimage?.roiCount, 1);
    assert.equal((facts.scanimage?.roiGroups as { imagingRoiGroup?: { name?: string } })?.imagingRoiGroup?.name, 'Default Imaging ROI Group');
  });

  it('OME multi-file: the master lists all five files, the others point back to it', async () => {
    const master = await readTiffFacts(at('tiff-zoo/ome/multiples__master__multifile-Z1.ome.tiff'));
    assert.deepEqual(master.ome?.files, [1, 2, 3, 4, 5].map((z) => `multifile-Z${z}.ome.tiff`));
    assert.deepEqual(master.ome?.images[0], { name: 'multifile', sizeX: 18, sizeY: 24, sizeZ: 5, sizeC: 1, sizeT: 1, dimensionOrder: 'XYCTZ', type: 'uint8' });
    for (const z of [2, 3, 4, 5]) {
      const other = await readTiffFacts(at(`tiff-zoo/ome/multiples__master__multifile-Z${z}.ome.tiff`));
      assert.equal(other.ome?.binaryOnlyMetadataFile, 'multifile-Z1.ome.tiff');
    }
    const companion = await readTiffFacts(at('tiff-zoo/ome/multiples__companion__multifile-Z3.ome.tiff'));
    assert.equal(companion.ome?.binaryOnlyMetadataFile, 'multifile.companion.ome');
  });

  it('OME single files: page count equals Z x C x T', async () => {
    for (const name of ['4D-series', 'multi-channel-time-series', 'multi-channel-z-series', 'multi-channel', 'single-channel', 'time-series', 'z-series']) {
      const facts = await readTiffFacts(at(`tiff-zoo/ome/singles__${name}.ome.tif`));
      const image = facts.ome?.images[0];
      assert.ok(image, name);
      assert.equal(facts.pages, (image.sizeZ ?? 1) * (image.sizeC ?? 1) * (image.sizeT ?? 1), name);
      assert.equal(facts.width, image.sizeX);
      assert.equal(facts.height, image.sizeY);
      assert.equal(facts.sampleType, image.type);
    }
    const mm = await readTiffFacts(at('tiff-zoo/ome/singles__181003_multi_pos_time_course_1_MMStack.ome.tif'));
    assert.equal(mm.ome?.images.length, 2);
    assert.equal(mm.pages, mm.ome?.images.reduce((sum, image) => sum + (image.sizeT ?? 1) * (image.sizeZ ?? 1) * (image.sizeC ?? 1), 0));
  });
});
