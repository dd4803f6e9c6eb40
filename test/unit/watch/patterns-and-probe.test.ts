import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createProcFdProbe, type ProcFs } from '../../../main/watch/open-writer-probe.ts';
import { createPathFilter } from '../../../main/watch/patterns.ts';

describe('path filter defaults', () => {
  const filter = createPathFilter();
  const cases: Array<[string, string]> = [
    ['movie.tif', 'included'],
    ['s1/deep/STACK.TIFF', 'included'],
    ['s1/a.ome.tif', 'included'],
    ['run.nd2', 'included'],
    ['meta/settings.xml', 'included'],
    ['s1/acquisition.done', 'marker'],
    ['s1/movie.tif.part', 'shadow'],
    ['s1/movie.tif.tmp', 'shadow'],
    ['s1/.movie.tif', 'shadow'],
    ['s1/notes.docx', 'ignored'],
    ['s1/junk.part', 'ignored'],
    ['.git/config.json', 'ignored'],
    ['s1/.cache/thumb.tif', 'ignored'],
    ['Thumbs.db', 'ignored'],
  ];
  for (const [path, kind] of cases) {
    it(`${path} is ${kind}`, () => assert.equal(filter.classify(path), kind));
  }
  it('skips hidden directories but not ordinary ones', () => {
    assert.equal(filter.skipDirectory('.git'), true);
    assert.equal(filter.skipDirectory('s1/.cache'), true);
    assert.equal(filter.skipDirectory('s1/channel2'), false);
  });
  it('honours custom patterns and markers', () => {
    const custom = createPathFilter({ include: ['**/*.raw'], exclude: ['**/skip/**'], markerNames: ['DONE'] });
    assert.equal(custom.classify('a/b.raw'), 'included');
    assert.equal(custom.classify('a/b.tif'), 'ignored');
    assert.equal(custom.classify('skip/b.raw'), 'ignored');
    assert.equal(custom.classify('a/done'), 'marker');
  });
});

describe('/proc open-writer probe', () => {
  // pid 10 writes /data/a.tif (O_WRONLY), pid 11 reads /data/b.tif, pid 12 has /data/b.tif O_RDWR|O_CREAT.
  const tree: Record<string, string[]> = {
    '/proc': ['10', '11', '12', 'self', 'meminfo'],
    '/proc/10/fd': ['0', '3'],
    '/proc/11/fd': ['4'],
    '/proc/12/fd': ['5'],
  };
  const links: Record<string, string> = {
    '/proc/10/fd/0': '/dev/null',
    '/proc/10/fd/3': '/data/a.tif',
    '/proc/11/fd/4': '/data/b.tif',
    '/proc/12/fd/5': '/data/c.tif',
  };
  const infos: Record<string, string> = {
    '/proc/10/fdinfo/3': 'pos:\t0\nflags:\t0100001\n',
    '/proc/11/fdinfo/4': 'pos:\t0\nflags:\t0100000\n',
    '/proc/12/fdinfo/5': 'pos:\t0\nflags:\t0100102\n',
  };
  const procFs: ProcFs = {
    readdir: async (path) => tree[path] ?? Promise.reject(Object.assign(new Error('EACCES'), { code: 'EACCES' })),
    readlink: async (path) => links[path] ?? Promise.reject(new Error('ENOENT')),
    readFile: async (path) => infos[path] ?? Promise.reject(new Error('ENOENT')),
  };
  it('reports files open for writing, not those open for reading', async () => {
    const open = await createProcFdProbe(procFs).openForWriting(['/data/a.tif', '/data/b.tif', '/data/c.tif', '/data/d.tif']);
    assert.deepEqual([...open].sort(), ['/data/a.tif', '/data/c.tif']);
  });
});
