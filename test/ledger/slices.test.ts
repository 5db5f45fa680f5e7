/** Work in slices on the event loop (src/ledger/slices.ts): it yields between slices and stops when told. */
import t from 'tap';
import { createSlicer, Stopped } from '../../src/ledger/slices.js';

t.test('work runs in slices of at most sliceMs and yields between them', async (t) => {
  let clock = 0;
  const slicer = createSlicer(10, () => clock);
  let units = 0;
  let otherWork = 0;
  const ticker = setInterval(() => otherWork++, 0);
  await slicer.inSlices(() => {
    clock += 4; // each unit "takes" 4 ms: three units fit in a 10 ms slice
    return ++units === 9;
  }, 0);
  clearInterval(ticker);
  t.equal(units, 9);
  t.ok(otherWork >= 1, 'other work ran between slices');
});

/** True when `p` rejects with Stopped. */
const stoppedWith = (p: Promise<void>): Promise<boolean | string> => p.then(() => 'resolved', (e: unknown) => e instanceof Stopped);

t.test('stop() rejects the work under way and anything later with Stopped', async (t) => {
  const slicer = createSlicer(1, Date.now);
  const endless = slicer.inSlices(() => false, 5);
  const sleeping = createSlicer(1, Date.now);
  const nap = sleeping.sleep(60_000);
  slicer.stop();
  sleeping.stop();
  t.equal(await stoppedWith(endless), true, 'the slices under way');
  t.equal(await stoppedWith(nap), true, 'a sleep');
  t.equal(await stoppedWith(slicer.inSlices(() => true, 0)), true, 'a stopped slicer runs nothing more');
});

t.test('what a unit throws ends the work with that error', async (t) => {
  const slicer = createSlicer(10, Date.now);
  const failure = await slicer.inSlices(() => {
    throw new RangeError('bad unit');
  }, 0).catch((e: unknown) => e);
  t.ok(failure instanceof RangeError);
});
