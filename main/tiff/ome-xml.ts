/**
 * The few OME-XML facts the manifest needs, extracted with attribute scans rather
 * than a full XML parser: OME-XML written by Bio-Formats, Micro-Manager and
 * tifffile is regular enough, and a malformed block yields fewer facts, never a throw.
 */
import type { OmeFacts, OmeImageFacts } from './tiff-facts.ts';

export function isOmeXml(description: string): boolean {
  const head = description.slice(0, 4096);
  return /<OME[\s>]/.test(head) || (head.startsWith('<?xml') && description.includes('<OME'));
}

export function parseOmeXml(xml: string): OmeFacts | undefined {
  const root = /<OME[\s>][^>]*/.exec(xml);
  if (!root) return undefined;
  const facts: OmeFacts = { images: [], files: [] };
  const uuid = attribute(root[0], 'UUID');
  if (uuid !== undefined) facts.uuid = uuid;

  const binaryOnly = /<BinaryOnly\b[^>]*/.exec(xml);
  if (binaryOnly) {
    const file = attribute(binaryOnly[0], 'MetadataFile');
    if (file !== undefined) facts.binaryOnlyMetadataFile = file;
  }

  const imageTags = [...xml.matchAll(/<Image\b[^>]*>/g)];
  for (let i = 0; i < imageTags.length; i++) {
    const tag = imageTags[i];
    const bodyEnd = i + 1 < imageTags.length ? imageTags[i + 1].index : xml.length;
    const body = xml.slice(tag.index, bodyEnd);
    const image: OmeImageFacts = {};
    const name = attribute(tag[0], 'Name');
    if (name !== undefined) image.name = name;
    const pixels = /<Pixels\b[^>]*/.exec(body);
    if (pixels) {
      for (const key of ['SizeX', 'SizeY', 'SizeZ', 'SizeC', 'SizeT'] as const) {
        const value = Number(attribute(pixels[0], key));
        if (Number.isSafeInteger(value)) image[lowerFirst(key)] = value;
      }
      const order = attribute(pixels[0], 'DimensionOrder');
      if (order !== undefined) image.dimensionOrder = order;
      const type = attribute(pixels[0], 'Type') ?? attribute(pixels[0], 'PixelType');
      if (type !== undefined) image.type = type;
    }
    facts.images.push(image);
  }

  const files = new Set<string>();
  for (const match of xml.matchAll(/<UUID\b[^>]*/g)) {
    const file = attribute(match[0], 'FileName');
    if (file !== undefined) files.add(file);
  }
  facts.files = [...files];
  return facts;
}

function lowerFirst<K extends 'SizeX' | 'SizeY' | 'SizeZ' | 'SizeC' | 'SizeT'>(key: K): 'sizeX' | 'sizeY' | 'sizeZ' | 'sizeC' | 'sizeT' {
  return `size${key.slice(4)}` as 'sizeX' | 'sizeY' | 'sizeZ' | 'sizeC' | 'sizeT';
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(tag);
  if (!match) return undefined;
  return decodeEntities(match[1] ?? match[2]);
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|quot|apos|lt|gt|amp);/gi, (_, entity: string) => {
    switch (entity.toLowerCase()) {
      case 'quot': return '"';
      case 'apos': return "'";
      case 'lt': return '<';
      case 'gt': return '>';
      case 'amp': return '&';
      default: {
        const code = entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
        return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : '';
      }
    }
  });
}
