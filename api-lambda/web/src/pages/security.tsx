import { useState } from "preact/hooks";
import { api } from "../api";
import { Alert, Confirm, Loading, dateTime, TableRegion } from "../components";
import { useResource, useTitle } from "../hooks";
import type { Ban } from "../types";

export function SecurityPage() {
  useTitle("Security");
  const bans = useResource<Ban[]>("/api/v1/security/bans");
  const [lifting, setLifting] = useState<Ban | null>(null);
  return (
    <section class="page" aria-labelledby="security-title">
      <h1 id="security-title">Security</h1>
      <h2>Banned addresses</h2>
      <p class="muted">
        An address that fails admission again and again (unknown calling AE titles, addresses outside a facility's
        networks) is refused at connection for a while. Lift a ban once its facility is fixed.
      </p>
      {bans.error ? <Alert>{bans.error.message}</Alert> : null}
      {!bans.data && !bans.error ? <Loading /> : null}
      {bans.data ? <BanTable bans={bans.data} onLift={setLifting} /> : null}
      {lifting ? (
        <Confirm
          title={`Lift the ban on ${lifting.address}?`}
          confirmLabel="Lift ban"
          onConfirm={async () => {
            await api("DELETE", `/api/v1/security/bans/${encodeURIComponent(lifting.address)}`);
            await bans.reload();
          }}
          onClose={() => setLifting(null)}
        >
          <p>Connections from {lifting.address} are accepted again at once; if it keeps failing, it is banned again.</p>
        </Confirm>
      ) : null}
    </section>
  );
}

export function BanTable(props: { bans: Ban[]; onLift?: (ban: Ban) => void }) {
  return (
    <TableRegion label="Banned addresses">
      <table>
        <caption class="visually-hidden">Banned addresses</caption>
        <thead>
          <tr>
            <th scope="col">Address</th>
            <th scope="col">Reason</th>
            <th scope="col">Failures</th>
            <th scope="col">Since</th>
            <th scope="col">Until</th>
            {props.onLift ? <th scope="col">Action</th> : null}
          </tr>
        </thead>
        <tbody>
          {props.bans.map((b) => (
            <tr key={b.address}>
              <td>
                <code>{b.address}</code>
              </td>
              <td>{b.reason}</td>
              <td>{b.failures}</td>
              <td>{dateTime(b.banned_at)}</td>
              <td>{dateTime(b.expires_at)}</td>
              {props.onLift ? (
                <td>
                  <button type="button" onClick={() => props.onLift?.(b)}>
                    Lift ban on {b.address}
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {props.bans.length === 0 ? <p class="empty">No address is banned.</p> : null}
    </TableRegion>
  );
}
