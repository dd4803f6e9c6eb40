import { createInMemoryServices } from './in-memory-services.ts';
import { startHost } from '../../main/host/server.ts';
import { launchChromium } from './chromium.ts';
const s = createInMemoryServices({ roiCount: Number(process.env.N ?? 100000), autoTickMs: 500, firstRun: process.env.FIRST === '1' });
const h = await startHost({ services: s, rendererDir: '/work/main/build/renderer' });
const b = await launchChromium({ width: 1280, height: 800 });
const page = b.context.pages()[0] ?? await b.context.newPage();
page.on('console', (m) => console.log('console:', m.type(), m.text()));
page.on('pageerror', (e) => console.log('pageerror:', e.message));
const views = (process.env.VIEWS ?? 'acquisition,instances,budget,analyses,results/a-2025-03-14-mouse12').split(',');
await page.goto(h.url + '#/' + views[0]);
for (const v of views) {
  await page.evaluate((v) => { location.hash = '#/' + v; }, v);
  await page.waitForTimeout(v.startsWith('results') ? 8000 : 1500);
  await page.screenshot({ path: `/tmp/dev-${v.replace(/\W+/g, '-')}.png` });
  console.log('shot', v);
}
await b.close(); await h.close(); s.dispose();
