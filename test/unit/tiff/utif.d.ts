/** Minimal typing for utif, used only as an independent cross-check in tests. */
declare module 'utif' {
  interface UtifIfd {
    [tag: `t${number}`]: number[] | string[] | undefined;
  }
  const UTIF: {
    decode(buffer: ArrayBuffer | ArrayBufferLike): UtifIfd[];
  };
  export default UTIF;
}
