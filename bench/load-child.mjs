// Runs one load (the `cimd2-mock bench` library's runLoad) in a process of its own and prints its
// result as one JSON line: for cells whose client must not carry the state of earlier cells (the
// 5,000-session cell: a bench process that already drove minutes of other loads pauses for its own
// garbage collection, and the latency it measures then includes those pauses).
//
//   node bench/load-child.mjs '<runLoad options as JSON>'
import { runLoad } from '../dist/bench/index.js';

const options = JSON.parse(process.argv[2] ?? '{}');
const result = await runLoad(options);
process.stdout.write(`${JSON.stringify(result)}\n`);
