// The "code under test": a tiny order service that texts a customer over CIMD2 and waits for the
// delivery report. A real suite would drive its own application instead.
import { CimdClient } from 'cimd2-mock/testing';

/** Sends `text` to `phone` through the SMSC on `port`; resolves with the submit and report results. */
export async function textCustomer(port, phone, text, { waitReport = true } = {}) {
  const client = await CimdClient.connect({ port });
  try {
    await client.login('shop', 'secret');
    const report = waitReport
      ? new Promise((resolve) => client.once('status-report', resolve))
      : Promise.resolve(undefined);
    const submit = await client.submit({ destination: phone, text, statusReportRequest: 14 });
    const status = submit.ok ? await report : undefined;
    await client.logout();
    return { submit, status };
  } finally {
    await client.close();
  }
}
