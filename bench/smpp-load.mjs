// A lean SMPP v3.4 client codec for the load generator (the same driver as `cimd2-mock bench`:
// connections, window, count/duration, latency): bind_transceiver, then submit_sm from a
// pre-built PDU whose sequence number is patched per request; responses are read from their
// 16-byte headers only.

const BIND_TRANSCEIVER = 0x00000009;
const SUBMIT_SM = 0x00000004;
const ENQUIRE_LINK = 0x00000015;
const GENERIC_NACK = 0x80000000;
const RESPONSE = 0x80000000;

function cstr(s) {
  return Buffer.from(`${s}\0`, 'latin1');
}

function pdu(commandId, sequence, body) {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(16 + body.length, 0);
  head.writeUInt32BE(commandId, 4);
  head.writeUInt32BE(0, 8);
  head.writeUInt32BE(sequence, 12);
  return Buffer.concat([head, body]);
}

/**
 * @param {{ destination?: string, text?: string }} options
 * @returns {import('../dist/bench/index.js').LoadProtocol}
 */
export function smppProtocol(options = {}) {
  const text = Buffer.from(options.text ?? 'Hello from cimd2-mock bench', 'latin1');
  const submit = pdu(
    SUBMIT_SM,
    0,
    Buffer.concat([
      cstr(''), // service_type
      Buffer.from([1, 1]), // source ton, npi
      cstr('12345'),
      Buffer.from([1, 1]), // dest ton, npi
      cstr((options.destination ?? '+358401234567').replace(/^\+/, '')),
      Buffer.from([0, 0, 0]), // esm_class, protocol_id, priority_flag
      cstr(''), // schedule_delivery_time
      cstr(''), // validity_period
      Buffer.from([0, 0, 0, 0, text.length]), // registered_delivery, replace, data_coding, default_msg_id, sm_length
      text,
    ]),
  );
  return {
    name: 'smpp',
    maxWindow: 128,
    connection: ({ user, password }) => {
      let seq = 0;
      let carry = null;
      return {
        submitLength: submit.length,
        login: (id) =>
          pdu(
            BIND_TRANSCEIVER,
            id,
            Buffer.concat([
              cstr(user),
              cstr(password),
              cstr(''),
              Buffer.from([0x34, 0, 0]),
              cstr(''),
            ]),
          ),
        writeSubmit(out, at, id) {
          submit.copy(out, at);
          out.writeUInt32BE(id, at + 12);
        },
        nextId(busy) {
          for (;;) {
            seq = seq >= 0x7fffffff ? 1 : seq + 1;
            if (!busy(seq)) return seq;
          }
        },
        read(chunk, sink) {
          let buf = carry === null ? chunk : Buffer.concat([carry, chunk]);
          carry = null;
          let at = 0;
          while (buf.length - at >= 16) {
            const len = buf.readUInt32BE(at);
            if (len < 16 || len > 65536) {
              sink.malformed();
              return;
            }
            if (buf.length - at < len) break;
            const id = buf.readUInt32BE(at + 4);
            const status = buf.readUInt32BE(at + 8);
            const sequence = buf.readUInt32BE(at + 12);
            if (id === GENERIC_NACK) sink.response(sequence, `generic_nack:${status}`);
            else if ((id & RESPONSE) !== 0)
              sink.response(sequence, status === 0 ? undefined : `smpp:${status}`);
            else if (id === ENQUIRE_LINK)
              sink.reply(pdu((ENQUIRE_LINK | RESPONSE) >>> 0, sequence, Buffer.alloc(0)));
            at += len;
          }
          if (at < buf.length) carry = Buffer.from(buf.subarray(at));
        },
      };
    },
  };
}
