/** `scopecloud results`: pull a job's results into the local cache (verified) and export them to NWB. */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { CliError, ExitCode, type CliCommand } from '../command.ts';
import { listCachedResults, pullResults } from '../../results/pull.ts';
import { exportNwb } from '../../results/nwb-export.ts';
import { CurationError, importSuite2pCuration } from '../../results/suite2p-curation.ts';
import { userInfo } from 'node:os';
import { count, formatHz } from '../format.ts';

const HELP = `Usage:
  scopecloud results pull <job> [--json]          download the job's results into the cache
                                                  (<state>/cache/results/<session>/<job>/), each
                                                  file verified against its sha256
  scopecloud results list [--json]                results already pulled (browsable offline)
  scopecloud results export <job> --nwb <file>    write an NWB 2 file (ImageSegmentation,
                                                  PlaneSegmentation, Fluorescence, DfOverF)
                                                  [--rate <hz>] [--session-description <text>]
  scopecloud results import-suite2p-curation <results folder> <suite2p plane folder> [--who <name>]
                                                  cell/not-cell labels edited in suite2p's GUI
                                                  (its iscell.npy) become records in
                                                  <results folder>/curation.json; the worker's
                                                  own iscell is kept

Exit codes: 0 ok, 1 not ready / checksum mismatch / not found, 2 usage, 3 configuration.`;

export const resultsCommand: CliCommand = {
  name: 'results',
  summary: 'pull analysis results (verified), export them to NWB, import a suite2p curation',
  help: HELP,
  async run(argv, io, services) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        nwb: { type: 'string' },
        rate: { type: 'string' },
        'session-description': { type: 'string' },
        who: { type: 'string' },
      },
    });
    const [action, id] = positionals;
    if (!action) throw new CliError('results needs an action: pull, list or export', ExitCode.usage);
    if (action === 'import-suite2p-curation') {
      const folder = positionals[2];
      if (!id || !folder) throw new CliError('results import-suite2p-curation needs <results folder> <suite2p plane folder>', ExitCode.usage);
      try {
        const r = await importSuite2pCuration(resolve(id), resolve(folder), { who: values.who ?? userInfo().username, now: () => new Date() });
        if (values.json) io.out(JSON.stringify(r, null, 2));
        else io.out(`plane ${r.plane}: ${count(r.changed, 'label')} changed of ${count(r.rois, 'ROI')}; recorded in ${r.file}`);
        return ExitCode.ok;
      } catch (e) {
        if (e instanceof CurationError) throw new CliError(e.message, ExitCode.failure);
        throw e;
      }
    }
    const c = await services();
    if (action === 'list') {
      const list = await listCachedResults(c.paths.cache);
      if (values.json) io.out(JSON.stringify(list, null, 2));
      else if (list.length === 0) io.out('no results pulled yet');
      else for (const r of list) io.out(`${r.jobId}  ${count(r.files, 'file')}  ${r.dir}`);
      return ExitCode.ok;
    }
    if (!id) throw new CliError(`results ${action} needs a job id`, ExitCode.usage);
    const { store } = c.destinationJobs();
    if (action === 'pull') {
      const r = await pullResults(store, id, c.paths.cache);
      if (values.json) io.out(JSON.stringify(r, null, 2));
      else io.out(`${count(r.files, 'file')} verified in ${r.dir} (${r.downloaded} downloaded, ${r.reused} already cached)`);
      return ExitCode.ok;
    }
    if (action === 'export') {
      if (!values.nwb) throw new CliError('results export needs --nwb <file>', ExitCode.usage);
      const rate = values.rate === undefined ? undefined : Number(values.rate);
      if (rate !== undefined && !(rate > 0)) throw new CliError('--rate needs a positive number (Hz)', ExitCode.usage);
      const pulled = await pullResults(store, id, c.paths.cache);
      const out = resolve(values.nwb);
      const r = await exportNwb({ resultsDir: pulled.dir, outFile: out, jobId: id, rateHz: rate, sessionDescription: values['session-description'] });
      if (values.json) io.out(JSON.stringify(r, null, 2));
      else io.out(`wrote ${out}: ${count(r.rois, 'ROI')} x ${count(r.frames, 'frame')} in ${count(r.planes, 'plane')} at ${formatHz(r.rateHz)}`);
      return ExitCode.ok;
    }
    throw new CliError(`unknown results action "${action}" (pull, list, export, import-suite2p-curation)`, ExitCode.usage);
  },
};
