// The peer: an SMPP simulator as users run them today, built on the npm `smpp` package (v0.5.1,
// the current release; it is plain CommonJS on net/events and runs unchanged on Node 20). It binds
// every transceiver/transmitter, answers each submit_sm with submit_sm_resp carrying a message id,
// and answers enquire_link and unbind. TCP_NODELAY is on, as in cimd2-mock, so the comparison is
// not skewed by Nagle's algorithm.
//
//   node bench/smpp-peer-server.mjs [--port N]   → prints "smpp-peer listening on 127.0.0.1:PORT"
import smpp from 'smpp';

let messageId = 0;
const server = smpp.createServer({ noDelay: true }, (session) => {
  const bind = (pdu) => session.send(pdu.response());
  session.on('bind_transceiver', bind);
  session.on('bind_transmitter', bind);
  session.on('submit_sm', (pdu) => {
    messageId++;
    session.send(pdu.response({ message_id: messageId.toString(16) }));
  });
  session.on('enquire_link', (pdu) => session.send(pdu.response()));
  session.on('unbind', (pdu) => {
    session.send(pdu.response());
    session.close();
  });
  session.on('error', () => undefined);
});

const portArg = process.argv.indexOf('--port');
const port = portArg >= 0 ? Number(process.argv[portArg + 1]) : 0;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`smpp-peer listening on 127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
