/** The /proc probe's remembered writer locations and its local-file-system answer, over a fake /proc. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createProcFdProbe, parseMountInfo, type ProcFs } from '../../../main/watch/open-writer-probe.ts';

function fakeProc() {
  const tree: Record<string, string[]> = { '/proc': ['10', '11', 'self'], '/proc/10/fd': ['3'], '/proc/11/fd': ['4'] };
  const links: Record<string, string> = { '/proc/10/fd/3': '/data/a.tif', '/proc/11/fd/4': '/data/b.tif' };
  const files: Record<string, string> = {
    '/proc/10/fdinfo/3': 'pos:\t0\nflags:\t0100001\n',
    '/proc/11/fdinfo/4': 'pos:\t0\nflags:\t0100002\n',
    '/proc/self/mountinfo': [
      '22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw',
      '40 22 0:50 / /mnt/share rw,relatime shared:20 - cifs //nas/acq rw,vers=3.1.1',
      '41 40 259:3 / /mnt/share/local\\040disk rw,relatime - xfs /dev/sdb1 rw',
      '42 22 0:51 / /mnt/sshfs rw - fuse.sshfs user@host:/ rw',
      '43 22 0:52 / /data/nfs rw - nfs4 nas:/export rw',
    ].join('\n'),
  };
  const fullScans = { count: 0 };
  const procFs: ProcFs = {
    readdir: async (path) => {
      if (path === '/proc') fullScans.count++;
      return tree[path] ?? Promise.reject(Object.assign(new Error('ENOENT'), { code: 'ENOENT' }));
    },
    readlink: async (path) => links[path] ?? Promise.reject(new Error('ENOENT')),
    readFile: async (path) => files[path] ?? Promise.reject(new Error('ENOENT')),
  };
  return { tree, links, files, fullScans, procFs };
}

describe('/proc open-writer probe: remembered writers', () => {
  it('finds a writer it found before without a full scan, and answers "no writer" only from a full scan', async () => {
    const proc = fakeProc();
    const probe = createProcFdProbe(proc.procFs);
    assert.deepEqual([...(await probe.openForWriting(['/data/a.tif']))], ['/data/a.tif']);
    assert.equal(proc.fullScans.count, 1);
    assert.deepEqual([...(await probe.openForWriting(['/data/a.tif']))], ['/data/a.tif']);
    assert.equal(proc.fullScans.count, 1, 'the remembered descriptor answered');
    // the writer closes; descriptor 3 of pid 10 now names another file
    proc.links['/proc/10/fd/3'] = '/data/other.log';
    assert.deepEqual([...(await probe.openForWriting(['/data/a.tif']))], []);
    assert.equal(proc.fullScans.count, 2);
  });

  it('finds a writer that moved to another process or descriptor', async () => {
    const proc = fakeProc();
    const probe = createProcFdProbe(proc.procFs);
    await probe.openForWriting(['/data/a.tif']);
    delete proc.links['/proc/10/fd/3'];
    proc.tree['/proc/11/fd'] = ['4', '7'];
    proc.links['/proc/11/fd/7'] = '/data/a.tif';
    proc.files['/proc/11/fdinfo/7'] = 'flags:\t0102001\n';
    assert.deepEqual([...(await probe.openForWriting(['/data/a.tif', '/data/b.tif']))].sort(), ['/data/a.tif', '/data/b.tif']);
  });

  it('does not count a remembered descriptor reopened read-only', async () => {
    const proc = fakeProc();
    const probe = createProcFdProbe(proc.procFs);
    await probe.openForWriting(['/data/a.tif']);
    proc.files['/proc/10/fdinfo/3'] = 'flags:\t0100000\n';
    assert.deepEqual([...(await probe.openForWriting(['/data/a.tif']))], []);
  });
});

describe('/proc open-writer probe: failures are not "no writer"', () => {
  const denied = () => Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }));

  it('fails when /proc cannot be listed', async () => {
    const proc = fakeProc();
    proc.procFs.readdir = (path) => (path === '/proc' ? denied() : Promise.resolve(proc.tree[path] ?? []));
    await assert.rejects(createProcFdProbe(proc.procFs).openForWriting(['/data/a.tif']), /cannot list \/proc \(EACCES\)/);
  });

  it('fails when /proc is not a proc file system (nothing mounted there lists no process)', async () => {
    const proc = fakeProc();
    proc.tree['/proc'] = [];
    await assert.rejects(createProcFdProbe(proc.procFs).openForWriting(['/data/a.tif']), /not a proc file system/);
  });

  it('fails when the access mode of a descriptor naming the file cannot be read, also at a remembered location', async () => {
    const proc = fakeProc();
    const probe = createProcFdProbe(proc.procFs);
    await probe.openForWriting(['/data/a.tif']);
    const readFile = proc.procFs.readFile;
    proc.procFs.readFile = (path) => (path === '/proc/10/fdinfo/3' ? denied() : readFile(path));
    await assert.rejects(probe.openForWriting(['/data/a.tif']), /cannot read \/proc\/10\/fdinfo\/3 \(EACCES\)/);
    await assert.rejects(createProcFdProbe(proc.procFs).openForWriting(['/data/a.tif']), /fdinfo\/3/);
  });

  it('a descriptor that closed between its link and its fdinfo is no writer', async () => {
    const proc = fakeProc();
    proc.procFs.readFile = () => Promise.reject(Object.assign(new Error('ENOENT'), { code: 'ENOENT' }));
    assert.deepEqual([...(await createProcFdProbe(proc.procFs).openForWriting(['/data/a.tif']))], []);
  });

  it('a process whose descriptors may not be listed is skipped (invisible), not a failure', async () => {
    const proc = fakeProc();
    const readdir = proc.procFs.readdir;
    proc.procFs.readdir = (path) => (path === '/proc/10/fd' ? denied() : readdir(path));
    assert.deepEqual([...(await createProcFdProbe(proc.procFs).openForWriting(['/data/a.tif', '/data/b.tif']))], ['/data/b.tif']);
  });
});

describe('/proc open-writer probe: whose writers it can see', () => {
  it('sees writers on local file systems only (the longest mount point decides)', async () => {
    const probe = createProcFdProbe(fakeProc().procFs);
    const paths = ['/data/a.tif', '/mnt/share/s1/a.tif', '/mnt/share/local disk/a.tif', '/mnt/sshfs/a.tif', '/data/nfs/a.tif', '/mnt/sharex/a.tif'];
    assert.deepEqual([...(await probe.writersVisible!(paths))].sort(), ['/data/a.tif', '/mnt/share/local disk/a.tif', '/mnt/sharex/a.tif']);
  });

  it('fails, rather than answer, when mountinfo cannot be read', async () => {
    const proc = fakeProc();
    delete proc.files['/proc/self/mountinfo'];
    await assert.rejects(createProcFdProbe(proc.procFs).writersVisible!(['/data/a.tif']), /cannot read \/proc\/self\/mountinfo/);
  });

  it('parses mount points with escaped spaces and optional fields', () => {
    assert.deepEqual(parseMountInfo('36 35 98:0 /mnt1 /mnt/a\\040b rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue\n\nbad line'), [
      { point: '/mnt/a b', type: 'ext3' },
    ]);
  });
});
