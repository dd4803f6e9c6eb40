/**
 * TEST SUPPORT. A minimal animated GIF89a encoder for grayscale frames: 256-grey palette,
 * "uncompressed" LZW (a clear code every 250 pixels keeps codes 9 bits wide), looping forever.
 * Valid for any decoder; small images only (no real compression).
 */
export function encodeGrayGif(width: number, height: number, frames: ReadonlyArray<Uint8Array>, delayCs = 20): Uint8Array {
  const out: number[] = [];
  const u16 = (v: number) => out.push(v & 0xff, (v >> 8) & 0xff);
  const ascii = (s: string) => {
    for (const c of s) out.push(c.charCodeAt(0));
  };
  ascii('GIF89a');
  u16(width);
  u16(height);
  out.push(0xf7, 0, 0); // global colour table, 8 bits, 256 entries
  for (let i = 0; i < 256; i++) out.push(i, i, i);
  out.push(0x21, 0xff, 11);
  ascii('NETSCAPE2.0');
  out.push(3, 1, 0, 0, 0); // loop forever
  for (const frame of frames) {
    out.push(0x21, 0xf9, 4, 0x04, delayCs & 0xff, (delayCs >> 8) & 0xff, 0, 0);
    out.push(0x2c);
    u16(0);
    u16(0);
    u16(width);
    u16(height);
    out.push(0);
    out.push(8); // LZW minimum code size
    const bytes: number[] = [];
    let acc = 0,
      bits = 0;
    const code = (c: number) => {
      acc |= c << bits;
      bits += 9;
      while (bits >= 8) {
        bytes.push(acc & 0xff);
        acc >>>= 8;
        bits -= 8;
      }
    };
    for (let i = 0; i < frame.length; i++) {
      if (i % 250 === 0) code(256);
      code(frame[i]);
    }
    code(257);
    if (bits > 0) bytes.push(acc & 0xff);
    for (let o = 0; o < bytes.length; o += 255) {
      const block = bytes.slice(o, o + 255);
      out.push(block.length, ...block);
    }
    out.push(0);
  }
  out.push(0x3b);
  return Uint8Array.from(out);
}
