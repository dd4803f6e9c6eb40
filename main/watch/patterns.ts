/**
 * Which paths the watcher cares about. All patterns are picomatch globs matched,
 * case-insensitively, against the path relative to its watched root with `/` separators.
 *
 * A file is one of:
 * - `marker`:   its base name is a marker name (closes its folder's files at once)
 * - `included`: matches an include pattern and no exclude pattern
 * - `shadow`:   an excluded temporary name whose final name would be included
 *               (`x.tif.part`, `x.tif.tmp`, `.x.tif`); tracked silently so a rename to
 *               the final name is recognised and completes the file immediately
 * - `ignored`:  anything else
 */
import picomatch from 'picomatch';

export const DEFAULT_INCLUDE: readonly string[] = [
  // Image formats written by acquisition software.
  '**/*.{tif,tiff,btf,tf2,tf8,nd2,czi,lif,lsm,oib,oif,oir,ims,h5,hdf5,nwb,sbx,raw,ids,ics,dcimg,cxd,vsi}',
  // Sidecar metadata that makes an acquisition interpretable.
  '**/*.{json,xml,csv,txt,yaml,yml,ini,env,cfg,mat,companion.ome}',
];

export const DEFAULT_EXCLUDE: readonly string[] = [
  '**/*.part',
  '**/*.tmp',
  '**/*.partial',
  '**/*.crdownload',
  '**/~$*',
  '**/.*',
  '**/.*/**',
  '**/Thumbs.db',
  '**/desktop.ini',
  '**/$RECYCLE.BIN/**',
  '**/System Volume Information/**',
];

export const DEFAULT_MARKER_NAMES: readonly string[] = ['acquisition.done'];

/** Suffixes writers append while a file is being written and remove by renaming. */
export const TEMP_SUFFIXES: readonly string[] = ['.part', '.tmp', '.partial', '.crdownload', '.download', '.inprogress'];

export type PathKind = 'marker' | 'included' | 'shadow' | 'ignored';

export interface PathFilterOptions {
  include?: readonly string[];
  exclude?: readonly string[];
  markerNames?: readonly string[];
}

export interface PathFilter {
  /** Kind of a file at `relativePath` (posix, relative to its root). */
  classify(relativePath: string): PathKind;
  /** True when no file below the directory `relativePath` can matter, so a scan may skip it. */
  skipDirectory(relativePath: string): boolean;
  /** The final name a shadow file will be renamed to (same folder), or undefined. */
  finalNameOf(relativePath: string): string | undefined;
}

export function createPathFilter(options: PathFilterOptions = {}): PathFilter {
  const matchOptions = { dot: true, nocase: true };
  const include = picomatch([...(options.include ?? DEFAULT_INCLUDE)], matchOptions);
  const excludePatterns = [...(options.exclude ?? DEFAULT_EXCLUDE)];
  const exclude = excludePatterns.length > 0 ? picomatch(excludePatterns, matchOptions) : () => false;
  const markers = new Set((options.markerNames ?? DEFAULT_MARKER_NAMES).map((name) => name.toLowerCase()));

  const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
  const isIncluded = (path: string): boolean => include(path) && !exclude(path);

  const finalNameOf = (path: string): string | undefined => {
    const slash = path.lastIndexOf('/');
    const dir = path.slice(0, slash + 1);
    const name = path.slice(slash + 1);
    const lower = name.toLowerCase();
    for (const suffix of TEMP_SUFFIXES) {
      if (lower.endsWith(suffix) && name.length > suffix.length) return dir + name.slice(0, -suffix.length);
    }
    if (name.startsWith('.') && name.length > 1) return dir + name.slice(1);
    return undefined;
  };

  return {
    classify(relativePath) {
      if (markers.has(baseName(relativePath).toLowerCase())) return 'marker';
      if (isIncluded(relativePath)) return 'included';
      const final = finalNameOf(relativePath);
      if (final !== undefined && isIncluded(final)) return 'shadow';
      return 'ignored';
    },
    skipDirectory(relativePath) {
      if (relativePath === '' || relativePath === '.') return false;
      // A directory is skipped when every file inside it would be excluded.
      return exclude(`${relativePath}/x`) && exclude(`${relativePath}/x.tif`);
    },
    finalNameOf,
  };
}
