/**
 * What the manifest records about a TIFF: shape, sample type and layout from the
 * first IFD, the page count from walking the IFD chain, and acquisition metadata
 * (ImageJ, ScanImage, OME-XML) where the file carries it. JSON-serialisable.
 */

export type SampleFormat = 'uint' | 'int' | 'float' | 'complex-int' | 'complex-float' | 'unknown';

export interface ImageJFacts {
  version: string;
  /** Number of images ImageJ says the file holds; may disagree with `pages`. */
  images?: number;
  channels?: number;
  slices?: number;
  frames?: number;
  hyperstack?: boolean;
  /** Frame interval in seconds, when recorded. */
  finterval?: number;
  unit?: string;
  spacing?: number;
}

export interface ScanImageFacts {
  /** e.g. "3.8", "4.1", "5.7", "2016b". */
  version: string;
  /** 3, 4, or 5 for 5.x and every later release (2015+, 2016+, 20xx). */
  generation: 3 | 4 | 5;
  /** 1-based channel numbers that were saved. */
  channelsSaved?: number[];
  /** z positions per volume. */
  slices?: number;
  /** z positions listed in the metadata (SI 5+ `hStackManager.zs`). */
  zs?: number[];
  volumes?: number;
  framesPerSlice?: number;
  /** Frames per second. */
  frameRate?: number;
  /** Number of imaging ROIs in the ROI group JSON (SI 5+ BigTIFF header). */
  roiCount?: number;
  /** The parsed ROI group JSON, when present and reasonably small. */
  roiGroups?: unknown;
}

export interface OmeImageFacts {
  name?: string;
  sizeX?: number;
  sizeY?: number;
  sizeZ?: number;
  sizeC?: number;
  sizeT?: number;
  dimensionOrder?: string;
  type?: string;
}

export interface OmeFacts {
  uuid?: string;
  /** One entry per OME `<Image>` (series). */
  images: OmeImageFacts[];
  /** Distinct file names referenced by `TiffData/UUID@FileName` (multi-file datasets). */
  files: string[];
  /** Set when this file holds pixels only and its metadata lives in another file. */
  binaryOnlyMetadataFile?: string;
}

export interface TiffFacts {
  byteOrder: 'little' | 'big';
  bigTiff: boolean;
  width: number;
  height: number;
  /** IFDs found by walking the chain (capped; see `pagesExact`). */
  pages: number;
  /** False when the walk stopped early (cap, cycle, or a broken link); see `notes`. */
  pagesExact: boolean;
  samplesPerPixel: number;
  bitsPerSample: number;
  sampleFormat: SampleFormat;
  /** Convenience: e.g. "uint16", "int16", "float32". */
  sampleType: string;
  compression: number;
  compressionName: string;
  photometric?: number;
  planarConfig: 'chunky' | 'planar';
  layout: 'strips' | 'tiles';
  tileWidth?: number;
  tileHeight?: number;
  imagej?: ImageJFacts;
  scanimage?: ScanImageFacts;
  ome?: OmeFacts;
  /** Oddities worth a human's attention, one line each. */
  notes: string[];
}
