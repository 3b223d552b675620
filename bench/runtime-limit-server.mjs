// The runtime limit: the least work a CIMD2 server on Node can do per request. A plain node:net
// server that scans each chunk for STX…ETX, reads the operation code and copies the packet number
// into a pre-built response (51, 53 with 021 and 060 as cimd2-mock sends them, 52, 90), fixing the
// checksum arithmetically. No decoding, no validation, no events, no transcript. One write per chunk.
//
//   node bench/runtime-limit-server.mjs [--port N]   → prints "runtime-limit listening on 127.0.0.1:PORT"
import net from 'node:net';

const STX = 0x02;
const ETX = 0x03;

function prebuilt(body) {
  // body: "OO:NNN\t...\t" (with TAB after each parameter); returns STX body CC ETX.
  const bytes = Buffer.from(`\x02${body}`, 'latin1');
  let sum = 0;
  for (const b of bytes) sum += b;
  const cs = (sum & 0xff).toString(16).toUpperCase().padStart(2, '0');
  const frame = Buffer.concat([bytes, Buffer.from(`${cs}\x03`, 'latin1')]);
  // Sum of everything the checksum covers except the three packet-number digits.
  return { frame, base: sum - frame[4] - frame[5] - frame[6], cs: frame.length - 3 };
}

const RESPONSES = new Map([
  [1, prebuilt('51:001\t')],
  [2, prebuilt('52:001\t')],
  [3, prebuilt('53:001\t021:+358401234567\t060:260101120000\t')],
  [40, prebuilt('90:001\t')],
]);
const HEX = Buffer.from('0123456789ABCDEF', 'latin1');

function answer(out, at, tpl, d0, d1, d2) {
  tpl.frame.copy(out, at);
  out[at + 4] = d0;
  out[at + 5] = d1;
  out[at + 6] = d2;
  const sum = (tpl.base + d0 + d1 + d2) & 0xff;
  out[at + tpl.cs] = HEX[sum >> 4];
  out[at + tpl.cs + 1] = HEX[sum & 15];
  return at + tpl.frame.length;
}

const GENERIC = new Map();
function templateFor(op) {
  let tpl = RESPONSES.get(op);
  if (tpl === undefined) {
    tpl = GENERIC.get(op);
    if (tpl === undefined) {
      tpl = prebuilt(`${String(Math.min(op + 50, 98)).padStart(2, '0')}:001\t`);
      GENERIC.set(op, tpl);
    }
  }
  return tpl;
}

const server = net.createServer({ noDelay: true }, (socket) => {
  let carry = null;
  socket.on('data', (chunk) => {
    const buf = carry === null ? chunk : Buffer.concat([carry, chunk]);
    carry = null;
    // Each request yields at most one response no longer than 50 bytes more than it.
    let out = null;
    let at = 0;
    let closeAfter = false;
    let i = buf.indexOf(STX);
    while (i >= 0) {
      const end = buf.indexOf(ETX, i + 1);
      if (end < 0) {
        carry = buf.subarray(i);
        break;
      }
      if (end - i >= 8) {
        const op = (buf[i + 1] - 0x30) * 10 + (buf[i + 2] - 0x30);
        const tpl = templateFor(op);
        out ??= Buffer.allocUnsafe(buf.length + 64 * 64);
        if (at + tpl.frame.length > out.length) {
          const grown = Buffer.allocUnsafe(out.length * 2);
          out.copy(grown, 0, 0, at);
          out = grown;
        }
        at = answer(out, at, tpl, buf[i + 4], buf[i + 5], buf[i + 6]);
        if (op === 2) closeAfter = true;
      }
      i = buf.indexOf(STX, end + 1);
    }
    if (carry !== null && carry.length > 65536) carry = null;
    if (at > 0) socket.write(out.subarray(0, at));
    if (closeAfter) socket.end();
  });
  socket.on('error', () => undefined);
});

const portArg = process.argv.indexOf('--port');
const port = portArg >= 0 ? Number(process.argv[portArg + 1]) : 0;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`runtime-limit listening on 127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
