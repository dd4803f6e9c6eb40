/** `scopecloud results`: pull a job's results into the local cache (verified) and export them to NWB. */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { CliError, ExitCode, type CliCommand } from '../command.ts';
import { listCachedResults, pullResults } from '../../results/pull.ts';
import { exportNwb } from '../../results/nwb-export.ts';
import { CurationError, importSuite2pCuration } from '../../results/suite2p-curation.ts';
import { userInfo } from 'node:os';
import { count, formatHz } from '../format.ts';
import { curateJob, jobCuration, undoJobCuration, type JobCuration } from '../../results/job-curation.ts';
import { exportCuratedSuite2p } from '../../results/suite2p-export.ts';
import { createCuratorIdentities, systemOsUser } from '../../results/curator-identity.ts';

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
  scopecloud results curate <job> --roi 3,5 --cell|--not-cell [--who <name>] [--json]
                                                  label ROIs (ids of rois.json) cell or not cell:
                                                  a record in the job's curation.json in the store
  scopecloud results curate <job> --undo [--who <name>]
                                                  undo <who>'s last labelling (a record restoring it)
  scopecloud results curation <job> [--json]      the job's curation records (who: the owner name,
                                                  with the AWS identity [ARN] for S3 results or
                                                  the OS user for local ones) and curated cell count
  scopecloud results export-suite2p <job> --out <dir>
                                                  the suite2p plane folders with the curated iscell
                                                  (column 0; column 1 the worker's probability)

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
        roi: { type: 'string' },
        cell: { type: 'boolean', default: false },
        'not-cell': { type: 'boolean', default: false },
        undo: { type: 'boolean', default: false },
        out: { type: 'string' },
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
    if (action === 'curate' || action === 'curation') {
      const identity = () => createCuratorIdentities({ osUser: systemOsUser }).of(store.s3 ? c.aws().sts : null);
      const by = async () => ({ who: values.who ?? c.owner, source: 'cli' as const, now: () => new Date(), ...(await identity()) });
      const show = (r: JobCuration) => {
        if (values.json) io.out(JSON.stringify(r, null, 2));
        else {
          for (const x of action === 'curation' ? r.records : [])
            io.out(
              `${x.when}  ${x.who}${x.awsArn ? ` [${x.awsArn}]` : ''}${x.osUser ? ` [OS user ${x.osUser}]` : ''}  ROI ${x.roi} -> ${x.iscell ? 'cell' : 'not cell'} (${x.source}${x.undoes ? `, undoes ${x.undoes}` : ''})`,
            );
          const changed = r.iscell.filter((v, i) => v !== r.worker[i]).length;
          io.out(
            `${count(r.records.length, 'record')}; ${r.iscell.filter(Boolean).length} of ${count(r.iscell.length, 'ROI')} cells (${changed} changed from the worker's labels)`,
          );
        }
      };
      try {
        if (action === 'curation') show(await jobCuration(store, id));
        else if (values.undo) show(await undoJobCuration(store, id, await by(), c.paths.cache));
        else {
          if (values.cell === values['not-cell']) throw new CliError('results curate needs one of --cell or --not-cell (or --undo)', ExitCode.usage);
          const list = (values.roi ?? '').split(',').filter((x) => x.trim() !== '');
          const rois = list.map(Number);
          if (rois.length === 0 || rois.some((n) => !Number.isInteger(n) || n < 0))
            throw new CliError(`--roi needs ROI ids separated by commas (got ${JSON.stringify(values.roi ?? '')})`, ExitCode.usage);
          show(await curateJob(store, id, rois, values.cell, await by(), c.paths.cache));
        }
      } catch (e) {
        if (e instanceof CurationError) throw new CliError(e.message, ExitCode.failure);
        throw e;
      }
      return ExitCode.ok;
    }
    if (action === 'export-suite2p') {
      if (!values.out) throw new CliError('results export-suite2p needs --out <dir>', ExitCode.usage);
      const pulled = await pullResults(store, id, c.paths.cache);
      try {
        const r = await exportCuratedSuite2p(pulled.dir, resolve(values.out));
        if (values.json) io.out(JSON.stringify(r, null, 2));
        else io.out(`wrote ${r.dir}: ${count(r.planes, 'plane')}, ${count(r.rois, 'ROI')}, ${r.curated} labels curated`);
      } catch (e) {
        if (e instanceof CurationError) throw new CliError(e.message, ExitCode.failure);
        throw e;
      }
      return ExitCode.ok;
    }
    throw new CliError(`unknown results action "${action}" (pull, list, export, export-suite2p, curate, curation, import-suite2p-curation)`, ExitCode.usage);
  },
};
