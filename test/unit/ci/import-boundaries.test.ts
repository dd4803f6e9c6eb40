// The import boundaries of eslint.config.js catch what they claim: each case is a file that
// crosses one boundary, linted under the path it would have, and must be refused by that rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: new URL('../../..', import.meta.url).pathname });

async function findings(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

const cases: Array<[string, string, RegExp]> = [
  ['renderer/views/x.tsx', "import { app } from 'electron';", /preload\/api\.ts/],
  ['renderer/views/x.tsx', "import { readFile } from 'node:fs/promises';", /no Node modules/],
  ['renderer/views/x.tsx', "import { statePaths } from '../../main/config/paths.ts';", /never by importing main/],
  ['preload/x.ts', "import { AppError } from '../main/app/app-errors.ts';", /no main-process code/],
  ['main/upload/x.ts', "import { AppError } from '../app/app-errors.ts';", /below the application layer/],
  ['main/instances/x.ts', "import { CliError } from '../cli/command.ts';", /below the application layer/],
  ['main/jobs/x.ts', "import { createServiceContainer } from '../services.ts';", /below the application layer/],
  ['main/app/x.ts', "import { startHost } from '../host/server.ts';", /transport-free/],
  ['main/app/x.ts', "import { createServiceContainer } from '../services.ts';", /transport-free/],
  ['main/cost/x.ts', "import { BrowserWindow } from 'electron';", /Only main\/electron/],
  ['main/cli/x.ts', "import { Tray } from 'electron';", /Only main\/electron/],
  ['main/electron/x.ts', "import { startHost } from '../host/server.ts';", /Adapters do not import each other/],
  ['main/host/x.ts', "import { main } from '../cli/main.ts';", /Adapters do not import each other/],
  ['main/cost/x.ts', "import { createInstanceService } from '../instances/instance-service.ts';", /main\/cost sits below/],
  ['main/budget/x.ts', "import { guardrailNotification } from '../tray/notifications.ts';", /main\/budget sits below/],
  ['main/instances/x.ts', "import { createNotificationLimiter } from '../tray/notification-limiter.ts';", /main\/instances sits below/],
  ['main/aws/x.ts', "import { usd } from '../cost/money.ts';", /main\/aws sits below/],
  ['main/common/x.ts', "import { awsConnection } from '../aws/connection.ts';", /main\/common sits below/],
];

for (const [path, code, expected] of cases) {
  test(`import boundary: ${path} may not say ${code}`, async () => {
    const found = await findings(path, code);
    assert.ok(
      found.some((f) => f.startsWith('no-restricted-imports') && expected.test(f)),
      `expected a refusal matching ${expected} for ${path}, got: ${found.join(' | ') || 'nothing'}`,
    );
  });
}

test('import boundary: what the layers allow passes', async () => {
  assert.deepEqual(await findings('main/cli/x.ts', "import { planAnalysis } from '../app/analysis-plan.ts';"), []);
  assert.deepEqual(await findings('main/electron/x.ts', "import { app } from 'electron';"), []);
  assert.deepEqual(await findings('main/app/x.ts', "import { ownerName } from '../common/owner.ts';"), []);
  assert.deepEqual(await findings('main/tray/x.ts', "import type { InstanceInfo } from '../aws/ec2-instance.ts';"), []);
  assert.deepEqual(await findings('main/instances/x.ts', "import { usd } from '../cost/money.ts';"), []);
  assert.deepEqual(await findings('renderer/x.tsx', "import type { Settings } from '../preload/api.ts';"), []);
});
