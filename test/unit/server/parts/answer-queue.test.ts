/** AnswerQueue: ordered answers and backpressure, without sockets. */
import { expect } from 'chai';
import type { Frame } from '../../../../src/protocol/frame.js';
import { AnswerQueue } from '../../../../src/server/answer-queue.js';

function harness(maxPending: number) {
  const written: number[] = [];
  const flow: string[] = [];
  const output = {
    open: true,
    write: (f: Frame) => written.push(f.pn),
    pause: () => flow.push('pause'),
    resume: () => flow.push('resume'),
  };
  return { queue: new AnswerQueue(maxPending, output), written, flow, output };
}

const frame = (pn: number): Frame => ({ op: 53, pn, params: [] });

describe('AnswerQueue', () => {
  it('writes answers in request order even when a later one is ready first', () => {
    const { queue, written } = harness(10);
    const a = queue.open(1, 3);
    const b = queue.open(3, 3);
    queue.fill(b, [frame(3)]);
    expect(written).to.deep.equal([]);
    expect(queue.pending).to.equal(2);
    queue.fill(a, [frame(1)]);
    expect(written).to.deep.equal([1, 3]);
    expect(queue.pending).to.equal(0);
  });

  it('lets written slots go once nothing waits (an idle session keeps no message alive)', () => {
    const { queue, written } = harness(10);
    for (let pn = 0; pn < 10; pn++) queue.fill(queue.open(pn, 3), [frame(pn)]);
    expect(written).to.have.length(10);
    expect(queue.slotsKept).to.equal(0);
    // A slot still waiting keeps the written ones behind it only until it is written.
    const a = queue.open(20, 3);
    const b = queue.open(21, 3);
    queue.fill(b, [frame(21)]);
    expect(queue.slotsKept).to.equal(2);
    queue.fill(a, [frame(20)]);
    expect(queue.slotsKept).to.equal(0);
  });

  it('keeps the slots of a queue that never empties bounded', () => {
    const { queue, written } = harness(1000);
    let oldest = queue.open(0, 3);
    let kept = 0;
    for (let pn = 1; pn < 2000; pn++) {
      const next = queue.open(pn % 256, 3);
      queue.fill(oldest, [frame(pn % 256)]);
      oldest = next;
      kept = Math.max(kept, queue.slotsKept);
    }
    expect(written).to.have.length(1999);
    expect(kept).to.be.at.most(2 * 64 + 2);
  });

  it('a dropped request (no frames) releases the answers behind it', () => {
    const { queue, written } = harness(10);
    const a = queue.open(1, 3);
    const b = queue.open(3, 3);
    queue.fill(b, [frame(3)]);
    queue.fill(a, []);
    expect(written).to.deep.equal([3]);
  });

  it('runs `after` right after the slot is written, and ignores a second fill', () => {
    const { queue, written } = harness(10);
    const a = queue.open(5, 2);
    const seen: number[][] = [];
    queue.fill(a, [frame(5)], () => seen.push([...written]));
    queue.fill(a, [frame(99)]);
    expect(seen).to.deep.equal([[5]]);
    expect(written).to.deep.equal([5]);
  });

  it('pauses at maxPending unanswered slots and resumes below, not when closed', () => {
    const { queue, flow, output } = harness(2);
    const a = queue.open(1, 3);
    expect(flow).to.deep.equal([]);
    const b = queue.open(3, 3);
    expect(flow).to.deep.equal(['pause']);
    queue.fill(a, [frame(1)]);
    expect(flow).to.deep.equal(['pause', 'resume']);
    queue.open(5, 3);
    expect(flow).to.deep.equal(['pause', 'resume', 'pause']);
    output.open = false;
    queue.fill(b, [frame(3)]);
    expect(flow).to.deep.equal(['pause', 'resume', 'pause']);
    expect(queue.unanswered).to.equal(1);
  });

  it('find() returns the first unanswered slot of pn and op', () => {
    const { queue } = harness(10);
    const a = queue.open(7, 1);
    queue.open(7, 3);
    expect(queue.find(7, 1)).to.equal(a);
    queue.fill(a, []);
    expect(queue.find(7, 1)).to.equal(undefined);
    expect(queue.find(7, 3)?.op).to.equal(3);
  });
});
